import { createServer } from 'node:net';
import { graphOfChunks, ProviderError, ProviderErrorCode, licenseModelFor, type ProviderContext, type ProviderLogger } from '@hybridforms/core';
import { HyperVHostSimulator } from '@hybridforms/testing';
import type { HyperVCredentials, HyperVProviderConfig } from './hyperv-provider.config.js';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';

const quiet: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.each([['5.1' as const], ['7' as const]])('Hyper-V plugin over real SSH (PowerShell %s answers)', (powershell) => {
  let host: HyperVHostSimulator;
  let other: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 14, powershell, hostName: 'HV01' });
    other = await HyperVHostSimulator.start({ vmCount: 4, powershell, hostName: 'HV02', seed: 2, password: host.password });
  });
  afterAll(async () => {
    await host?.stop();
    await other?.stop();
  });
  afterEach(() => {
    host.clearFaults();
  });

  const config = (over: Partial<HyperVProviderConfig> = {}): HyperVProviderConfig => ({
    username: host.username,
    hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint }],
    commandTimeoutSeconds: 5,
    ...over,
  });
  const credentials: () => HyperVCredentials = () => ({ password: host.password });
  const ctx = (c: HyperVProviderConfig = config(), creds = credentials()): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
    providerId: 'p',
    config: c,
    credentials: creds,
    logger: quiet,
  });

  it('inventories every guest with its classification in one script per host', async () => {
    const graph = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'full' }));
    expect(graph.partErrors).toEqual([]);
    expect(graph.hosts).toHaveLength(1);
    expect(graph.vms.map((vm) => vm.nativeId).sort()).toEqual(host.vmIds().map((id) => id.toLowerCase()).sort());
    const families = new Set(graph.vms.map((vm) => vm.osFamily));
    expect([...families]).toEqual(expect.arrayContaining(['rhel', 'windows', 'linux-other', 'unknown']));
    const rhel = graph.vms.filter((vm) => vm.osFamily === 'rhel');
    expect(rhel.every((vm) => vm.osSource === 'kvp' && licenseModelFor(vm.osFamily, vm.rhelLicenseModel) === 'byos' && /^\d+(\.\d+)?$/.test(vm.osVersion ?? ''))).toBe(true);
    expect(graph.vms.filter((vm) => vm.osFamily === 'unknown').every((vm) => vm.osSource === null)).toBe(true);
    expect([...new Set(graph.vms.map((vm) => vm.powerState))]).toEqual(expect.arrayContaining(['running', 'stopped', 'suspended']));
    expect(graph.nics.length).toBeGreaterThan(0);
    expect(graph.disks.length).toBeGreaterThan(0);
    expect(host.requests.filter((r) => r.marker !== null)).not.toHaveLength(0);
  });

  it('validates access with the pinned host key, and refuses a wrong one', async () => {
    await plugin.validate(config(), credentials(), quiet);
    const wrong = config({ hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: other.hostKeyFingerprint }] });
    await expect(plugin.validate(wrong, credentials(), quiet)).rejects.toMatchObject({ code: ProviderErrorCode.Forbidden });
  });

  it('refuses a bad password without echoing it', async () => {
    const error = await plugin.validate(config(), { password: 'not-the-password' }, quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(ProviderErrorCode.InvalidCredentials);
    expect((error as ProviderError).message).not.toContain('not-the-password');
  });

  it.each([
    ['error-record', /inventory script/],
    ['truncated-json', /inventory script/],
    ['disconnect', /inventory script/],
    ['auth', /authentication/],
  ] as const)('fails the whole collection of a single host on a %s fault, with a clear error', async (kind, message) => {
    host.injectFault({ kind });
    const error = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'full' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(message);
  });

  it('times out a hung command', async () => {
    host.injectFault({ kind: 'hang' });
    const error = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'full' })).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe(ProviderErrorCode.Timeout);
  }, 20_000);

  it('collects the hosts that answer and reports the one that does not', async () => {
    const port = await closedPort();
    const c = config({
      hosts: [
        { host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint },
        { host: other.host, port: other.port, hostKeyFingerprint: other.hostKeyFingerprint },
        { host: '127.0.0.1', port, skipHostKeyCheck: true },
      ],
    });
    const graph = await graphOfChunks(plugin.collectInventory(ctx(c), { kind: 'full' }));
    expect(graph.hosts).toHaveLength(2);
    expect(graph.vms).toHaveLength(14 + 4);
    expect(graph.partErrors).toEqual([expect.objectContaining({ scope: `host 127.0.0.1:${port}`, code: ProviderErrorCode.Unreachable })]);
  });

  it('refreshes only the asked-for VMs, and reports a removed one as not found', async () => {
    const [keep, gone] = host.vmIds();
    host.removeVm(gone);
    try {
      const graph = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'targeted', nativeIds: [keep.toLowerCase(), gone.toLowerCase()] }));
      expect(graph.vms.map((vm) => vm.nativeId)).toEqual([keep.toLowerCase()]);
      expect(graph.notFound).toEqual([gone.toLowerCase()]);
    } finally {
      host.addVm({ name: 'replacement' });
    }
  });
});
