/**
 * `npm run bench:operations`: BENCH_OPERATIONS_VMS (default 500) deallocated Azure VMs started in
 * one `POST /api/v1/vm-actions` against the simulator, whose async operations take
 * BENCH_OPERATIONS_DELAY_MS (default 2000) with `Retry-After: 1`. Measured: the wall time from the
 * POST to every operation succeeded, and to every VM read back `running` by the refreshes the
 * operations ask for; the ARM requests each operation cost (its live instance view, the POST, the
 * status polls, the final Location GET).
 *
 * The floor, in the same run on another set of as many VMs: the same SDK calls (beginStart +
 * pollUntilDone, same poll interval) with the same concurrency bound and nothing else — no API, no
 * queue, no database. In theory it is ceil(VMs / concurrency) rounds of one async delay each (plus
 * up to a Retry-After of poll lag per round), since each slot waits out one operation at a time. Asserts only correctness: every
 * operation succeeded, one POST per VM, polls within what Retry-After allows.
 */
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import { ExecuteOperation } from '@hybridforms/operations';
import { EventRepository } from '@hybridforms/persistence';
import { compute } from '../../libs/testing/src/azure/sim-sdk.fixture.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { refreshFromEvents } from '../support/telemetry.js';

const VMS = Number(process.env.BENCH_OPERATIONS_VMS ?? 500);
const DELAY_MS = Number(process.env.BENCH_OPERATIONS_DELAY_MS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_OPERATIONS_CONCURRENCY ?? 50);
const RETRY_AFTER_S = 1;
const TIMEOUT_MS = 30 * 60 * 1000;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

