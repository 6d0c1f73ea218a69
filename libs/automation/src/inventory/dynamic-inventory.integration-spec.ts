import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateLimit } from '../validation/run-input.validator.js';
import { buildInventory, type InventoryVm } from './dynamic-inventory.builder.js';

// What ansible itself makes of a generated inventory: parsed without warnings, every group there,
// and its hostnames usable in a validated --limit.
const run = promisify(execFile);
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' };

function vm(id: string, overrides: Partial<InventoryVm>): InventoryVm {
  return {
    id,
    name: 'vm',
    nativeId: id,
    providerId: 'p-azure',
    providerName: 'Azure Prod',
    location: 'westeurope',
    osFamily: 'rhel',
    osVersion: '9.4',
    licenseModel: 'byos',
    powerState: 'running',
    archivedAt: null,
    privateIps: ['10.0.0.4'],
    publicIps: [],
    ...overrides,
  };
}

describe('generated inventory read by ansible-inventory', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hf-inventory-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses without warnings, with the groups and host vars we generated, and limits select by them', async () => {
    const built = buildInventory(
      [
        vm('aaaaaaaa-1', { name: 'web {{ x }}' }),
        vm('bbbbbbbb-2', { name: 'web {{ x }}', osVersion: '8.10', licenseModel: 'payg' }),
        vm('cccccccc-3', { name: 'localhost', providerId: 'p-hv', providerName: 'Hyper-V Lab', location: null, osFamily: 'linux-other', osVersion: null }),
      ],
      { hostVars: { ansible_user: 'cloud-user' } },
    );
    const path = join(dir, 'hosts.json');
    await writeFile(path, JSON.stringify(built.inventory));

    const listed = await run('/usr/bin/ansible-inventory', ['-i', path, '--list'], { env: ENV });
    expect(listed.stderr).not.toMatch(/WARNING|ERROR/);
    const parsed = JSON.parse(listed.stdout) as Record<string, { hosts?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    const [web1, web2, local] = built.hosts.map((h) => h.inventoryName);
    expect(parsed.os_rhel.hosts?.sort()).toEqual([web1, web2].sort());
    expect(parsed.os_rhel_8_10.hosts).toEqual([web2]);
    expect(parsed.provider_hyper_v_lab.hosts).toEqual([local]);
    expect(parsed._meta.hostvars[local]).toEqual({ ansible_host: '10.0.0.4', ansible_user: 'cloud-user', hybridforms_vm_id: 'cccccccc-3', hybridforms_provider_id: 'p-hv' });

    const limit = validateLimit(`os_rhel,${local},&license_byos`);
    const selected = await run('/usr/bin/ansible', ['all', '-i', path, '--list-hosts', '--limit', limit], { env: ENV });
    expect(selected.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean).sort()).toEqual([web1, local].sort());
  });
});
