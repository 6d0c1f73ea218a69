import { DataSource } from 'typeorm';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { RunProvisionRequest } from '@hybridforms/provisioning';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';

type Step = { name: string; status: string; target: { kind: string; nativeId: string; name: string } | null; detail: string | null; errorCode?: string };
type Task = { id: string; kind: string; status: string; vmId: string | null; vmName: string; provisionRequestId: string; steps: Step[]; errorCode: string | null; error: string | null };
type Request = { id: string; status: string; reason: string | null; finishedAt: string | null; tasks: Task[]; userData: unknown };

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const LOCATION = 'eastus';
const ON_DEMAND = `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`;
const CLOUD_ACCESS = `marketplace:${LOCATION}:RedHat:rhel-byos:rhel-lvm9`;
const ENDED = ['succeeded', 'failed', 'canceled'];
const RUN_MS = 180_000;

/**
 * Provision requests carried out: tasks against the Azure simulator through the real SDK, the VM
 * read into the inventory by a targeted refresh and linked to its request, its retirement date, the
 * post-provision playbook over real SSH (a loopback sshd stands in for the new VM), cleanup of what
 * a failed or canceled task made.
 */
describe.each([['sqlite'], ['postgresql']])('provision requests carried out on %s (tasks, steps, inventory, playbook, cleanup, cancel)', (driver) => {
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let t: TestApp;
  let azureId: string;
  let subnetId: string;
  let credentialId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const body = (overrides: Record<string, unknown> = {}) => ({
    provider: azureId,
    source: ON_DEMAND,
    size: { vmSize: 'Standard_D2s_v3' },
    placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: true },
    admin: { username: 'cloud-user', sshPublicKey: KEY },
    ...overrides,
  });
  const requestOf = async (id: string): Promise<Request> => (await t.http().get(`/api/v1/provision-requests/${id}`).expect(200)).body;
  const waitFor = async (id: string, until: (request: Request) => boolean, timeoutMs = 90_000): Promise<Request> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const request = await requestOf(id);
      if (until(request)) return request;
      if (Date.now() > deadline) throw new Error(`provision request ${id} still ${request.status}: ${JSON.stringify(request.tasks.map((task) => task.steps))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const ended = (request: Request) => ENDED.includes(request.status) && request.finishedAt !== null && request.tasks.every((task) => ENDED.includes(task.status));
  const submit = async (overrides: Record<string, unknown>): Promise<Request> => (await t.http().post('/api/v1/provision-requests').send(body(overrides)).expect(201)).body;
  const armId = (kind: string, name: string) => `/subscriptions/${sim.subscriptionIds[0]}/resourceGroups/rg-net/providers/${kind}/${name}`.toLowerCase();

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0, operationDelayMs: 300 });
    subnetId = sim.addSubnet(sim.subscriptionIds[0], 'rg-net', 'vnet-app');
    // A VM made from a customer's gold image: the inventory discovers the image, a custom-image source.
    sim.addVm(sim.subscriptionIds[0], {
      name: 'from-gold',
      resourceGroup: 'rg-old',
      location: LOCATION,
      imageReference: { id: `/subscriptions/${sim.subscriptionIds[0]}/resourceGroups/rg-images/providers/Microsoft.Compute/images/rhel9-gold` },
      guestOsName: 'redhat',
      guestOsVersion: '9.2',
    });
    sshd = await startLoopbackSshd();
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_provision_run') : null;
    // A cloud step that does not settle within 15 s fails its task (one test waits that long).
    t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_OPERATION_TIMEOUT_SECONDS: '15', HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const azureRequest = azureProviderRequest(sim, 'azure-made');
    const azure = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...azureRequest, config: { ...azureRequest.config, locations: [LOCATION] } })
      .expect(201);
    azureId = azure.body.id;
    await waitForRefresh(t, azure.body.refreshId);
    credentialId = (
      await t.http().post('/api/v1/machine-credentials').send({ name: 'new-vms', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine }).expect(201)
    ).body.id;
  }, RUN_MS);
  afterAll(async () => {
    // Every task ends before the app closes (it would hand a running one back after a grace).
    await t?.app.get(RunProvisionRequest).idle();
    await t?.close();
    await scratch?.drop();
    await sshd?.stop();
    await sim?.stop();
  }, RUN_MS);

  it(
    'makes an On-Demand RHEL VM step by step, reads it into /vms linked to its request, sets its retirement and runs the post-provision playbook',
    async () => {
      const retiresAt = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
      const userData = '#cloud-config\nruncmd:\n  - echo registered with key s3cr3t-activation-key\n';
      const submitted = await submit({
        name: 'made-1',
        userData,
        retiresAt,
        tags: { team: 'web' },
        postProvision: { playbook: 'playbooks/rhel/gather-facts.yml', credentialId, extraVars: { rhsm_password: 'pp-s3cret-value', region: 'east' } },
      });
      expect(submitted.status).toBe('running');
      // The user data may hold secrets: the API shows only its size and digest.
      expect(JSON.stringify(submitted)).not.toContain('s3cr3t-activation-key');
      expect(submitted.userData).toEqual({ bytes: Buffer.byteLength(userData), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

      expect(submitted).toMatchObject({ postProvision: { extraVars: { rhsm_password: '***', region: 'east' } } });
      // Stored sealed, as a run's secret extra vars are.
      const [row] = await t.app.get(DataSource).query(`SELECT spec FROM provision_requests WHERE id = '${submitted.id}'`);
      expect(String(row.spec)).not.toContain('s3cr3t-activation-key');
      expect(String(row.spec)).not.toContain('pp-s3cret-value');
      const done = await waitFor(submitted.id, ended);
      expect(done.status).toBe('succeeded');
      expect(JSON.stringify(done)).not.toContain('s3cr3t-activation-key');
      const [task] = done.tasks;
      expect(task).toMatchObject({ kind: 'vm-provision', status: 'succeeded', vmName: 'made-1', provisionRequestId: submitted.id, errorCode: null });
      expect(task.steps.map((step) => [step.name, step.status])).toEqual([
        ['publicIp', 'done'],
        ['nic', 'done'],
        ['vm', 'done'],
        ['refresh', 'done'],
        ['retirement', 'done'],
        ['postProvision', 'done'],
      ]);
      expect(task.steps[2].target).toMatchObject({ kind: 'vm', name: 'made-1', nativeId: armId('Microsoft.Compute/virtualMachines', 'made-1') });

      // In the inventory, classified as its source said, and linked back to the request.
      const vm = (await t.http().get(`/api/v1/vms/${task.vmId}`).expect(200)).body;
      expect(vm).toMatchObject({ name: 'made-1', osFamily: 'rhel', licenseModel: 'payg', powerState: 'running', tags: { team: 'web', 'hybridforms-request': submitted.id, 'hybridforms-task': task.id } });
      expect(vm.provisionedBy).toEqual({ requestId: submitted.id, taskId: task.id, requestedBy: expect.any(String), status: 'succeeded' });
      expect(new Date(vm.retirement.retiresAt).toISOString()).toBe(retiresAt);
      expect(vm.nics.map((nic: { name: string }) => nic.name)).toEqual(['made-1-nic']);

      // The playbook ran through the automation, over SSH, on that VM.
      const runId = task.steps[5].target!.nativeId;
      const run = (await t.http().get(`/api/v1/playbook-runs/${runId}`).expect(200)).body;
      expect(run).toMatchObject({ status: 'successful', playbook: 'playbooks/rhel/gather-facts.yml' });
      expect(run.hosts.map((host: { vmId: string }) => host.vmId)).toEqual([task.vmId]);

      // Made once: one VM, one NIC, one public IP of each name in the simulator.
      expect(sim.vmIds().filter((id) => id.toLowerCase().endsWith('/made-1'))).toHaveLength(1);
      expect(sim.hasResource('nic', armId('Microsoft.Network/networkInterfaces', 'made-1-nic'))).toBe(true);
      expect(sim.hasResource('publicIp', armId('Microsoft.Network/publicIPAddresses', 'made-1-ip'))).toBe(true);
      const listed = (await t.http().get(`/api/v1/operations?kind=vm-provision`).expect(200)).body.items as Task[];
      expect(listed.map((operation) => operation.id)).toContain(task.id);
    },
    RUN_MS,
  );

  it(
    'makes a Cloud Access VM from the rhel-byos plan (BYOS: the customer brings the subscription)',
    async () => {
      sim.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm9' }, true);
      const submitted = await submit({ source: CLOUD_ACCESS, name: 'byos-made-1', placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: false } });
      // Followed live: the request and its task at each step, until it has ended.
      const stream = await t.http().get(`/api/v1/provision-requests/${submitted.id}`).set('accept', 'text/event-stream').buffer(true).parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });
      const frames = String(stream.body)
        .split('\n\n')
        .filter((frame) => frame.includes('data: '))
        .map((frame) => ({ type: frame.split('\n').find((line) => line.startsWith('event: '))?.slice(7), data: JSON.parse(frame.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as Request }));
      expect(frames[frames.length - 1]).toMatchObject({ type: 'end', data: { id: submitted.id, status: 'succeeded' } });
      const seenSteps = new Set(frames.flatMap((frame) => frame.data.tasks.flatMap((task) => task.steps.filter((step) => step.status === 'running').map((step) => step.name))));
      expect([...seenSteps]).toEqual(expect.arrayContaining(['nic', 'vm']));
      const done = await waitFor(submitted.id, ended);
      expect(done.status).toBe('succeeded');
      expect(done.tasks[0].steps.map((step) => step.name)).toEqual(['nic', 'vm', 'refresh']);
      const vm = (await t.http().get(`/api/v1/vms/${done.tasks[0].vmId}`).expect(200)).body;
      expect(vm).toMatchObject({ name: 'byos-made-1', osFamily: 'rhel', licenseModel: 'byos', provisionedBy: { requestId: submitted.id } });
    },
    RUN_MS,
  );

  it(
    "makes a VM from a custom image the inventory discovered (a Cloud Access gold image), classified as the image's VMs are",
    async () => {
      const sources = (await t.http().get(`/api/v1/provisioning/sources?provider=${azureId}`).expect(200)).body.items as { ref: string; kind: string }[];
      const gold = sources.find((source) => source.kind === 'custom-image')!;
      expect(gold).toBeDefined();
      const done = await waitFor((await submit({ source: gold.ref, name: 'gold-made-1', placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: false } })).id, ended);
      expect(done.status).toBe('succeeded');
      const vm = (await t.http().get(`/api/v1/vms/${done.tasks[0].vmId}`).expect(200)).body;
      expect(vm).toMatchObject({ name: 'gold-made-1', osFamily: 'rhel', licenseModel: 'byos', provisionedBy: { requestId: done.id } });
      expect(vm.image?.name).toBe('rhel9-gold');
    },
    RUN_MS,
  );

  it(
    'deletes what a task made when Azure reports the allocation failed, last made first, unless the request keeps it',
    async () => {
      sim.failVmOperations({ action: 'create', times: 1 });
      const submitted = await submit({ name: 'doomed-1' });
      const done = await waitFor(submitted.id, ended);
      expect(done).toMatchObject({ status: 'failed', reason: '1 of 1 VM(s) not made (their tasks say why)' });
      const [task] = done.tasks;
      expect(task).toMatchObject({ status: 'failed', vmId: null, errorCode: expect.any(String) });
      expect(task.error).toMatch(/AllocationFailed|allocat/i);
      expect(task.steps.map((step) => [step.name, step.status, step.target?.name ?? null])).toEqual([
        ['publicIp', 'done', 'doomed-1-ip'],
        ['nic', 'done', 'doomed-1-nic'],
        ['vm', 'failed', 'doomed-1'],
        ['refresh', 'pending', null],
        ['cleanup', 'done', 'doomed-1'],
        ['cleanup', 'done', 'doomed-1-nic'],
        ['cleanup', 'done', 'doomed-1-ip'],
      ]);
      expect(sim.vmIds().some((id) => id.toLowerCase().endsWith('/doomed-1'))).toBe(false);
      expect(sim.hasResource('nic', armId('Microsoft.Network/networkInterfaces', 'doomed-1-nic'))).toBe(false);
      expect(sim.hasResource('publicIp', armId('Microsoft.Network/publicIPAddresses', 'doomed-1-ip'))).toBe(false);

      sim.failVmOperations({ action: 'create', times: 1 });
      const kept = await waitFor((await submit({ name: 'kept-1', keepOnFailure: true })).id, ended);
      expect(kept.status).toBe('failed');
      expect(kept.tasks[0].steps.some((step) => step.name === 'cleanup')).toBe(false);
      expect(sim.hasResource('nic', armId('Microsoft.Network/networkInterfaces', 'kept-1-nic'))).toBe(true);
    },
    RUN_MS,
  );

  it(
    'rides out Azure throttling (429 with Retry-After) and has each resource accepted once',
    async () => {
      const mark = sim.requests.length;
      sim.injectFault({ route: 'operations', kind: 'throttle', retryAfterSeconds: 1, times: 2 });
      sim.injectFault({ route: 'resourcecreations', kind: 'throttle', retryAfterSeconds: 1, times: 2 });
      const done = await waitFor((await submit({ name: 'throttled-1', placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: false } })).id, ended);
      expect(done.status).toBe('succeeded');
      const seen = sim.requests.slice(mark);
      expect(seen.filter((r) => r.status === 429).length).toBe(4);
      // A throttled PUT was never taken (the SDK sends it again); each resource was accepted once.
      expect(seen.filter((r) => r.method === 'PUT' && r.status !== 429 && /\/throttled-1(-nic)?$/i.test(r.path)).map((r) => r.status)).toEqual([201, 201]);
    },
    RUN_MS,
  );

  it(
    'fails a task whose create Azure does not settle in time (operations.timeoutSeconds), and deletes what it made',
    async () => {
      sim.setVmOperationTiming({ delayMs: 40_000 });
      let id: string;
      try {
        id = (await submit({ name: 'slow-1', placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: false } })).id;
        await waitFor(id, (request) => request.tasks[0]?.steps[0]?.status === 'failed', 60_000);
      } finally {
        // The cleanup's deletes settle at the usual pace.
        sim.setVmOperationTiming({ delayMs: 300 });
      }
      const done = await waitFor(id, ended, 120_000);
      expect(done.status).toBe('failed');
      const [task] = done.tasks;
      expect(task).toMatchObject({ status: 'failed', errorCode: 'timeout' });
      expect(task.error).toMatch(/did not settle step nic within 15 s/);
      expect(task.steps.filter((step) => step.name === 'cleanup').map((step) => [step.target?.name, step.status])).toEqual([['slow-1-nic', 'done']]);
      expect(sim.hasResource('nic', armId('Microsoft.Network/networkInterfaces', 'slow-1-nic'))).toBe(false);
    },
    RUN_MS,
  );

  it(
    'cancels a running request: its task stops before the next step and deletes what it made',
    async () => {
      sim.setVmOperationTiming({ delayMs: 3000 });
      try {
        const submitted = await submit({ name: 'cancel-1', placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: false } });
        await waitFor(submitted.id, (request) => request.tasks[0]?.steps.find((step) => step.name === 'vm')?.status === 'running');
        const canceled = await t.http().post(`/api/v1/provision-requests/${submitted.id}/cancel`).expect(200);
        expect(canceled.body).toMatchObject({ status: 'canceled', finishedAt: null });
        const done = await waitFor(submitted.id, ended);
        expect(done.status).toBe('canceled');
        const [task] = done.tasks;
        expect(task.status).toBe('canceled');
        expect(task.steps.map((step) => [step.name, step.status])).toEqual([
          ['nic', 'done'],
          ['vm', 'done'],
          ['cancel', 'done'],
          ['refresh', 'pending'],
          ['cleanup', 'done'],
          ['cleanup', 'done'],
        ]);
        expect(sim.vmIds().some((id) => id.toLowerCase().endsWith('/cancel-1'))).toBe(false);
        expect(sim.hasResource('nic', armId('Microsoft.Network/networkInterfaces', 'cancel-1-nic'))).toBe(false);
        await t.http().post(`/api/v1/provision-requests/${submitted.id}/cancel`).expect(409);
      } finally {
        sim.setVmOperationTiming({ delayMs: 300 });
      }
    },
    RUN_MS,
  );
});
