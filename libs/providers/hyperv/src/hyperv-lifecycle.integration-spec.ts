import { graphOfChunks, ProviderError, ProviderErrorCode, type PowerState, type ProviderContext, type ProviderLogger, type VmActionRequest } from '@hybridforms/core';
import { HyperVHostSimulator, type HyperVVmState } from '@hybridforms/testing';
import { hostNativeId } from './hyperv.collector.js';
import type { HyperVCredentials, HyperVProviderConfig } from './hyperv-provider.config.js';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';

const quiet: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };
const VHD_DIR = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks';
const GIB = 1024 ** 3;

describe.each([['5.1' as const], ['7' as const]])('Hyper-V power actions and deletion over real SSH (PowerShell %s)', (powershell) => {
  let host: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();
  let seq = 0;

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 0, powershell });
  });
  afterAll(async () => {
    await host?.stop();
  });
  afterEach(() => host.clearFaults());

  const ctx = (): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
    providerId: 'p',
    config: { username: host.username, hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint }], commandTimeoutSeconds: 5 },
    credentials: { password: host.password },
    logger: quiet,
  });
  const hostId = () => hostNativeId({ host: host.host, port: host.port });
  const newVm = (state: HyperVVmState, extra: Parameters<HyperVHostSimulator['addVm']>[0] extends infer S ? Partial<S> : never = {}) =>
    host.addVm({ name: `rhel9-act${++seq}`, state, ...extra });
  const target = (vmId: string) => ({ nativeId: vmId, name: `vm ${vmId}`, hostNativeId: hostId(), powerState: 'unknown' as PowerState });
  const act = (vmId: string, request: VmActionRequest) => plugin.act(ctx(), target(vmId), request);
  const inventoriedPowerState = async (vmId: string) => {
    const graph = await graphOfChunks(plugin.collectInventory(ctx(), { kind: 'targeted', nativeIds: [vmId] }));
    return graph.vms[0]?.powerState;
  };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  };

  it('offers the five Hyper-V actions, not Azure\'s deallocate', () => {
    expect([...(plugin.vmActions ?? [])].sort()).toEqual(['restart', 'resume', 'start', 'stop', 'suspend']);
  });

  it.each([
    ['start', 'Off', {}, 'Running', 'running', 'Start-VM'],
    ['start', 'Saved', {}, 'Running', 'running', 'Start-VM'],
    ['stop', 'Running', {}, 'Off', 'stopped', 'Stop-VM -Force'],
    ['stop', 'Paused', { force: true }, 'Off', 'stopped', 'Stop-VM -TurnOff -Force'],
    ['suspend', 'Running', {}, 'Saved', 'suspended', 'Save-VM'],
    ['resume', 'Paused', {}, 'Running', 'running', 'Resume-VM'],
    ['resume', 'Saved', {}, 'Running', 'running', 'Start-VM'],
    ['restart', 'Running', {}, 'Running', 'running', 'Restart-VM -Force'],
  ] as const)('%s from %s is done, and the next inventory shows it', async (action, from, options, to, powerState, cmdlet) => {
    const vmId = newVm(from);
    await expect(act(vmId, { action, ...options })).resolves.toEqual({ state: 'done' });
    expect(host.vmState(vmId)).toBe(to);
    expect(host.appliedCmdlets(vmId)).toEqual([`${cmdlet} ${vmId}`]);
    expect(await inventoriedPowerState(vmId)).toBe(powerState);
  });

  it.each([
    ['resume', 'Off', 'Resume-VM'],
    ['restart', 'Off', 'Restart-VM'],
    ['start', 'Paused', 'Start-VM'],
    ['suspend', 'Off', 'Save-VM'],
  ] as const)('%s from %s is refused with Hyper-V\'s message naming %s and the state', async (action, from, cmdlet) => {
    const vmId = newVm(from);
    const error = await failure(act(vmId, { action }));
    expect(error.message).toContain(`Hyper-V refused ${cmdlet}`);
    expect(error.message).toContain(`the VM is ${from}`);
    expect(error.message).toContain('The operation cannot be performed while the object is in its current state.');
    expect(error.message).toContain('InvalidState,Microsoft.HyperV.PowerShell.Commands.');
    expect(error.retryable).toBe(false);
    expect(host.vmState(vmId)).toBe(from);
  });

  it.each([
    ['start', 'Running'],
    ['stop', 'Off'],
    ['suspend', 'Saved'],
    ['resume', 'Running'],
  ] as const)('%s of a VM already %s is done without acting', async (action, state) => {
    const vmId = newVm(state);
    await expect(act(vmId, { action })).resolves.toEqual({ state: 'done' });
    expect(host.vmState(vmId)).toBe(state);
    expect(host.appliedCmdlets(vmId)).toEqual([`no-op ${vmId}`]);
  });

  it('fails a graceful stop clearly when the guest has no shutdown service, and turns the VM off with force', async () => {
    const vmId = newVm('Running');
    host.setIntegrationService(vmId, 'Shutdown', false);
    const error = await failure(act(vmId, { action: 'stop' }));
    expect(error.message).toMatch(/Stop-VM cannot shut down the guest .* shutdown integration service is not available .* force/);
    expect(host.vmState(vmId)).toBe('Running');
    await expect(act(vmId, { action: 'stop', force: true })).resolves.toEqual({ state: 'done' });
    expect(host.vmState(vmId)).toBe('Off');

    const bare = newVm('Running', { guestServices: 'none' });
    await failure(act(bare, { action: 'stop' }));
    expect(host.vmState(bare)).toBe('Running');
  });

  it('reports an unknown VM as not found, and refuses an id that is no GUID before any script runs', async () => {
    const missing = '0b7e2c1d-4a5f-4e6d-8c9b-1a2b3c4d5e6f';
    const error = await failure(act(missing, { action: 'start' }));
    expect(error.code).toBe(ProviderErrorCode.NotFound);
    expect(error.message).toContain(`Hyper-V was unable to find a virtual machine with id "${missing}".`);

    const before = host.requests.length;
    const bad = await failure(act("x'; Remove-VM -Name *; '", { action: 'start' }));
    expect(bad.code).toBe(ProviderErrorCode.NotFound);
    expect(host.requests.length).toBe(before);
  });

  it('turns a failing cmdlet into a ProviderError and leaves the VM as it was', async () => {
    const vmId = newVm('Off');
    host.injectFault({ kind: 'cmdlet-error', cmdlet: 'Start-VM' });
    const error = await failure(act(vmId, { action: 'start' }));
    expect(error.message).toMatch(/Start-VM failed on VM .* \(state Off\): ".* failed to change state\."/);
    expect(host.vmState(vmId)).toBe('Off');
  });

  it('gives a ProviderError, not a hang, when SSH drops mid-command; asking again is done without acting twice', async () => {
    const vmId = newVm('Off');
    host.injectFault({ kind: 'disconnect', marker: 'vm-action' });
    const error = await failure(act(vmId, { action: 'start' }));
    expect(error.code).toBe(ProviderErrorCode.Unreachable);
    expect(error.retryable).toBe(true);
    // The host had started it before the answer was lost: a resumed operation's second ask is a no-op.
    await expect(act(vmId, { action: 'start' })).resolves.toEqual({ state: 'done' });
    expect(host.appliedCmdlets(vmId)).toEqual([`Start-VM ${vmId}`, `no-op ${vmId}`]);
  }, 20_000);

  it('deletes a VM and then its disk, never a differencing parent or an attached disk, and repeating is done', async () => {
    const tag = ++seq;
    const base = `${VHD_DIR}\\rhel9-base${tag}.vhdx`;
    host.addVhdFile({ path: base, vhdType: 'Dynamic', size: 64 * GIB, fileSize: 6 * GIB });
    const goneDisk = `${VHD_DIR}\\gone${tag}_diff.vhdx`;
    const keptDisk = `${VHD_DIR}\\kept${tag}_diff.vhdx`;
    const drive = (path: string) => ({ path, vhdType: 'Differencing' as const, size: 64 * GIB, fileSize: GIB, parentPath: base });
    const gone = newVm('Running', { hardDrives: [drive(goneDisk)] });
    const kept = newVm('Off', { hardDrives: [drive(keptDisk)] });
    const disk = (vmId: string, path: string) => ({ kind: 'disk' as const, nativeId: `${vmId}/disk/${path.toLowerCase()}`, name: path, hostNativeId: hostId() });
    const vmRef = { kind: 'vm' as const, nativeId: gone, name: 'gone', hostNativeId: hostId() };

    await expect(plugin.deleteResource(ctx(), vmRef)).resolves.toEqual({ state: 'done' });
    expect(host.vmIds()).not.toContain(gone);
    expect(host.appliedCmdlets(gone)).toEqual([`Stop-VM -TurnOff -Force ${gone}`, `Remove-VM -Force ${gone}`]);
    expect(host.vhdFile(goneDisk)).not.toBeNull();
    await expect(plugin.deleteResource(ctx(), vmRef)).resolves.toEqual({ state: 'done' });

    await expect(plugin.deleteResource(ctx(), disk(gone, goneDisk))).resolves.toEqual({ state: 'done' });
    expect(host.vhdFile(goneDisk)).toBeNull();
    await expect(plugin.deleteResource(ctx(), disk(gone, goneDisk))).resolves.toEqual({ state: 'done' });

    const parent = await failure(plugin.deleteResource(ctx(), disk(gone, base)));
    expect(parent.message).toContain(`is the parent of the differencing disk ${keptDisk}`);
    expect(host.vhdFile(base)).not.toBeNull();
    const attached = await failure(plugin.deleteResource(ctx(), disk(kept, keptDisk)));
    expect(attached.message).toContain(`attached to VM`);
    expect(host.vhdFile(keptDisk)).not.toBeNull();
    expect(host.appliedCmdlets(base.toLowerCase())).toEqual([]);
  });

  it('refuses to delete NICs and public IPs, which Hyper-V VMs do not own separately', async () => {
    const error = await failure(plugin.deleteResource(ctx(), { kind: 'nic', nativeId: 'x/nic/00-15-5D-00-00-01', name: 'eth0' }));
    expect(error.message).toContain('no separately deletable network adapters');
  });

  it('leaves the events the host writes for what it did, which the events script reports', async () => {
    const vmId = newVm('Off');
    await act(vmId, { action: 'start' });
    await act(vmId, { action: 'restart' });
    await act(vmId, { action: 'stop' });
    await plugin.deleteResource(ctx(), { kind: 'vm', nativeId: vmId, name: 'x', hostNativeId: hostId() });
    const batch = await plugin.collectEvents(ctx(), null);
    const types = batch.events.filter((e) => e.vmNativeId === vmId).map((e) => e.type);
    expect(types).toEqual(['vm.created', 'vm.started', 'vm.restarted', 'vm.stopped', 'vm.deleted']);
    const stop = batch.events.find((e) => e.vmNativeId === vmId && e.type === 'vm.stopped');
    expect(stop?.message).toMatch(/shut down using the Shutdown Integration Component/);
  });
});
