import { BadInputError, loadAppConfig, type ProvisionSource } from '@hybridforms/core';
import { autoApproval, parseProvisionRequest, sourceProblems } from './provision-request.rules.js';

const config = loadAppConfig({}).provisioning;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const PROVIDER = '0b8e5a7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
const NOW = new Date('2026-12-07T10:00:00Z');

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: PROVIDER,
    source: 'marketplace:westeurope:RedHat:RHEL:9-lvm-gen2',
    name: 'web-1',
    size: { vmSize: 'Standard_D2s_v5' },
    placement: { resourceGroup: 'rg-web', location: 'westeurope', subnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default' },
    admin: { username: 'azureuser', sshPublicKey: KEY },
    ...overrides,
  };
}

function problemsOf(input: unknown): string[] {
  try {
    parseProvisionRequest(input, config, NOW);
  } catch (error) {
    if (error instanceof BadInputError) return error.problems;
    throw error;
  }
  throw new Error('expected a BadInputError');
}

const source = (fields: Partial<ProvisionSource>): ProvisionSource => ({
  ref: 'r',
  kind: 'marketplace',
  name: 'RedHat rhel-byos rhel-lvm9',
  osFamily: 'rhel',
  osVersion: '9',
  licenseModel: 'byos',
  location: 'westeurope',
  hostNativeId: null,
  generation: 2,
  plan: null,
  details: {},
  ...fields,
});

describe('provision request rules', () => {
  it('takes a whole request and keeps what the tasks need', () => {
    const input = parseProvisionRequest(body({ tags: { team: 'web' }, retiresAt: '2027-01-31T18:00:00Z', keepOnFailure: true, userData: '#cloud-config\n' }), config, NOW);
    expect(input).toMatchObject({ providerId: PROVIDER, count: 1, names: ['web-1'], size: { vmSize: 'Standard_D2s_v5' }, tags: { team: 'web' }, keepOnFailure: true, userData: '#cloud-config\n' });
    expect(input.admin).toEqual({ username: 'azureuser', sshPublicKey: KEY });
    expect(input.retiresAt?.toISOString()).toBe('2027-01-31T18:00:00.000Z');
  });

  it('expands a name pattern once per VM', () => {
    const { name: _name, ...rest } = body();
    expect(parseProvisionRequest({ ...rest, count: 3, namePattern: 'web-{n}' }, config, NOW).names).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('lists every problem of a bad request at once, each with its field', () => {
    const problems = problemsOf({
      provider: 'nope',
      count: 0,
      name: 'a',
      namePattern: 'b-{n}',
      size: { vmSize: 'Standard D2', cores: 2 },
      placement: { publicIp: 'yes' },
      admin: { username: 'Root!', password: 'hunter2' },
      licenseModel: 'free',
      retiresAt: '2020-01-01T00:00:00Z',
      postProvision: { playbook: '', credentialId: 'x' },
      extra: 1,
    });
    for (const prefix of [
      'extra: unknown field',
      'provider:',
      'source:',
      'count:',
      'name: give exactly one',
      'size.cores: unknown field',
      'size.vmSize:',
      'placement.publicIp: must be true or false',
      'admin.password: not accepted',
      'admin.username:',
      'admin.sshPublicKey:',
      'licenseModel:',
      'retiresAt: is in the past',
      'postProvision.playbook:',
      'postProvision.credentialId:',
    ]) {
      expect(problems.some((problem) => problem.startsWith(prefix))).toBe(true);
    }
    // A password is refused by name, and never echoed back.
    expect(problems.join(' ')).not.toContain('hunter2');
  });

  it('holds a request to the quotas of one request', () => {
    const { name: _name, ...rest } = body();
    expect(problemsOf({ ...rest, namePattern: 'web-{n}', count: config.maxVmsPerRequest + 1 })).toEqual([expect.stringContaining('provisioning.maxVmsPerRequest')]);
    expect(problemsOf(body({ name: undefined, namePattern: 'web' }))).toEqual([expect.stringContaining('namePattern: must hold {n} once')]);
    expect(problemsOf(body({ userData: 'x'.repeat(config.maxUserDataBytes + 1) }))).toEqual([expect.stringContaining('provisioning.maxUserDataBytes')]);
  });

  it('refuses payg for a Cloud Access image and a generation the image does not boot', () => {
    const input = parseProvisionRequest(body({ licenseModel: 'payg', size: { vmSize: 'Standard_D2s_v5', generation: 1 } }), config, NOW);
    const problems = sourceProblems(input, source({}));
    expect(problems).toEqual([expect.stringMatching(/^licenseModel: .*Cloud Access/), 'size.generation: RedHat rhel-byos rhel-lvm9 is a generation 2 image']);
    expect(sourceProblems(parseProvisionRequest(body({ licenseModel: 'byos' }), config, NOW), source({ licenseModel: 'payg' }))).toEqual([]);
  });

  it('approves at once only what the policy allows', () => {
    const small = parseProvisionRequest(body(), config, NOW);
    expect(autoApproval(small, 'azure', config)).toMatch(/^policy: 1 VM\(s\) of Standard_D2s_v5/);
    expect(autoApproval(parseProvisionRequest(body({ size: { vmSize: 'Standard_E64s_v5' } }), config, NOW), 'azure', config)).toBeNull();
    const { name: _name, ...rest } = body();
    const many = parseProvisionRequest({ ...rest, namePattern: 'web-{n}', count: config.autoApproveMaxCount + 1 }, config, NOW);
    expect(autoApproval(many, 'azure', config)).toBeNull();
    expect(autoApproval(small, 'azure', { ...config, autoApproveMaxCount: 0 })).toBeNull();
    const guest = (cpuCount: number, memoryMB: number) => parseProvisionRequest(body({ size: { cpuCount, memoryMB } }), config, NOW);
    expect(autoApproval(guest(2, 4096), 'hyperv', config)).toMatch(/^policy: /);
    expect(autoApproval(guest(4, 4096), 'hyperv', config)).toBeNull();
    expect(autoApproval(guest(2, 8192), 'hyperv', config)).toBeNull();
  });
});
