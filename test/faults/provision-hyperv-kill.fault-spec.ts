import { HyperVHostSimulator, SIM_LIBRARY_PATH, type HyperVFaultKind } from '@hybridforms/testing';
import { hypervProviderRequest } from '../support/provider-requests.js';
import { apiFromUrl, checkInvariants, openDb, type DbAccess } from './support/invariants.js';
import { killedServiceScenarios, QUIET_SCHEDULES } from './support/killed-service.js';
import { endedRequest, stepsOf } from './support/provision-tasks.js';
import { waitFor, type ServiceProcess } from './support/service-process.js';

/*
 * The real service as a child process, SIGKILLed while it makes a VM on a Hyper-V host: at each
 * create step just after the host ran the step's cmdlets and before the answer came back (the
 * SSH session dies with the process, as a client killed mid-command leaves it), and once while a
 * step had not run at all, then while its refresh reads the host. After each restart the task asks that step again; the step finds what
 * the host made (the VHD by its path, the VM by its name and task tag) and makes no second one.
 * A task that fails at Start-VM is killed while it cleans up: the restart finishes the cleanup.
 * And a worker killed while the host's New-VM is still under way: the host runs that script on,
 * and the step asked again waits for it on the VM name's mutex instead of racing it.
 */

const SCENARIO_MS = 240_000;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const MB = 1024 * 1024;
const CREATE_STEPS = ['vhd', 'vm', 'processor', 'memory', 'network', 'start', 'guest'] as const;

type Step = { name: string; status: string; target?: { kind: string; nativeId: string; name: string } | null };
type Task = { id: string; status: string; vmId: string | null; error: string | null; errorCode: string | null; steps: Step[] };
type Request = { id: string; status: string; finishedAt: string | null; tasks: Task[] };
type Source = { ref: string; name: string; hostNativeId: string };
type HostVm = { VMId: string; VMName: string; ProcessorCount: number; MemoryStartup: number; Notes: string };

let scenarios = 0;
let checks = 0;
afterAll(() => console.log(`faults: ${scenarios} scenarios, ${checks} invariant checks (provision-hyperv-kill.fault-spec.ts)`));