describe(`operations benchmark (${VMS} VMs started in one request, ${DELAY_MS} ms async operations)`, () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;
  const names = { floor: [] as string[], ours: [] as string[] };

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0, pageSize: 1000, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: RETRY_AFTER_S });
    for (let i = 0; i < VMS; i++) {
      for (const side of ['floor', 'ours'] as const) {
        const name = `${side}-${String(i).padStart(4, '0')}`;
        sim.addVm(sim.subscriptionIds[0], { name, resourceGroup: `rg-${side}`, powerState: 'deallocated', guestOsName: 'redhat', guestOsVersion: '9.4' });
        names[side].push(name);
      }
    }
    t = await startTestApp({
      HYBRIDFORMS_OPERATION_CONCURRENCY: String(CONCURRENCY),
      HYBRIDFORMS_OPERATION_MAX_TARGETS: String(VMS),
      HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
      HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
      HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
      HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '1',
    });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'bench-ops')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId, 120_000);
  }, TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it(
    'starts them all, near the floor, with a bounded number of ARM requests per operation',
    async () => {
      // The floor: the SDK alone, the same concurrency bound and poll interval as the plugin's.
      const client = compute(sim);
      const floorStarted = performance.now();
      await pool(names.floor, CONCURRENCY, async (name) => {
        const poller = await client.virtualMachines.beginStart('rg-floor', name, { updateIntervalInMs: 5000 });
        await poller.pollUntilDone();
      });
      const floorMs = performance.now() - floorStarted;

      const ourIds = (await t.http().get(`/api/v1/vms?provider=${providerId}&resourceGroup=rg-ours&limit=${VMS}`).expect(200)).body.items.map((vm: { id: string }) => vm.id);
      expect(ourIds).toHaveLength(VMS);
      const mark = sim.requests.length;
      const started = performance.now();
      const batch = await t.http().post('/api/v1/vm-actions').send({ action: 'start', targets: { vmIds: ourIds } }).expect(202);
      const acceptedMs = performance.now() - started;
      expect(batch.body.operations).toHaveLength(VMS);
      await t.app.get(ExecuteOperation).idle();
      const operationsMs = performance.now() - started;
      do await refreshFromEvents(t, providerId);
      while ((await t.app.get(EventRepository).refreshTargets(providerId)).nativeIds.length > 0);
      const confirmedMs = performance.now() - started;

      const operations: { status: string; durationMs: number }[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page: { items: { status: string; durationMs: number }[]; nextCursor: string | null } = (await t.http().get(`/api/v1/operations?batch=${batch.body.id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body;
        operations.push(...page.items);
        cursor = page.nextCursor;
      }
      expect(operations.map((o) => o.status)).toEqual(Array(VMS).fill('succeeded'));
      const running = (await t.http().get(`/api/v1/vms?provider=${providerId}&resourceGroup=rg-ours&powerState=running&limit=${VMS}`).expect(200)).body.items;
      expect(running).toHaveLength(VMS);

      // ARM requests per operation: its live instance view, its POST, and its status and Location
      // polls (attributed through the simulator's operation ids). The refreshes' reads are apart.
      const ours = sim.requests.slice(mark);
      const operationVm = new Map(sim.vmOperations().map((op) => [op.id.toLowerCase(), op.vmId.toLowerCase()]));
      const perVm = new Map<string, SimRequest[]>();
      let refreshReads = 0;
      for (const r of ours) {
        const path = r.path.toLowerCase();
        const vm = r.route === 'operations' ? operationVm.get(path.split('/').pop() ?? '') : /\/virtualmachines\/[^/]+\/(start|instanceview)$/.test(path) ? path.replace(/\/(start|instanceview)$/, '') : undefined;
        if (!vm) {
          if (r.method === 'GET') refreshReads += 1;
          continue;
        }
        perVm.set(vm, [...(perVm.get(vm) ?? []), r]);
      }
      const counts = [...perVm.values()].map((requests) => ({
        posts: requests.filter((r) => r.method === 'POST').length,
        polls: requests.filter((r) => r.route === 'operations' && r.query.monitor === undefined).length,
        location: requests.filter((r) => r.route === 'operations' && r.query.monitor === 'true').length,
        reads: requests.filter((r) => r.method === 'GET' && r.route !== 'operations').length,
        total: requests.length,
      }));
      expect(counts).toHaveLength(VMS);
      const allowedPolls = Math.ceil(DELAY_MS / (RETRY_AFTER_S * 1000)) + 1;
      expect(counts.every((c) => c.posts === 1)).toBe(true);
      expect(Math.max(...counts.map((c) => c.polls))).toBeLessThanOrEqual(allowedPolls);
      const overheadMs = operationsMs - floorMs;
      const rounds = Math.ceil(VMS / CONCURRENCY);

      console.log(
        [
          `operations benchmark: ${VMS} VMs, async delay ${DELAY_MS} ms, Retry-After ${RETRY_AFTER_S} s, concurrency ${CONCURRENCY} per process (operations.concurrency)`,
          `  floor (SDK alone, same bound):          ${s(floorMs)}   (theory: ${rounds} rounds of ${CONCURRENCY} × the delay, each up to a Retry-After late: ${s(rounds * DELAY_MS)} to ${s(rounds * (DELAY_MS + RETRY_AFTER_S * 1000))})`,
          `  POST /vm-actions answered (202):        ${s(acceptedMs)}`,
          `  every operation succeeded:              ${s(operationsMs)}   ratio to floor ${(operationsMs / floorMs).toFixed(2)} (${overheadMs >= 0 ? '+' : '−'}${s(Math.abs(overheadMs))})`,
          `  every VM read back running (refreshes): ${s(confirmedMs)}`,
          `  operation duration median ${s(median(operations.map((o) => o.durationMs)))}, max ${s(Math.max(...operations.map((o) => o.durationMs)))}`,
          `  ARM requests per operation: median ${median(counts.map((c) => c.total))}, max ${Math.max(...counts.map((c) => c.total))} ` +
            `(1 POST; instance-view reads ${median(counts.map((c) => c.reads))}; status polls median ${median(counts.map((c) => c.polls))}, max ${Math.max(...counts.map((c) => c.polls))} of ${allowedPolls} allowed; Location GET ${median(counts.map((c) => c.location))})`,
          `  the confirming refreshes' ARM reads: ${refreshReads} (targeted refreshes of ${VMS} VMs)`,
        ].join('\n'),
      );
    },
    TIMEOUT_MS,
  );
});
