import { request } from 'node:https';
import { ComputeManagementClient } from '@azure/arm-compute';
import { MonitorClient } from '@azure/arm-monitor';
import { AzureSimulator } from './azure-simulator.js';
import type { SimRequest, SimVmSpec } from './azure-simulator.types.js';
import { clientOptions, collect, compute, credential, powerState } from './sim-sdk.fixture.js';

// The long-running VM operations (power actions, DELETE) driven by the real arm-compute 24 SDK,
// whose poller follows Azure-AsyncOperation, honours Retry-After and GETs Location at the end.

const DELAY_MS = 1200;
const RETRY_AFTER_S = 1;
const RG = 'rg-lifecycle';

interface RawResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

async function raw(sim: AzureSimulator, method: string, url: string, token: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url.startsWith('https://') ? url : `${sim.url}${url}`, { method, ca: sim.caCertificate, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Polls of the Azure-AsyncOperation URL (the status body), and of the Location URL (monitor=true). */
function polls(requests: SimRequest[]): { status: SimRequest[]; location: SimRequest[] } {
  const all = requests.filter((r) => r.route === 'operations');
  return { status: all.filter((r) => r.query.monitor === undefined), location: all.filter((r) => r.query.monitor === 'true') };
}

describe('VM lifecycle operations on the simulator, with the real SDK', () => {
  let sim: AzureSimulator;
  let bearer: string;
  let seq = 0;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 2, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: RETRY_AFTER_S });
    bearer = (await credential(sim).getToken('https://management.azure.com/.default')).token;
  });

  afterAll(async () => {
    await sim.stop();
  });

  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });

  function addVm(spec: Partial<SimVmSpec> = {}): { id: string; name: string } {
    const name = `vm-life-${++seq}`;
    const id = sim.addVm(sim.subscriptionIds[0], { name, resourceGroup: RG, guestOsName: 'redhat', guestOsVersion: '9.4', vmAgentVersion: '2.15.1.3', ...spec });
    return { id, name };
  }

  async function stateOf(name: string): Promise<string | undefined> {
    return powerState(await compute(sim).virtualMachines.instanceView(RG, name));
  }

  function vmPath(name: string, suffix = ''): string {
    return `/subscriptions/${sim.subscriptionIds[0]}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}${suffix}`;
  }

  it('starts a deallocated VM through PowerState/starting, polling no more often than Retry-After allows', async () => {
    const { name } = addVm({ powerState: 'deallocated' });
    expect(await stateOf(name)).toBe('PowerState/deallocated');
    sim.clearRequests();

    const done = compute(sim).virtualMachines.beginStartAndWait(RG, name);
    await until(() => sim.requests.some((r) => r.route === 'virtualMachineActions' && r.status === 202));
    expect(await stateOf(name)).toBe('PowerState/starting');
    await done;

    const vm = await compute(sim).virtualMachines.instanceView(RG, name);
    expect(powerState(vm)).toBe('PowerState/running');
    expect(vm.osName).toBe('redhat');
    const post = sim.requests.filter((r) => r.route === 'virtualMachineActions');
    expect(post.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST ${vmPath(name, '/start')} 202`]);
    expect(post[0].query['api-version']).toBe('2026-03-01');
    // The first poll comes at once, then one per Retry-After until the delay has passed; then one final GET of Location.
    const { status, location } = polls(sim.requests);
    expect(status.length).toBeGreaterThanOrEqual(2);
    expect(status.length).toBeLessThanOrEqual(Math.ceil(DELAY_MS / (RETRY_AFTER_S * 1000)) + 1);
    expect(location.map((r) => r.status)).toEqual([200]);
    expect(status.every((r) => r.method === 'GET' && r.query['api-version'] === '2026-03-01')).toBe(true);
    // Every request of the operation (the POST and all its polls) is counted under its action.
    expect(sim.requests.filter((r) => r.vmAction === 'start')).toHaveLength(1 + status.length + location.length);
    expect(sim.requests.filter((r) => r.vmAction !== undefined && r.vmAction !== 'start')).toHaveLength(0);
  });

  it('answers like ARM on the wire: 202 with the async headers, the status body, the Location URL, 404, 409 and 204', async () => {
    const { name } = addVm();
    const accepted = await raw(sim, 'POST', `${vmPath(name, '/powerOff')}?api-version=2026-03-01&skipShutdown=true`, bearer);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toBeNull();
    const asyncUrl = accepted.headers['azure-asyncoperation'] as string;
    const locationUrl = accepted.headers.location as string;
    const statusUrl = new RegExp(
      `^${sim.url}/subscriptions/${sim.subscriptionIds[0]}/providers/Microsoft\\.Compute/locations/eastus/operations/[0-9a-f-]{36}\\?.*api-version=2026-03-01`,
    );
    expect(asyncUrl).toMatch(statusUrl);
    expect(locationUrl).toMatch(statusUrl);
    expect(locationUrl).toContain('monitor=true');
    expect(accepted.headers['retry-after']).toBe(String(RETRY_AFTER_S));

    const running = await raw(sim, 'GET', asyncUrl, bearer);
    expect(running.status).toBe(200);
    expect(running.body).toEqual({ startTime: expect.any(String), status: 'InProgress', name: asyncUrl.split('/operations/')[1].split('?')[0] });
    expect(running.headers['retry-after']).toBe(String(RETRY_AFTER_S));
    expect((await raw(sim, 'GET', locationUrl, bearer)).status).toBe(202);
    expect(await stateOf(name)).toBe('PowerState/stopping');

    await sleep(DELAY_MS + 50);
    const succeeded = await raw(sim, 'GET', asyncUrl, bearer);
    expect(succeeded.body).toMatchObject({ status: 'Succeeded', endTime: expect.any(String) });
    expect(Date.parse((succeeded.body as { endTime: string }).endTime)).toBeGreaterThan(Date.parse((succeeded.body as { startTime: string }).startTime));
    const final = await raw(sim, 'GET', locationUrl, bearer);
    expect([final.status, final.body]).toEqual([200, null]);
    expect(await stateOf(name)).toBe('PowerState/stopped');

    const missing = await raw(sim, 'POST', `${vmPath('no-such-vm', '/start')}?api-version=2026-03-01`, bearer);
    expect([missing.status, missing.body]).toEqual([404, { error: { code: 'ResourceNotFound', message: expect.stringContaining("'Microsoft.Compute/virtualMachines/no-such-vm'") } }]);
    const badVersion = await raw(sim, 'POST', `${vmPath(name, '/start')}?api-version=2099-01-01`, bearer);
    expect(badVersion.body).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
    expect((await raw(sim, 'DELETE', `${vmPath('no-such-vm')}?api-version=2026-03-01`, bearer)).status).toBe(204);
    expect((await raw(sim, 'GET', asyncUrl.replace(/operations\/[0-9a-f-]+/, 'operations/00000000-0000-0000-0000-000000000000'), bearer)).status).toBe(404);

    const { name: gone } = addVm({ powerState: 'deallocated' });
    const refused = await raw(sim, 'POST', `${vmPath(gone, '/powerOff')}?api-version=2026-03-01`, bearer);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'OperationNotAllowed', message: expect.stringContaining('deallocated') } });
  });

  it('powers off, deallocates (hibernate accepted), restarts and deletes through the SDK', async () => {
    const { id, name } = addVm({ publicIp: true });
    const client = compute(sim);
    await client.virtualMachines.beginPowerOffAndWait(RG, name, { skipShutdown: true });
    expect(await stateOf(name)).toBe('PowerState/stopped');

    await client.virtualMachines.beginDeallocateAndWait(RG, name, { hibernate: false });
    const deallocated = await client.virtualMachines.instanceView(RG, name);
    expect(powerState(deallocated)).toBe('PowerState/deallocated');
    expect(deallocated.osName).toBeUndefined();

    await client.virtualMachines.beginStartAndWait(RG, name);
    const restart = client.virtualMachines.beginRestartAndWait(RG, name);
    await until(() => sim.requests.some((r) => r.path.endsWith('/restart') && r.status === 202));
    expect(await stateOf(name)).toBe('PowerState/starting');
    await restart;
    expect(await stateOf(name)).toBe('PowerState/running');

    const actions = sim.requests.filter((r) => r.route === 'virtualMachineActions');
    expect(actions.map((r) => r.path.split('/').pop())).toEqual(['powerOff', 'deallocate', 'start', 'restart']);
    expect(actions[0].query.skipShutdown).toBe('true');
    expect(actions[1].query.hibernate).toBe('false');

    sim.clearRequests();
    const deletion = client.virtualMachines.beginDeleteAndWait(RG, name);
    await until(() => sim.requests.some((r) => r.method === 'DELETE' && r.status === 202));
    const deleting = await client.virtualMachines.get(RG, name, { expand: 'instanceView' });
    expect(deleting.provisioningState).toBe('Deleting');
    expect(deleting.instanceView?.statuses?.[0].code).toBe('ProvisioningState/deleting');
    await deletion;
    expect((await collect(client.virtualMachines.listAll())).map((vm) => vm.id)).not.toContain(id);
    await expect(client.virtualMachines.get(RG, name)).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(sim.requests.filter((r) => r.route === 'virtualMachineActions').map((r) => `${r.method} ${r.status}`)).toEqual(['DELETE 202']);
    // DELETE has no final GET: the SDK stops at the Succeeded status.
    expect(polls(sim.requests).location).toHaveLength(0);
    expect(sim.requests.filter((r) => r.vmAction === 'delete')).toHaveLength(1 + polls(sim.requests).status.length);
    expect(sim.vmIds()).not.toContain(id);
  });

  it('starts a running VM as a no-op that still succeeds asynchronously', async () => {
    const { name } = addVm();
    const done = compute(sim).virtualMachines.beginStartAndWait(RG, name);
    await until(() => sim.requests.some((r) => r.route === 'virtualMachineActions' && r.status === 202));
    expect(await stateOf(name)).toBe('PowerState/running');
    await done;
    expect(await stateOf(name)).toBe('PowerState/running');
    expect(sim.vmOperations().at(-1)).toMatchObject({ action: 'start', status: 'Succeeded' });
  });

  it('surfaces an asynchronous failure as the SDK error with its code and message, and leaves the VM as it was', async () => {
    const { id, name } = addVm({ powerState: 'deallocated' });
    sim.failVmOperations({ vmId: id, error: { code: 'AllocationFailed', message: 'Allocation failed in the simulated region.' } });
    await expect(compute(sim).virtualMachines.beginStartAndWait(RG, name)).rejects.toThrow(
      /The long-running operation has failed\. AllocationFailed\. Allocation failed in the simulated region\./,
    );
    expect(await stateOf(name)).toBe('PowerState/deallocated');
    expect(polls(sim.requests).location).toHaveLength(0);

    // The next N operations of any VM.
    const { name: other } = addVm();
    sim.clearFaults();
    sim.failVmOperations({ times: 1 });
    await expect(compute(sim).virtualMachines.beginPowerOffAndWait(RG, other)).rejects.toThrow(/AllocationFailed/);
    expect(await stateOf(other)).toBe('PowerState/running');
    await compute(sim).virtualMachines.beginPowerOffAndWait(RG, other);
    expect(await stateOf(other)).toBe('PowerState/stopped');
  });

  it('recovers from 429 (with Retry-After) and 503 on polling and from a 500 on the POST', async () => {
    const { name } = addVm();
    sim.injectFault({ route: 'operations', kind: 'throttle', retryAfterSeconds: 1, times: 2 });
    sim.injectFault({ route: 'virtualMachineActions', kind: 'error', status: 500 });
    const client = new ComputeManagementClient(credential(sim), sim.subscriptionIds[0], { ...clientOptions(sim), retryOptions: { retryDelayInMs: 5 } });
    await client.virtualMachines.beginDeallocateAndWait(RG, name);
    expect(await stateOf(name)).toBe('PowerState/deallocated');
    const actions = sim.requests.filter((r) => r.route === 'virtualMachineActions').map((r) => r.status);
    expect(actions).toEqual([500, 202]);
    expect(sim.vmOperations().filter((op) => op.vmId.endsWith(`/${name}`))).toHaveLength(1);
    expect(polls(sim.requests).status.filter((r) => r.status === 429)).toHaveLength(2);

    sim.clearRequests();
    sim.injectFault({ route: 'operations', kind: 'error', status: 503 });
    await client.virtualMachines.beginStartAndWait(RG, name);
    expect(polls(sim.requests).status.map((r) => r.status)).toContain(503);
    expect(await stateOf(name)).toBe('PowerState/running');

    // Without retries the throttle reaches the caller as the RestError.
    sim.injectFault({ route: 'operations', kind: 'throttle', retryAfterSeconds: 1 });
    const failure = await compute(sim, 0).virtualMachines.beginPowerOffAndWait(RG, name).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'RestError', statusCode: 429 });
  });

  it('logs a Started and a Succeeded/Failed event per operation, sharing a correlationId', async () => {
    const { id, name } = addVm();
    await compute(sim).virtualMachines.beginRestartAndWait(RG, name);
    sim.failVmOperations({ vmId: id, action: 'delete', error: { code: 'InternalExecutionError', message: 'Delete failed.' } });
    await expect(compute(sim).virtualMachines.beginDeleteAndWait(RG, name)).rejects.toThrow(/InternalExecutionError/);

    const events = sim
      .activityLogEvents()
      .filter((e) => (e.resourceId as string).toLowerCase() === id.toLowerCase())
      .reverse()
      .map((e) => ({
        op: (e.operationName as { value: string }).value,
        status: (e.status as { value: string }).value,
        correlationId: e.correlationId,
        at: Date.parse(e.eventTimestamp as string),
        properties: e.properties as Record<string, string>,
      }))
      .filter((e) => !e.op.endsWith('/write'));
    expect(events.map((e) => `${e.op} ${e.status}`)).toEqual([
      'Microsoft.Compute/virtualMachines/restart/action Started',
      'Microsoft.Compute/virtualMachines/restart/action Succeeded',
      'Microsoft.Compute/virtualMachines/delete Started',
      'Microsoft.Compute/virtualMachines/delete Failed',
    ]);
    expect(events[0].correlationId).toBe(events[1].correlationId);
    expect(events[2].correlationId).toBe(events[3].correlationId);
    expect(events[0].correlationId).not.toBe(events[2].correlationId);
    expect(events[1].at - events[0].at).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(JSON.parse(events[3].properties.statusMessage)).toEqual({ error: { code: 'InternalExecutionError', message: 'Delete failed.' } });
    expect(sim.vmOperations().find((op) => op.action === 'restart' && op.vmId === id)?.correlationId).toBe(events[0].correlationId);
    expect(sim.vmIds()).toContain(id);

    // The Activity Log route serves the pair to arm-monitor, found by the shared correlationId.
    const monitor = new MonitorClient(credential(sim), sim.subscriptionIds[0], clientOptions(sim));
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    const filter = `eventTimestamp ge '${since}' and correlationId eq '${events[2].correlationId as string}'`;
    const served = await collect(monitor.activityLogs.list(filter));
    expect(served.map((e) => `${e.operationName?.value} ${e.status?.value} ${e.eventName?.value}`).sort()).toEqual([
      'Microsoft.Compute/virtualMachines/delete Failed EndRequest',
      'Microsoft.Compute/virtualMachines/delete Started BeginRequest',
    ]);
  });
});
