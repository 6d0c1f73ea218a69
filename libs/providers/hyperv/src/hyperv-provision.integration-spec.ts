import type { ProviderContext, ProviderLogger, ProvisionSource, ProvisionSpec } from '@hybridforms/core';
import { HyperVHostSimulator, SIM_LIBRARY_PATH, SIM_TEMPLATE_VM_ID } from '@hybridforms/testing';
import { hostNativeId } from './hyperv.collector.js';
import type { HyperVCredentials, HyperVProviderConfig } from './hyperv-provider.config.js';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';

const MB = 1024 * 1024;
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example';

describe.each([['5.1' as const], ['7' as const]])('Hyper-V provisioning sources and checks over real SSH (PowerShell %s)', (powershell) => {
  let host: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();
  const warnings: string[] = [];
  const logger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined };

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 3, powershell, templateVm: true });
    host.addVm({ name: 'rhel9-taken', state: 'Running', memoryStartup: 4096 * MB });
  });
  afterAll(async () => {
    await host?.stop();
  });
  afterEach(() => {
    host.clearFaults();
    host.setHostMemoryInUse(0);
    warnings.length = 0;
  });

  const ctx = (libraryPaths: string[] = [SIM_LIBRARY_PATH, 'E:\\Nowhere']): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
    providerId: 'p',
    config: { username: host.username, hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint, libraryPaths }], commandTimeoutSeconds: 10 },
    credentials: { password: host.password },
    logger,
  });
  /** The problems a check found (the vCPUs it reports are asserted apart). */
  const problemsOf = async (...args: Parameters<HyperVProviderPlugin['checkProvision']>): Promise<string[]> => (await plugin.checkProvision(...args)).problems;
  const hostId = () => hostNativeId({ host: host.host, port: host.port });
  const sources = () => plugin.provisionSources(ctx());
  const sourceNamed = async (name: string): Promise<ProvisionSource> => {
    const found = (await sources()).find((s) => s.name === name);
    if (!found) throw new Error(`no source ${name}`);
    return found;
  };
  const spec = async (over: Partial<ProvisionSpec> = {}): Promise<ProvisionSpec> => ({
    requestId: 'req-1',
    taskId: 'task-1',
    name: 'rhel9-new01',
    source: await sourceNamed('rhel-9.4-gold'),
    size: { cpuCount: 2, memoryMB: 4096 },
    placement: { hostNativeId: hostId(), switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs' },
    admin: { username: 'cloud-user', sshPublicKey: ED25519 },
    userData: null,
    tags: {},
    licenseModel: null,
    ...over,
  });

  it('lists the library VHDX files and the #template VM, with refs, classification and Get-VHD facts', async () => {
    const list = await sources();
    const id = hostId();
    expect(list.map((s) => [s.ref, s.kind, s.osFamily, s.osVersion, s.generation])).toEqual([
      [`vhd:${id}:${SIM_LIBRARY_PATH}\\rhel-8.10-gold.vhdx`, 'template-vhd', 'rhel', '8.10', 2],
      [`vhd:${id}:${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx`, 'template-vhd', 'rhel', '9.4', 2],
      [`vhd:${id}:${SIM_LIBRARY_PATH}\\ubuntu-22.04-base.vhdx`, 'template-vhd', 'linux-other', null, 2],
      [`vm:${SIM_TEMPLATE_VM_ID}`, 'template-vm', 'rhel', '9', 2],
    ]);
    expect(list[1]).toMatchObject({
      name: 'rhel-9.4-gold',
      hostNativeId: id,
      licenseModel: 'byos',
      details: { vhdFormat: 'VHDX', vhdType: 'Dynamic', sizeBytes: 64 * 1024 * MB, osFrom: 'file-name' },
    });
    // The template VM is Off: no KVP, so its name decides (and says so).
    expect(list[3].details).toMatchObject({ diskPath: 'D:\\VMs\\rhel9-template\\rhel9-template.vhdx', state: 'Off', osFrom: 'vm-name' });
    expect(warnings).toEqual([expect.stringContaining('library path E:\\Nowhere is not a folder')]);
  });

  it('reads the template VM\'s KVP while it runs', async () => {
    host.setState(SIM_TEMPLATE_VM_ID, 'Running');
    try {
      const vm = (await sources()).find((s) => s.kind === 'template-vm');
      expect(vm).toMatchObject({ osFamily: 'rhel', osVersion: '9.4', details: { osFrom: 'kvp' } });
    } finally {
      host.setState(SIM_TEMPLATE_VM_ID, 'Off');
    }
  });

  it('passes a good spec, from a VHDX and from the template VM', async () => {
    expect(await problemsOf(ctx(), [await spec()])).toEqual([]);
    expect((await plugin.checkProvision(ctx(), [await spec({ size: { cpuCount: 4, memoryMB: 4096 } })])).vcpusPerVm).toBe(4);
    const fromVm = (await sources()).find((s) => s.kind === 'template-vm') as ProvisionSource;
    expect(await problemsOf(ctx(), [await spec({ source: fromVm, name: 'rhel9-new02' })])).toEqual([]);
  });

  it('says a VM of that name exists (any case), the switch and the folder are missing', async () => {
    const problems = await problemsOf(ctx(), [await spec({ name: 'RHEL9-Taken', placement: { hostNativeId: hostId(), switchName: 'vSwitch-Nope', vhdFolder: 'D:\\NoSuchFolder' } })]);
    expect(problems).toEqual([
      `name: a VM named 'RHEL9-Taken' exists already on host ${hostId()}`,
      `placement.switchName: host ${hostId()} has no virtual switch 'vSwitch-Nope' (VM 'RHEL9-Taken')`,
      `placement.vhdFolder: D:\\NoSuchFolder is not a folder on host ${hostId()} (VM 'RHEL9-Taken')`,
    ]);
  });

  it('says the template file is gone', async () => {
    const source = await sourceNamed('rhel-8.10-gold');
    const gone = { ...source, ref: source.ref.replace('rhel-8.10-gold', 'rhel-8.10-deleted') };
    expect(await problemsOf(ctx(), [await spec({ source: gone })])).toEqual([
      `source: the template file ${SIM_LIBRARY_PATH}\\rhel-8.10-deleted.vhdx does not exist on host ${hostId()} (VM 'rhel9-new01')`,
    ]);
  });

  it('says the host is not one of the provider\'s, without asking any host', async () => {
    const before = host.requests.length;
    const problems = await problemsOf(ctx(), [await spec({ placement: { hostNativeId: 'hyperv:elsewhere', switchName: 'x' } })]);
    expect(problems).toEqual([
      expect.stringMatching(/^placement\.hostNativeId: 'hyperv:elsewhere' is not one of this provider's hosts/),
      expect.stringMatching(/^source: 'rhel-9\.4-gold' is on host .*, not on hyperv:elsewhere/),
    ]);
    // Only the sources look-up of spec() ran.
    expect(host.requests.slice(before).map((r) => r.marker)).toEqual(['provision-sources']);
  });

  it('sums the memory of the specs on one host against what it has free', async () => {
    const { capacity, free } = host.memoryFigures();
    const half = Math.floor(free / MB / 2 / 2) * 2 + 2; // two of these are just over the free memory
    const specs = [await spec({ name: 'big01', size: { memoryMB: half } }), await spec({ name: 'big02', size: { memoryMB: half } })];
    expect(await problemsOf(ctx(), [specs[0]])).toEqual([]);
    expect(await problemsOf(ctx(), specs)).toEqual([
      `size.memoryMB: the 2 VM(s) for host ${hostId()} (big01, big02) need ${2 * half} MB together; the host has ${Math.floor(free / MB)} MB free for VMs`,
    ]);
    // The host's own use lowers FreePhysicalMemory, which the check follows.
    host.setHostMemoryInUse(free - 1024 * MB);
    expect(await problemsOf(ctx(), [specs[0]])).toEqual([expect.stringMatching(/^size\.memoryMB: the 1 VM\(s\) .* need \d+ MB together; the host has 1024 MB free/)]);
    const tooBig = Math.floor(capacity / MB) + 2;
    expect(await problemsOf(ctx(), [await spec({ size: { memoryMB: tooBig } })])).toContain(
      `size.memoryMB: ${tooBig} MB is more than host ${hostId()} has (${Math.floor(capacity / MB)} MB) (VM 'rhel9-new01')`,
    );
  });

  it('refuses more processors than the host has, and the pure rules before any script', async () => {
    const problems = await problemsOf(ctx(), [await spec({ size: { cpuCount: 200, memoryMB: 4096 } })]);
    expect(problems).toEqual([expect.stringMatching(/^size\.cpuCount: 200 is more than the \d+ logical processors of host/)]);
    const shape = await problemsOf(ctx(), [await spec({ name: 'bad_name', size: { memoryMB: 33 }, admin: { username: 'cloud-user', sshPublicKey: 'not a key' } })]);
    expect(shape.map((p) => p.slice(0, p.indexOf(':')))).toEqual(['name', 'size.memoryMB', 'admin.sshPublicKey']);
  });

  it('keeps a name with a single quote inside its literal: the host reads it whole', async () => {
    const problems = await problemsOf(ctx(), [await spec({ placement: { hostNativeId: hostId(), switchName: "LAN'; Get-VM; '" } })]);
    expect(problems).toEqual([`placement.switchName: host ${hostId()} has no virtual switch 'LAN'; Get-VM; '' (VM 'rhel9-new01')`]);
  });

  it('turns a host that fails into one message on placement.hostNativeId, and a failing sources read into an error', async () => {
    const good = await spec();
    host.injectFault({ kind: 'error-record', marker: 'provision-check' });
    expect(await problemsOf(ctx(), [good])).toEqual([expect.stringMatching(/^placement\.hostNativeId: host .* could not be checked: .*required permission/)]);
    host.injectFault({ kind: 'cmdlet-error', cmdlet: 'Get-ChildItem', marker: 'provision-sources' });
    await expect(sources()).rejects.toThrow(/Access to the path 'D:\\Library\\Templates' is denied/);
  });

  it('splits the checks of many specs over several scripts when they do not fit one command line', async () => {
    const base = await spec();
    const specs = Array.from({ length: 60 }, (_, i) => ({ ...base, name: `rhel9-bulk-${'x'.repeat(45)}-${String(i).padStart(2, '0')}`, size: { memoryMB: 512 } }));
    specs.push({ ...base, name: 'rhel9-taken', size: { memoryMB: 512 } });
    const before = host.requests.length;
    expect(await problemsOf(ctx(), specs)).toEqual([`name: a VM named 'rhel9-taken' exists already on host ${hostId()}`]);
    expect(host.requests.slice(before).filter((r) => r.marker === 'provision-check').length).toBeGreaterThan(1);
  });
});
