import { HyperVHostSimulator, SIM_LIBRARY_PATH, SIM_TEMPLATE_VM_ID } from '@hybridforms/testing';
import { RunProvisionRequest } from '@hybridforms/provisioning';
import { createScratchDatabase } from '../support/postgres.js';
import { hypervProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';

type Step = { name: string; status: string; target: { kind: string; nativeId: string; name: string; hostNativeId?: string | null } | null; detail: string | null };
type Task = { id: string; status: string; vmId: string | null; vmName: string; steps: Step[]; errorCode: string | null; error: string | null };
type Request = { id: string; status: string; reason: string | null; finishedAt: string | null; tasks: Task[] };
type Source = { ref: string; kind: string; name: string; hostNativeId: string };

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const ENDED = ['succeeded', 'failed', 'canceled'];
const RUN_MS = 180_000;
const MB = 1024 * 1024;
const CREATE_STEPS = ['vhd', 'vm', 'processor', 'memory', 'network', 'start', 'guest'];

/**
 * Provision requests carried out on a Hyper-V host over real SSH: the plugin's create steps
 * against the host simulator, the new VM read into the inventory by a targeted refresh (classified
 * from its guest's KVP report) and linked to its request; a task that fails at Start-VM for lack
 * of host memory removes the VM and the VHD it made.
 */
describe.each([['sqlite'], ['postgresql']])('Hyper-V provision requests carried out on %s (create steps, inventory, cleanup)', (driver) => {
  let host: HyperVHostSimulator;
  let t: TestApp;
  let hypervId: string;
  let gold: Source;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const body = (overrides: Record<string, unknown> = {}) => ({
    provider: hypervId,
    source: gold.ref,
    size: { cpuCount: 2, memoryMB: 2048 },
    placement: { hostNativeId: gold.hostNativeId, switchName: host.switchNames()[0], vhdFolder: 'D:\\VMs' },
    admin: { username: 'cloud-user', sshPublicKey: KEY },
    ...overrides,
  });
  const requestOf = async (id: string): Promise<Request> => (await t.http().get(`/api/v1/provision-requests/${id}`).expect(200)).body;
  const ended = (request: Request) => ENDED.includes(request.status) && request.finishedAt !== null && request.tasks.every((task) => ENDED.includes(task.status));
  const waitForEnd = async (id: string, timeoutMs = 120_000): Promise<Request> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const request = await requestOf(id);
      if (ended(request)) return request;
      if (Date.now() > deadline) throw new Error(`provision request ${id} still ${request.status}: ${JSON.stringify(request.tasks.map((task) => task.steps))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const submit = async (overrides: Record<string, unknown>): Promise<Request> => (await t.http().post('/api/v1/provision-requests').send(body(overrides)).expect(201)).body;
  const vmsNamed = (name: string) => JSON.parse(host.inventoryText()).vms.filter((vm: { VMName: string }) => vm.VMName === name);

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 0, templateVm: true });
    host.addFolder('D:\\VMs');
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_provision_hv') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const hvRequest = hypervProviderRequest(host, 'hv-made');
    const hyperv = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...hvRequest, config: { ...hvRequest.config, hosts: hvRequest.config.hosts.map((entry) => ({ ...entry, libraryPaths: [SIM_LIBRARY_PATH] })) } })
      .expect(201);
    hypervId = hyperv.body.id;
    await waitForRefresh(t, hyperv.body.refreshId);
    const { items } = (await t.http().get(`/api/v1/provisioning/sources?provider=${hypervId}`).expect(200)).body as { items: Source[] };
    gold = items.find((s) => s.name === 'rhel-9.4-gold')!;
  }, RUN_MS);
  afterAll(async () => {
    await t?.app.get(RunProvisionRequest).idle();
    await t?.close();
    await scratch?.drop();
    await host?.stop();
  });

  it.each([
    ['a template VHDX', 'hv-made-1', () => gold.ref],
    ['the template VM', 'hv-made-2', () => `vm:${SIM_TEMPLATE_VM_ID}`],
  ])(
    'makes a RHEL VM from %s: every step done in order, the VM in /vms classified rhel and linked to its request',
    async (_from, name, source) => {
      const submitted = await submit({ name, source: source() });
      expect(submitted.status).toBe('running');
      const done = await waitForEnd(submitted.id);
      expect(done.status).toBe('succeeded');
      const [task] = done.tasks;
      expect(task).toMatchObject({ status: 'succeeded', vmName: name, errorCode: null });
      expect(task.steps.map((step) => [step.name, step.status])).toEqual([...CREATE_STEPS, 'refresh'].map((step) => [step, 'done']));
      expect(task.steps[0].target).toMatchObject({ kind: 'disk', nativeId: `D:\\VMs\\${name}.vhdx` });
      const made = task.steps[1].target!;
      expect(made).toMatchObject({ kind: 'vm', name, nativeId: expect.stringMatching(/^[0-9a-f-]{36}$/), hostNativeId: gold.hostNativeId });

      const listed = (await t.http().get(`/api/v1/vms?provider=${hypervId}&osFamily=rhel`).expect(200)).body.items as { id: string; name: string; osVersion: string; powerState: string }[];
      expect(listed.find((vm) => vm.name === name)).toMatchObject({ id: task.vmId, osVersion: '9.4', powerState: 'running' });
      const vm = (await t.http().get(`/api/v1/vms/${task.vmId}`).expect(200)).body;
      expect(vm).toMatchObject({ name, nativeId: made.nativeId, osFamily: 'rhel', osSource: 'kvp', provisionedBy: { requestId: submitted.id, taskId: task.id, status: 'succeeded' } });

      // Made once, with the asked size, on the asked switch, from a differencing disk of the template.
      expect(vmsNamed(name)).toEqual([expect.objectContaining({ ProcessorCount: 2, MemoryStartup: 2048 * MB })]);
      expect(host.vhdFile(`D:\\VMs\\${name}.vhdx`)).toMatchObject({ vhdType: 'Differencing' });
    },
    RUN_MS,
  );

  it(
    'fails a task whose Start-VM finds too little host memory, and removes the VM and the VHD it made, last made first',
    async () => {
      const submitted = await submit({ name: 'hv-nomem-1', size: { cpuCount: 1, memoryMB: 4096 } });
      // The check at submit saw enough memory; the host's own use grows before the task gets to start.
      host.setHostMemoryInUse(host.memoryFigures().free - 1024 * MB);
      try {
        const done = await waitForEnd(submitted.id);
        expect(done).toMatchObject({ status: 'failed', reason: '1 of 1 VM(s) not made (their tasks say why)' });
        const [task] = done.tasks;
        expect(task).toMatchObject({ status: 'failed', vmId: null, errorCode: 'conflict' });
        expect(task.error).toMatch(/Not enough memory in the system to start the virtual machine hv-nomem-1/);
        expect(task.steps.map((step) => [step.name, step.status, step.target?.kind ?? null])).toEqual([
          ['vhd', 'done', 'disk'],
          ['vm', 'done', 'vm'],
          ['processor', 'done', null],
          ['memory', 'done', null],
          ['network', 'done', null],
          ['start', 'failed', null],
          ['guest', 'pending', null],
          ['refresh', 'pending', null],
          ['cleanup', 'done', 'vm'],
          ['cleanup', 'done', 'disk'],
        ]);
        const vmId = task.steps[1].target!.nativeId;
        expect(host.vmIds()).not.toContain(vmId);
        expect(vmsNamed('hv-nomem-1')).toEqual([]);
        expect(host.vhdFile('D:\\VMs\\hv-nomem-1.vhdx')).toBeNull();
        expect(host.vhdFile(`${SIM_LIBRARY_PATH}\\rhel-9.4-gold.vhdx`)).not.toBeNull();
        expect(host.eventRecords('Microsoft-Windows-Hyper-V-VMMS-Admin').some((e) => e.id === 15130 && e.vmId === vmId)).toBe(true);
      } finally {
        host.setHostMemoryInUse(0);
      }
    },
    RUN_MS,
  );

  it('refuses user data on Hyper-V at submit: nothing could hand it to the guest', async () => {
    const refused = await t.http().post('/api/v1/provision-requests').send(body({ name: 'hv-cloudinit-1', userData: '#cloud-config\n' })).expect(400);
    // One problem is the message itself, several a list.
    expect([refused.body.message].flat()).toEqual([expect.stringMatching(/^userData: Hyper-V has no channel .*\(VM 'hv-cloudinit-1'\)$/)]);
  });
});
