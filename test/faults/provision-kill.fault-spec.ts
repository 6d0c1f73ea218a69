import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { apiFromUrl, checkInvariants, openDb, type DbAccess } from './support/invariants.js';
import { killedServiceScenarios, QUIET_SCHEDULES } from './support/killed-service.js';
import { endedRequest, stepsOf } from './support/provision-tasks.js';
import { waitFor, type ServiceProcess } from './support/service-process.js';

/*
 * The real service as a child process, SIGKILLed while it makes a VM: at each of a task's steps
 * (the public IP's, the NIC's and the VM's PUT accepted by Azure and stored, then the refresh that
 * reads the VM in), and while a failed task cleans up. After each restart the task resumes where it
 * stood: it polls what Azure accepted instead of asking again, makes no second VM, and leaves
 * nothing behind that its steps do not name.
 */

const SCENARIO_MS = 300_000;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const LOCATION = 'eastus';

type Step = { name: string; status: string; continuation?: string | null; target?: { name: string } | null };
type Task = { id: string; status: string; vmId: string | null; error: string | null; steps: Step[] };
type Request = { id: string; status: string; finishedAt: string | null; tasks: Task[] };

let scenarios = 0;
let checks = 0;
afterAll(() => console.log(`faults: ${scenarios} scenarios, ${checks} invariant checks (provision-kill.fault-spec.ts)`));

