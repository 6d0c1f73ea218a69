import { DataSource } from 'typeorm';
import { EventCatcher, RefreshService } from '@hybridforms/discovery';
import { EventStore } from '@hybridforms/telemetry';
import { AzureSimulator, HyperVHostSimulator, type FaultSpec, type SimRequest } from '@hybridforms/testing';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY, refreshFromEvents } from '../support/telemetry.js';
import { requestRefresh, startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import {
  apiFromTestApp,
  azureSimEventIds,
  checkInvariants,
  dbFromDataSource,
  inventoryFingerprint,
  serviceAnswers,
  snapshotArchived,
  type DbAccess,
} from './support/invariants.js';

/*
 * Provider faults: what Azure (throttling, 5xx and broken pages mid-paging, a hung read, faults
 * while catching events) and a Hyper-V host (a dropped SSH connection mid-script, a PowerShell
 * error, a command that never answers) can do to a refresh or an event poll. Each scenario ends
 * with the shared invariants: the failed work changed nothing, the service still answers, and
 * the next clean run converges on the simulator's truth.
 */

type Refresh = { id: string; status: string; errors: { code: string; message: string }[]; startedAt: string; finishedAt: string; progress: Record<string, number> };

// Small budgets so that the faults play out in seconds: 2 retries of each request, 1 s default Retry-After.
const MAX_RETRIES = 2;
const RETRY_AFTER_DEFAULT_SECONDS = 1;
// The refresh timeout of the app: a hung ARM read ends the refresh after it. Above what the retry
// budgets of both subscriptions add up to (each failing request: 1 + 2 retries, about 3-4 s).
const REFRESH_TIMEOUT_SECONDS = 20;
// The Hyper-V command timeout of the provider (commandTimeoutSeconds, at its minimum of 5).
const HYPERV_COMMAND_TIMEOUT_SECONDS = 5;

const counts = { scenarios: 0, invariants: 0 };

async function refresh(t: TestApp, providerId: string): Promise<Refresh> {
  return (await waitForRefresh(t, await requestRefresh(t, providerId), 60_000)) as unknown as Refresh;
}

/** Arrival time of every simulator request (SimRequest has none): wraps the requests array's push. */
function stampArrivals(sim: AzureSimulator): Map<SimRequest, number> {
  const arrivals = new Map<SimRequest, number>();
  const push = sim.requests.push.bind(sim.requests);
  sim.requests.push = (...items: SimRequest[]) => {
    for (const item of items) arrivals.set(item, Date.now());
    return push(...items);
  };
  return arrivals;
}

const requestKey = (r: SimRequest) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`;

describe.each([['sqlite'], ['postgresql']])('provider faults on %s', (driver) => {
  describe('Azure', () => {
    let sim: AzureSimulator;
    let t: TestApp;
    let db: DbAccess;
    let providerId: string;
    let arrivals: Map<SimRequest, number>;
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
    const api = () => apiFromTestApp(t);
    const truth = () => [{ providerId, vmNativeIds: sim.vmIds() }];
    let removals = 0;
    // Alternates between the subscriptions, so that each keeps its 3 pages of VMs.
    const removeOneVm = () => {
      const ids = sim.vmIds(sim.subscriptionIds[removals++ % sim.subscriptionIds.length]);
      sim.removeVm(ids[ids.length - 1]);
    };

    beforeAll(async () => {
      // Two subscriptions collected one after the other, 4 pages of VMs each (at least 3 after the removals).
      sim = await AzureSimulator.start({
        vmCount: 24,
        pageSize: 7,
        subscriptionIds: ['0b8e4a52-6c1d-4f3e-9a7b-2d5c8e1f4a60', '5e2d7c91-3b4a-4e6f-8d1c-9a0b2c4e6f81'],
      });
      arrivals = stampArrivals(sim);
      scratch = driver === 'postgresql' ? await createScratchDatabase('hf_fault_az') : null;
      t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_REFRESH_TIMEOUT_SECONDS: String(REFRESH_TIMEOUT_SECONDS), ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
      db = dbFromDataSource(t.app.get(DataSource));
      const body = azureProviderRequest(sim, 'azure-faults');
      const created = await t
        .http()
        .post('/api/v1/providers')
        .send({ ...body, config: { ...body.config, maxRetries: MAX_RETRIES, defaultRetryAfterSeconds: RETRY_AFTER_DEFAULT_SECONDS, subscriptionConcurrency: 1 } })
        .expect(201);
      providerId = created.body.id;
      expect((await waitForRefresh(t, created.body.refreshId)).status).toBe('completed');
    }, 60_000);

    afterAll(async () => {
      await t?.app.get(RefreshService).idle();
      await t?.close();
      await scratch?.drop();
      await sim?.stop();
    });

    afterEach(() => sim.clearFaults());

    it.each([
      ['with a Retry-After of 1 s', 1],
      ['with no Retry-After (the configured default applies)', null],
    ] as const)('rides out a 429 storm within its retry budget %s, honouring the wait', async (_label, retryAfterSeconds) => {
      counts.scenarios++;
      sim.clearRequests();
      arrivals.clear();
      sim.injectFault({ route: 'virtualMachines', kind: 'throttle', retryAfterSeconds, times: MAX_RETRIES });
      const done = await refresh(t, providerId);
      expect(done.status).toBe('completed');

      const throttled = sim.requests.filter((r) => r.status === 429);
      expect(throttled).toHaveLength(MAX_RETRIES);
      const waitMs = (retryAfterSeconds ?? RETRY_AFTER_DEFAULT_SECONDS) * 1000;
      for (const refused of throttled) {
        // The same request again, no earlier than the wait the 429 asked for.
        const retry = sim.requests.find((r) => r !== refused && requestKey(r) === requestKey(refused) && arrivals.get(r)! > arrivals.get(refused)!);
        expect(retry).toBeDefined();
        expect(arrivals.get(retry!)! - arrivals.get(refused)!).toBeGreaterThanOrEqual(waitMs - 50);
      }
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);

    it('fails cleanly when the throttling outlasts the retry budget, archiving nothing, then converges', async () => {
      counts.scenarios++;
      removeOneVm();
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      sim.clearRequests();
      sim.injectFault({ route: 'virtualMachines', kind: 'throttle', retryAfterSeconds: 1, times: Infinity });
      const failed = await refresh(t, providerId);
      sim.clearFaults();

      expect(failed.status).toBe('failed');
      expect(failed.errors[0]).toMatchObject({ code: 'throttled' });
      expect(JSON.stringify(failed.errors)).not.toContain(sim.clientSecret);
      // Each request is tried 1 + maxRetries times, never more (the retries are not multiplied)…
      const byRequest = new Map<string, number>();
      for (const r of sim.requests.filter((r) => r.status === 429)) byRequest.set(requestKey(r), (byRequest.get(requestKey(r)) ?? 0) + 1);
      expect(Math.max(...byRequest.values())).toBe(MAX_RETRIES + 1);
      // …so the refresh gives up within its budget (2 waits of 1 s per subscription), long before its timeout.
      expect(Date.parse(failed.finishedAt) - Date.parse(failed.startedAt)).toBeLessThan(12_000);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });

      expect((await refresh(t, providerId)).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);

    it.each<[string, Omit<FaultSpec, 'route'>, RegExp]>([
      ['a 500 on page 2', { kind: 'error', status: 500, page: 2, times: Infinity }, /temporary|500/],
      ['a 503 on page 3', { kind: 'error', status: 503, page: 3, times: Infinity }, /temporary|503/],
      ['a truncated page 2', { kind: 'malformed', page: 2, times: Infinity }, /malformed/],
      ['a dropped connection on page 3', { kind: 'drop', page: 3, times: Infinity }, /unreachable|socket|closed|reset|hang up/i],
    ])('fails a refresh on %s of the VM list, archives nothing, then converges', async (_label, fault, reason) => {
      counts.scenarios++;
      removeOneVm();
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      sim.injectFault({ route: 'virtualMachines', ...fault });
      const failed = await refresh(t, providerId);
      sim.clearFaults();

      expect(failed.status).toBe('failed');
      expect(JSON.stringify(failed.errors)).toMatch(reason);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });

      expect((await refresh(t, providerId)).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);

    it('keeps a partial refresh (one subscription failed mid-paging) from archiving anything, then converges', async () => {
      counts.scenarios++;
      for (const subscriptionId of sim.subscriptionIds) sim.removeVm(sim.vmIds(subscriptionId)[0]);
      const archived = await snapshotArchived(db, providerId);
      // Every attempt at page 2 of the first subscription fails; the second subscription is read in full.
      sim.injectFault({ route: 'virtualMachines', kind: 'error', status: 500, page: 2, times: MAX_RETRIES + 1 });
      const partial = await refresh(t, providerId);
      sim.clearFaults();

      expect(partial.status).toBe('partial');
      expect(partial.errors).toEqual([expect.objectContaining({ scope: `subscription ${sim.subscriptionIds[0]}` })]);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });

      expect((await refresh(t, providerId)).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);

    it('ends a refresh hung on an ARM read at the refresh timeout, archives nothing, then converges', async () => {
      counts.scenarios++;
      removeOneVm();
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      sim.injectFault({ route: 'virtualMachines', kind: 'slow', page: 2, delayMs: 60_000 });
      const id = await requestRefresh(t, providerId);
      // The service answers while the refresh hangs.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      counts.invariants += await serviceAnswers(api());
      const failed = (await waitForRefresh(t, id, 30_000)) as unknown as Refresh;
      sim.clearFaults();

      expect(failed.status).toBe('failed');
      expect(JSON.stringify(failed.errors)).toMatch(/timed out|timeout/);
      const tookMs = Date.parse(failed.finishedAt) - Date.parse(failed.startedAt);
      expect(tookMs).toBeGreaterThanOrEqual(REFRESH_TIMEOUT_SECONDS * 1000 - 100);
      expect(tookMs).toBeLessThan(REFRESH_TIMEOUT_SECONDS * 1000 + 3000);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });

      expect((await refresh(t, providerId)).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);

    describe('while catching events', () => {
      const poll = () => t.app.get(EventCatcher).poll(providerId);
      const storedEvents = async () => Number((await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM events WHERE provider_id = $1', [providerId]))[0].n);

      beforeAll(async () => {
        expect(await poll()).toMatchObject({ status: 'stored' });
        await refreshFromEvents(t, providerId);
      });

      it.each<[string, Omit<FaultSpec, 'route'>]>([
        ['a 429 storm', { kind: 'throttle', retryAfterSeconds: 0, times: Infinity }],
        ['a 503', { kind: 'error', status: 503, times: Infinity }],
        ['a truncated page', { kind: 'malformed', times: Infinity }],
        ['a 500 on page 2', { kind: 'error', status: 500, page: 2, times: Infinity }],
        ['a dropped connection on page 2', { kind: 'drop', page: 2, times: Infinity }],
      ])('keeps the checkpoint on %s of the Activity Log, then stores every event once', async (_label, fault) => {
        counts.scenarios++;
        const store = t.app.get(EventStore);
        const checkpoint = await store.checkpointOf(providerId);
        const stored = await storedEvents();
        // 5 restarts: 10 records, two pages of 7.
        for (const id of sim.vmIds().slice(0, 5)) sim.restartVm(id);

        sim.injectFault({ route: 'activityLogs', ...fault });
        expect(await poll()).toMatchObject({ status: 'failed' });
        sim.clearFaults();
        expect(await store.checkpointOf(providerId)).toBe(checkpoint);
        expect(await storedEvents()).toBe(stored);
        counts.invariants += await serviceAnswers(api());

        expect(await poll()).toMatchObject({ status: 'stored', stored: 10 });
        expect(await poll()).toMatchObject({ status: 'stored', stored: 0 });
        expect(await store.checkpointOf(providerId)).not.toBe(checkpoint);
        await refreshFromEvents(t, providerId);
        counts.invariants += await checkInvariants({ api: api(), db, events: [{ providerId, eventNativeIds: azureSimEventIds(sim) }], providers: truth() });
      }, 60_000);
    });
  });

  describe('Hyper-V', () => {
    let host: HyperVHostSimulator;
    let t: TestApp;
    let db: DbAccess;
    let providerId: string;
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
    const api = () => apiFromTestApp(t);
    const truth = () => [{ providerId, vmNativeIds: host.vmIds() }];

    beforeAll(async () => {
      host = await HyperVHostSimulator.start({ vmCount: 12 });
      scratch = driver === 'postgresql' ? await createScratchDatabase('hf_fault_hv') : null;
      t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
      db = dbFromDataSource(t.app.get(DataSource));
      const body = hypervProviderRequest(host, 'hyperv-faults');
      const created = await t
        .http()
        .post('/api/v1/providers')
        .send({ ...body, config: { ...body.config, commandTimeoutSeconds: HYPERV_COMMAND_TIMEOUT_SECONDS } })
        .expect(201);
      providerId = created.body.id;
      expect((await waitForRefresh(t, created.body.refreshId)).status).toBe('completed');
    }, 60_000);

    afterAll(async () => {
      await t?.app.get(RefreshService).idle();
      await t?.close();
      await scratch?.drop();
      await host?.stop();
    });

    afterEach(() => host.clearFaults());

    it.each([
      ['an SSH disconnect mid-script', 'disconnect', /inventory script.*connection lost/],
      ['a PowerShell error record', 'error-record', /inventory script/],
      ['a command that never answers', 'hang', /timeout|no answer within/],
    ] as const)('fails a refresh on %s within the command timeout, archives nothing, then converges', async (_label, kind, reason) => {
      counts.scenarios++;
      host.removeVm(host.vmIds()[0]);
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      host.injectFault({ kind, marker: 'inventory' });
      const id = await requestRefresh(t, providerId);
      if (kind === 'hang') {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        counts.invariants += await serviceAnswers(api());
      }
      const failed = (await waitForRefresh(t, id, 30_000)) as unknown as Refresh;
      host.clearFaults();

      expect(failed.status).toBe('failed');
      expect(JSON.stringify(failed.errors)).toMatch(reason);
      expect(JSON.stringify(failed.errors)).not.toContain(host.password);
      const tookMs = Date.parse(failed.finishedAt) - Date.parse(failed.startedAt);
      expect(tookMs).toBeLessThan(HYPERV_COMMAND_TIMEOUT_SECONDS * 1000 + 3000);
      if (kind === 'hang') expect(tookMs).toBeGreaterThanOrEqual(HYPERV_COMMAND_TIMEOUT_SECONDS * 1000 - 100);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });

      expect((await refresh(t, providerId)).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 60_000);
  });
});

afterAll(() => {
  console.log(`faults: ${counts.scenarios} scenarios, ${counts.invariants} invariant checks (provider-faults)`);
});