describe.each([['sqlite'], ['postgresql']] as const)('Hyper-V provision tasks of a service SIGKILLed and started again (%s)', (driver) => {
  const { cleanups, withOutput, start } = killedServiceScenarios(driver);

  async function setUp(): Promise<{ host: HyperVHostSimulator; svc: ServiceProcess; db: DbAccess; providerId: string; gold: Source }> {
    const host = await HyperVHostSimulator.start({ vmCount: 0, templateVm: true });
    cleanups.push(() => host.stop());
    host.addFolder('D:\\VMs');
    const { svc, databaseUrl } = await start(QUIET_SCHEDULES, 'hf_phk');
    const request = hypervProviderRequest(host, `phk-${driver}`);
    // A command outlives the kill: only the SIGKILL ends a step whose answer never comes.
    const hosts = request.config.hosts.map((entry) => ({ ...entry, libraryPaths: [SIM_LIBRARY_PATH] }));
    const created = await svc.api<{ id: string }>('POST', '/api/v1/providers', { ...request, config: { ...request.config, hosts, commandTimeoutSeconds: 120 } });
    expect(created.status).toBe(201);
    const db = await openDb({ databaseUrl, dataDir: svc.dataDir });
    cleanups.push(() => db.close());
    // The template VM is the host's only VM.
    await waitFor('the first refresh', async () => (await svc.api<{ items: unknown[] }>('GET', `/api/v1/vms?provider=${created.body.id}`)).body.items.length === 1, 60_000);
    const sources = await svc.api<{ items: Source[] }>('GET', `/api/v1/provisioning/sources?provider=${created.body.id}`);
    const gold = sources.body.items.find((source) => source.name === 'rhel-9.4-gold');
    expect(gold).toBeDefined();
    return { host, svc, db, providerId: created.body.id, gold: gold! };
  }

  const submit = async (svc: ServiceProcess, providerId: string, gold: Source, host: HyperVHostSimulator, name: string, size: { cpuCount: number; memoryMB: number }) => {
    const res = await svc.api<Request>('POST', '/api/v1/provision-requests', {
      provider: providerId,
      source: gold.ref,
      name,
      size,
      placement: { hostNativeId: gold.hostNativeId, switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs' },
      admin: { username: 'cloud-user', sshPublicKey: KEY },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  // ConvertTo-Json writes one VM bare, none as null.
  const vmsNamed = (host: HyperVHostSimulator, name: string): HostVm[] => [(JSON.parse(host.inventoryText()) as { vms: HostVm[] | HostVm | null }).vms ?? []].flat().filter((vm) => vm.VMName === name);
  const vhdsOf = (host: HyperVHostSimulator, name: string) => host.vhdFiles().filter((file) => file.path.toLowerCase().startsWith(`d:\\vms\\${name}.`));
  /** How often the host applied a cmdlet (its label starts so) on the given VM or file. */
  const applied = (host: HyperVHostSimulator, cmdlet: string, target: string) => host.appliedCmdlets(target).filter((label) => label.startsWith(`${cmdlet} `)).length;
  const taken = (host: HyperVHostSimulator, step: string, kind: HyperVFaultKind) => host.requests.some((r) => r.marker === 'vm-create' && r.step === step && r.fault === kind);

  it(
    'killed at every create step after the host ran it (once before), and in its refresh: each step asked again finds what it made, one VHD, one VM, read into the inventory and linked',
    withOutput(async () => {
      const { host, svc, db, providerId, gold } = await setUp();
      const name = 'hvk-1';
      const vhdPath = `D:\\VMs\\${name}.vhdx`;
      // Faults of one step are taken in the order given: the vm step first hangs unrun, then runs unanswered.
      const kills: [step: (typeof CREATE_STEPS)[number], kind: HyperVFaultKind][] = [
        ['vhd', 'answer-lost'],
        ['vm', 'hang'],
        ['vm', 'answer-lost'],
        ['processor', 'answer-lost'],
        ['memory', 'answer-lost'],
        ['network', 'answer-lost'],
        ['start', 'answer-lost'],
        ['guest', 'answer-lost'],
      ];
      for (const [step, kind] of kills) host.injectFault({ kind, marker: 'vm-create', step });
      const request = await submit(svc, providerId, gold, host, name, { cpuCount: 2, memoryMB: 2048 });

      for (const [step, kind] of kills) {
        await waitFor(`the ${step} step's script to be taken by a '${kind}' fault`, () => taken(host, step, kind), 60_000);
        await svc.kill('SIGKILL');
        const vms = vmsNamed(host, name);
        // What the host holds at each kill: nothing made twice, and a hung step made nothing.
        expect(vhdsOf(host, name)).toHaveLength(1);
        if (step === 'vm' && kind === 'hang') expect(vms).toEqual([]);
        else if (step !== 'vhd') expect(vms).toHaveLength(1);
        if (step === 'processor') expect(vms[0].ProcessorCount).toBe(2);
        if (step === 'start') expect(host.vmState(vms[0].VMId)).toBe('Running');
        await svc.restart();
      }
      // Past the guest step, the task's targeted refresh is caught reading the host's inventory.
      host.injectFault({ kind: 'hang', marker: 'inventory' });
      await waitFor('the task to wait for its VM in the inventory, its refresh hanging', async () => (await stepsOf<Step>(db, request.id)).find((step) => step.name === 'refresh')?.status === 'running' && host.requests.some((r) => r.marker === 'inventory' && r.fault === 'hang'), 60_000);
      await svc.kill('SIGKILL');
      await svc.restart();

      const done = await waitFor('the request to end', () => endedRequest<Request>(svc, request.id), 120_000);
      expect(done.status).toBe('succeeded');
      const [task] = done.tasks;
      expect(task.steps.map((step) => [step.name, step.status])).toEqual([...CREATE_STEPS, 'refresh'].map((step) => [step, 'done']));
      const vms = vmsNamed(host, name);
      expect(vms).toHaveLength(1);
      const [vm] = vms;
      expect(vm).toMatchObject({ ProcessorCount: 2, MemoryStartup: 2048 * MB, Notes: expect.stringContaining(`hybridforms-task=${task.id}`) });
      expect(task.steps[0].target).toMatchObject({ kind: 'disk', nativeId: vhdPath });
      expect(task.steps[1].target).toMatchObject({ kind: 'vm', nativeId: vm.VMId, name });
      expect(vhdsOf(host, name)).toEqual([expect.objectContaining({ path: vhdPath, vhdType: 'Differencing', parentPath: `${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx` })]);
      // Each cmdlet applied once, however often its step was asked.
      expect([applied(host, 'New-VHD', vhdPath), applied(host, 'New-VM', vm.VMId), applied(host, 'Set-VMProcessor', vm.VMId), applied(host, 'Start-VM', vm.VMId)]).toEqual([1, 1, 1, 1]);
      expect(applied(host, 'Connect-VMNetworkAdapter', vm.VMId)).toBe(1);
      expect(host.vmState(vm.VMId)).toBe('Running');

      const listed = (await svc.api<{ id: string; name: string; nativeId: string; osFamily: string; osVersion: string; provisionedBy: { requestId: string; taskId: string } | null }>('GET', `/api/v1/vms/${task.vmId}`)).body;
      expect(listed).toMatchObject({ name, nativeId: vm.VMId, osFamily: 'rhel', osVersion: '9.4', provisionedBy: { requestId: request.id, taskId: task.id } });
      checks += await checkInvariants({ api: apiFromUrl(svc.url, svc.authHeaders), db, providers: [{ providerId, vmNativeIds: host.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    "killed while the host's New-VM is under way: its script runs on, and the vm step asked again after the restart waits for it on the VM name's mutex, finds its VM and makes no second one",
    withOutput(async () => {
      const { host, svc, db, providerId, gold } = await setUp();
      const name = 'hvk-3';
      // Longer than a restart and the task's resumption take, so the step asked again comes while the old script still runs.
      host.injectFault({ kind: 'slow', marker: 'vm-create', step: 'vm', delayMs: 30_000 });
      const request = await submit(svc, providerId, gold, host, name, { cpuCount: 1, memoryMB: 1024 });
      await waitFor("the vm step's script to be taken by the 'slow' fault", () => taken(host, 'vm', 'slow'), 60_000);
      await svc.kill('SIGKILL');
      expect(vmsNamed(host, name)).toEqual([]);
      await svc.restart();

      const done = await waitFor('the request to end', () => endedRequest<Request>(svc, request.id), 150_000);
      expect(done.status).toBe('succeeded');
      // Counted once the killed worker's script, which the host ran on, has ended.
      await waitFor("the killed worker's script to end on the host", () => host.requests.some((r) => r.fault === 'slow' && r.label !== undefined), 60_000);
      const [task] = done.tasks;
      const vms = vmsNamed(host, name);
      expect(vms).toEqual([expect.objectContaining({ Notes: expect.stringContaining(`hybridforms-task=${task.id}`) })]);
      expect(task.steps.find((step) => step.name === 'vm')?.target).toMatchObject({ kind: 'vm', nativeId: vms[0].VMId });
      expect(applied(host, 'New-VM', vms[0].VMId)).toBe(1);
      // The killed worker's script made the VM; the step asked again waited for it and found it.
      expect(host.requests.filter((r) => r.marker === 'vm-create' && r.step === 'vm').map((r) => [r.fault ?? null, r.lock])).toEqual([
        ['slow', 'taken'],
        [null, 'waited'],
      ]);
      checks += await checkInvariants({ api: apiFromUrl(svc.url, svc.authHeaders), db, providers: [{ providerId, vmNativeIds: host.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'killed while a task whose Start-VM found too little memory cleans up, after the host removed the VM and again after it deleted the VHD: the restarts finish the cleanup and leave nothing behind',
    withOutput(async () => {
      const { host, svc, db, providerId, gold } = await setUp();
      const name = 'hvk-2';
      const vhdPath = `D:\\VMs\\${name}.vhdx`;
      host.injectFault({ kind: 'answer-lost', marker: 'vm-action' });
      host.injectFault({ kind: 'answer-lost', marker: 'vhd-remove' });
      const request = await submit(svc, providerId, gold, host, name, { cpuCount: 1, memoryMB: 4096 });
      // The check at submit saw enough memory; the host's own use grows before the task gets to start.
      host.setHostMemoryInUse(host.memoryFigures().free - 1024 * MB);

      await waitFor("the cleanup's Remove-VM to be run and its answer lost", () => host.requests.some((r) => r.marker === 'vm-action' && r.fault === 'answer-lost'), 90_000);
      await svc.kill('SIGKILL');
      expect(vmsNamed(host, name)).toEqual([]);
      expect(vhdsOf(host, name)).toHaveLength(1);
      await svc.restart();
      await waitFor("the cleanup's VHD delete to be run and its answer lost", () => host.requests.some((r) => r.marker === 'vhd-remove' && r.fault === 'answer-lost'), 90_000);
      await svc.kill('SIGKILL');
      expect(vhdsOf(host, name)).toEqual([]);
      await svc.restart();

      const done = await waitFor('the request to end', () => endedRequest<Request>(svc, request.id), 120_000);
      expect(done.status).toBe('failed');
      const [task] = done.tasks;
      expect(task).toMatchObject({ status: 'failed', vmId: null, errorCode: 'conflict' });
      expect(task.error).toMatch(/Not enough memory in the system to start the virtual machine hvk-2/);
      expect(task.steps.filter((step) => step.name === 'cleanup').map((step) => [step.target?.kind, step.status])).toEqual([
        ['vm', 'done'],
        ['disk', 'done'],
      ]);
      const vmId = task.steps.find((step) => step.name === 'vm')!.target!.nativeId;
      // Removed once each: the steps asked again found them gone.
      expect([applied(host, 'Remove-VM', vmId), applied(host, 'Remove-Item', vhdPath)]).toEqual([1, 1]);
      expect(host.vmIds()).not.toContain(vmId);
      expect(vhdsOf(host, name)).toEqual([]);
      expect(host.vhdFile(`${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx`)).not.toBeNull();
      checks += await checkInvariants({ api: apiFromUrl(svc.url, svc.authHeaders), db, providers: [{ providerId, vmNativeIds: host.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );
});