describe.each([['sqlite'], ['postgresql']] as const)('provision tasks of a service SIGKILLed and started again (%s)', (driver) => {
  const { cleanups, withOutput, start } = killedServiceScenarios(driver);

  async function setUp(): Promise<{ sim: AzureSimulator; svc: ServiceProcess; db: DbAccess; providerId: string; subnetId: string }> {
    // Every create and delete stays InProgress for 6 s: a kill lands while Azure still works on it.
    const sim = await AzureSimulator.start({ vmCount: 2, operationDelayMs: 6000, operationRetryAfterSeconds: 1 });
    cleanups.push(() => sim.stop());
    const subnetId = sim.addSubnet(sim.subscriptionIds[0], 'rg-net', 'vnet-kill');
    const { svc, databaseUrl } = await start(QUIET_SCHEDULES, 'hf_pk');
    const request = azureProviderRequest(sim, `pk-${driver}`);
    const created = await svc.api<{ id: string }>('POST', '/api/v1/providers', { ...request, config: { ...request.config, locations: [LOCATION] } });
    expect(created.status).toBe(201);
    const db = await openDb({ databaseUrl, dataDir: svc.dataDir });
    cleanups.push(() => db.close());
    await waitFor('the first refresh', async () => (await svc.api<{ items: unknown[] }>('GET', `/api/v1/vms?provider=${created.body.id}`)).body.items.length === 2, 60_000);
    return { sim, svc, db, providerId: created.body.id, subnetId };
  }

  const accepted = (steps: Step[], name: string, nth = 0) => steps.filter((step) => step.name === name)[nth]?.continuation != null;
  const submit = async (svc: ServiceProcess, providerId: string, subnetId: string, name: string) => {
    const res = await svc.api<Request>('POST', '/api/v1/provision-requests', {
      provider: providerId,
      source: `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`,
      name,
      size: { vmSize: 'Standard_D2s_v3' },
      placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId, publicIp: true },
      admin: { username: 'cloud-user', sshPublicKey: KEY },
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it(
    'killed at every step of making a VM: each resumed step polls what Azure accepted, one PUT per resource, one VM, read into the inventory and linked',
    withOutput(async () => {
      const { sim, svc, db, providerId, subnetId } = await setUp();
      const puts = (name: string) => sim.requests.filter((r) => r.method === 'PUT' && r.path.toLowerCase().endsWith(`/${name}`)).length;
      const request = await submit(svc, providerId, subnetId, 'kill-1');

      for (const [step, resource] of [
        ['publicIp', 'kill-1-ip'],
        ['nic', 'kill-1-nic'],
        ['vm', 'kill-1'],
      ] as const) {
        await waitFor(`Azure to accept the ${step} PUT and the task to store it`, async () => accepted(await stepsOf<Step>(db, request.id), step), 60_000);
        await svc.kill('SIGKILL');
        expect(puts(resource)).toBe(1);
        // Past the VM's create, the reads of VMs go slow: the restarted task is caught in its refresh.
        if (step === 'vm') sim.injectFault({ route: 'virtualmachines', kind: 'slow', delayMs: 4000, times: Infinity });
        await svc.restart();
      }
      await waitFor('the task to wait for its VM in the inventory', async () => (await stepsOf<Step>(db, request.id)).find((step) => step.name === 'refresh')?.status === 'running', 90_000);
      await svc.kill('SIGKILL');
      sim.clearFaults();
      await svc.restart();

      const done = await waitFor('the request to end', () => endedRequest<Request>(svc, request.id), 120_000);
      expect(done.status).toBe('succeeded');
      const [task] = done.tasks;
      expect(task.steps.map((step) => [step.name, step.status])).toEqual([
        ['publicIp', 'done'],
        ['nic', 'done'],
        ['vm', 'done'],
        ['refresh', 'done'],
      ]);
      // Asked once each, made once each.
      expect([puts('kill-1-ip'), puts('kill-1-nic'), puts('kill-1')]).toEqual([1, 1, 1]);
      expect(sim.vmIds().filter((id) => id.toLowerCase().endsWith('/kill-1'))).toHaveLength(1);
      const vm = (await svc.api<{ name: string; provisionedBy: { requestId: string } | null }>('GET', `/api/v1/vms/${task.vmId}`)).body;
      expect(vm).toMatchObject({ name: 'kill-1', provisionedBy: { requestId: request.id } });
      checks += await checkInvariants({ api: apiFromUrl(svc.url, svc.authHeaders), db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'killed while a task whose VM failed to allocate cleans up: the restart polls the VM delete it had asked, deletes the rest, and leaves no orphan',
    withOutput(async () => {
      const { sim, svc, db, providerId, subnetId } = await setUp();
      sim.failVmOperations({ action: 'create', times: 1 });
      const request = await submit(svc, providerId, subnetId, 'kill-2');
      await waitFor("the cleanup's delete of the failed VM to be accepted and stored", async () => accepted(await stepsOf<Step>(db, request.id), 'cleanup', 0), 90_000);
      await svc.kill('SIGKILL');
      const vmDeletes = () => sim.requests.filter((r) => r.method === 'DELETE' && r.path.toLowerCase().endsWith('/virtualmachines/kill-2')).length;
      expect(vmDeletes()).toBe(1);
      await svc.restart();

      const done = await waitFor('the request to end', () => endedRequest<Request>(svc, request.id), 120_000);
      expect(done.status).toBe('failed');
      const [task] = done.tasks;
      expect(task.status).toBe('failed');
      expect(task.error).toMatch(/allocat/i);
      expect(task.steps.filter((step) => step.name === 'cleanup').map((step) => [step.target?.name, step.status])).toEqual([
        ['kill-2', 'done'],
        ['kill-2-nic', 'done'],
        ['kill-2-ip', 'done'],
      ]);
      expect(vmDeletes()).toBe(1);
      expect(sim.vmIds().some((id) => id.toLowerCase().endsWith('/kill-2'))).toBe(false);
      const rg = `/subscriptions/${sim.subscriptionIds[0]}/resourceGroups/rg-net/providers`;
      expect(sim.hasResource('nic', `${rg}/Microsoft.Network/networkInterfaces/kill-2-nic`)).toBe(false);
      expect(sim.hasResource('publicIp', `${rg}/Microsoft.Network/publicIPAddresses/kill-2-ip`)).toBe(false);
      checks += await checkInvariants({ api: apiFromUrl(svc.url, svc.authHeaders), db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );
});
