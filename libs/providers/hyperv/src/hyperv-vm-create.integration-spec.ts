import { ProviderErrorCode, type InventoryChunk, type ProviderContext, type ProviderLogger, type ProvisionSource, type ProvisionSpec, type ResourceRef } from '@hybridforms/core';
import { HyperVHostSimulator, SIM_LIBRARY_PATH, SIM_TEMPLATE_VM_ID } from '@hybridforms/testing';
import { hostNativeId } from './hyperv.collector.js';
import type { HyperVCredentials, HyperVProviderConfig } from './hyperv-provider.config.js';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';
import { HYPERV_CREATE_STEPS } from './hyperv-vm-create.script.js';

const MB = 1024 * 1024;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example';

describe.each([['5.1' as const], ['7' as const]])('Hyper-V create steps over real SSH (PowerShell %s)', (powershell) => {
  let host: HyperVHostSimulator;
  const plugin = new HyperVProviderPlugin();
  const logger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 2, powershell, templateVm: true, guestBootMs: 300 });
  });
  afterAll(async () => {
    await host?.stop();
  });
  afterEach(() => {
    host.clearFaults();
    host.setHostMemoryInUse(0);
  });

  const ctx = (): ProviderContext<HyperVProviderConfig, HyperVCredentials> => ({
    providerId: 'p',
    config: {
      username: host.username,
      hosts: [{ host: host.host, port: host.port, hostKeyFingerprint: host.hostKeyFingerprint, libraryPaths: [SIM_LIBRARY_PATH] }],
      commandTimeoutSeconds: 10,
      guestWaitSeconds: 10,
    },
    credentials: { password: host.password },
    logger,
  });
  const hostId = () => hostNativeId({ host: host.host, port: host.port });
  const source = async (pick: (s: ProvisionSource) => boolean): Promise<ProvisionSource> => (await plugin.provisionSources(ctx())).find(pick)!;
  const spec = async (name: string, over: Partial<ProvisionSpec> = {}): Promise<ProvisionSpec> => ({
    requestId: 'req-1',
    taskId: `task-${name}`,
    name,
    source: await source((s) => s.name === 'rhel-9.4-gold'),
    size: { cpuCount: 2, memoryMB: 4096 },
    placement: { hostNativeId: hostId(), switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs' },
    admin: { username: 'cloud-user', sshPublicKey: KEY },
    userData: null,
    tags: {},
    licenseModel: null,
    ...over,
  });
  /** Runs the steps in order, as the host engine does; what each made. */
  const runAll = async (s: ProvisionSpec): Promise<ResourceRef[]> => {
    const made: ResourceRef[] = [];
    for (const step of HYPERV_CREATE_STEPS) {
      const answer = await plugin.provisionStep(ctx(), s, step, false);
      expect(answer.state).toBe('done');
      if (answer.made) made.push(answer.made);
    }
    return made;
  };
  const vmsNamed = (name: string) => JSON.parse(host.inventoryText()).vms.filter((vm: { VMName: string }) => vm.VMName === name);
  const inventoryOf = async (vmId: string) => {
    const chunks: InventoryChunk[] = [];
    for await (const chunk of plugin.collectInventory(ctx(), { kind: 'targeted', nativeIds: [vmId] })) chunks.push(chunk);
    return chunks.flatMap((c) => c.vms);
  };

  it('makes a VM from a template VHDX step by step: a differencing disk, New-VM, processors, memory, switch, start, and a guest that reports RHEL 9.4', async () => {
    const s = await spec('rhel9-made01');
    const [disk, vm] = await runAll(s);
    expect(disk).toEqual({ kind: 'disk', nativeId: 'D:\\VMs\\rhel9-made01.vhdx', name: 'rhel9-made01.vhdx', hostNativeId: hostId() });
    expect(vm).toMatchObject({ kind: 'vm', name: 'rhel9-made01', hostNativeId: hostId(), nativeId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(host.vhdFile('D:\\VMs\\rhel9-made01.vhdx')).toMatchObject({ vhdType: 'Differencing', parentPath: `${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx` });
    expect(host.vmState(vm.nativeId)).toBe('Running');
    expect(host.appliedCmdlets(vm.nativeId)).toEqual([
      `New-VM ${vm.nativeId}`,
      `Set-VMProcessor -Count 2 ${vm.nativeId}`,
      // New-VM -MemoryStartupBytes set it already.
      `no-op ${vm.nativeId}`,
      `Connect-VMNetworkAdapter -SwitchName ${host.switchNames()[0]} ${vm.nativeId}`,
      `Start-VM ${vm.nativeId}`,
      `no-op ${vm.nativeId}`,
    ]);
    const [listed] = vmsNamed('rhel9-made01');
    expect(listed).toMatchObject({ ProcessorCount: 2, MemoryStartup: 4096 * MB, Notes: 'hybridforms-request=req-1; hybridforms-task=task-rhel9-made01' });
    expect(host.eventRecords('Microsoft-Windows-Hyper-V-VMMS-Admin').filter((e) => e.id === 13002 && e.vmId === vm.nativeId)).toHaveLength(1);

    // The inventory reads it in, classified from the guest's own KVP report.
    const [record] = await inventoryOf(vm.nativeId);
    expect(record).toMatchObject({ name: 'rhel9-made01', osFamily: 'rhel', osVersion: '9.4', osSource: 'kvp', powerState: 'running' });
  });

  it('asked again, every step finds what it made: no second VHD or VM', async () => {
    const s = await spec('rhel9-made02');
    const first = await runAll(s);
    const before = host.requests.length;
    const again = await runAll(s);
    expect(again).toEqual(first);
    expect(vmsNamed('rhel9-made02')).toHaveLength(1);
    const labels = host.requests.slice(before).flatMap((r) => (r.label ? r.label.split('; ') : []));
    expect(labels.every((l) => l.startsWith('no-op '))).toBe(true);
  });

  it('makes a VM from the template VM as a full copy of its first disk; the guest reports the template\'s RHEL', async () => {
    const fromVm = await source((s) => s.ref === `vm:${SIM_TEMPLATE_VM_ID}`);
    const [disk, vm] = await runAll(await spec('rhel9-copy01', { source: fromVm, placement: { hostNativeId: hostId(), switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs', copyVhd: true } }));
    expect(host.vhdFile(disk.nativeId)).toMatchObject({ vhdType: 'Dynamic', parentPath: null });
    const [record] = await inventoryOf(vm.nativeId);
    expect(record).toMatchObject({ osFamily: 'rhel', osVersion: '9.4' });
  });

  it('sees New-VHD refuse a parent that is gone, with its own error', async () => {
    const gold = await source((s) => s.name === 'rhel-8.10-gold');
    const gone = { ...gold, ref: gold.ref.replace('rhel-8.10-gold', 'rhel-8.10-deleted') };
    const error = await plugin.provisionStep(ctx(), await spec('rhel8-orphan', { source: gone }), 'vhd', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.NotFound, message: expect.stringMatching(/^New-VHD could not make VHD rhel8-orphan\.vhdx .*The system cannot find the file specified\. \(0x80070002\)/) });
    expect(host.vhdFile('D:\\VMs\\rhel8-orphan.vhdx')).toBeNull();
  });

  it('sees Connect-VMNetworkAdapter refuse an unknown switch', async () => {
    const s = await spec('rhel9-noswitch', { placement: { hostNativeId: hostId(), switchName: 'vSwitch-Nope', vhdFolder: 'D:\\VMs' } });
    for (const step of ['vhd', 'vm', 'processor', 'memory']) await plugin.provisionStep(ctx(), s, step, false);
    const error = await plugin.provisionStep(ctx(), s, 'network', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.NotFound, message: expect.stringContaining('Hyper-V was unable to find a virtual switch with name "vSwitch-Nope"') });
  });

  it('sees Start-VM refuse when the host has not enough memory (15130 in VMMS-Admin), and the made VM and VHD deleted again', async () => {
    const s = await spec('rhel9-nomem');
    const made: ResourceRef[] = [];
    for (const step of ['vhd', 'vm', 'processor', 'memory', 'network']) {
      const answer = await plugin.provisionStep(ctx(), s, step, false);
      if (answer.made) made.push(answer.made);
    }
    host.setHostMemoryInUse(host.memoryFigures().free - 1024 * MB);
    const error = await plugin.provisionStep(ctx(), s, 'start', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.Conflict, retryable: false, message: expect.stringContaining('Not enough memory in the system to start the virtual machine rhel9-nomem') });
    const vmId = made[1].nativeId;
    expect(host.vmState(vmId)).toBe('Off');
    expect(host.eventRecords('Microsoft-Windows-Hyper-V-VMMS-Admin').some((e) => e.id === 15130 && e.vmId === vmId)).toBe(true);

    // The cleanup the host engine runs: last made first.
    for (const ref of [...made].reverse()) expect(await plugin.deleteResource(ctx(), ref)).toEqual({ state: 'done' });
    expect(host.vmIds()).not.toContain(vmId);
    expect(host.vhdFile('D:\\VMs\\rhel9-nomem.vhdx')).toBeNull();
    expect(host.vhdFile(`${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx`)).not.toBeNull();
  });

  it('removes a VM it made but could not tag, so asking again makes it (and cleanup never misses one)', async () => {
    const s = await spec('rhel9-untagged');
    await plugin.provisionStep(ctx(), s, 'vhd', false);
    host.injectFault({ kind: 'cmdlet-error', cmdlet: 'Set-VM', marker: 'vm-create', message: 'The operation failed because the file was not found.' });
    const error = await plugin.provisionStep(ctx(), s, 'vm', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringContaining('Set-VM failed on VM \'rhel9-untagged\'') });
    expect(vmsNamed('rhel9-untagged')).toEqual([]);
    const again = await plugin.provisionStep(ctx(), s, 'vm', false);
    expect(vmsNamed('rhel9-untagged')).toEqual([expect.objectContaining({ VMId: again.made!.nativeId })]);
  });

  it('takes no VHD already at its path that it would not have made', async () => {
    host.addVhdFile({ path: 'D:\\VMs\\rhel9-squat.vhdx', vhdType: 'Dynamic', size: 8 * 1024 * MB, fileSize: 1024 * MB });
    const error = await plugin.provisionStep(ctx(), await spec('rhel9-squat'), 'vhd', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.Conflict, message: expect.stringMatching(/VHD D:\\VMs\\rhel9-squat\.vhdx exists already .* not one this task made: it is a Dynamic disk, not a differencing disk of /) });
    expect(host.vhdFile('D:\\VMs\\rhel9-squat.vhdx')).toMatchObject({ vhdType: 'Dynamic', parentPath: null });
  });

  it('leaves a same-named VM that is not ours alone', async () => {
    host.addVm({ name: 'rhel9-someone', state: 'Off' });
    const s = await spec('rhel9-someone');
    await plugin.provisionStep(ctx(), s, 'vhd', false);
    const error = await plugin.provisionStep(ctx(), s, 'vm', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.Conflict, message: expect.stringMatching(/a VM named 'rhel9-someone' is on host .* not this task's/) });
    expect(vmsNamed('rhel9-someone')).toHaveLength(1);
  });

  it('waits for the guest within the configured time and says what it saw', async () => {
    const unknown = await source((s) => s.name === 'ubuntu-22.04-base');
    host.addVhdFile({ path: `${SIM_LIBRARY_PATH}\\appliance.vhdx`, vhdType: 'Dynamic', size: 8 * 1024 * MB, fileSize: 1024 * MB });
    const silent = { ...unknown, ref: unknown.ref.replace('ubuntu-22.04-base', 'appliance'), name: 'appliance' };
    const s = await spec('silent01', { source: silent, size: { cpuCount: 1, memoryMB: 1024 } });
    for (const step of ['vhd', 'vm', 'processor', 'memory', 'network', 'start']) await plugin.provisionStep(ctx(), s, step, false);
    const quick = { ...ctx(), config: { ...ctx().config, guestWaitSeconds: 5 } };
    const error = await plugin.provisionStep(quick, s, 'guest', false).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ProviderErrorCode.Timeout, message: expect.stringMatching(/did not report its OS and an IPv4 address within 5 s: no KVP data/) });
  }, 20_000);
});
