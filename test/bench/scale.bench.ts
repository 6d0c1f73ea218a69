/**
 * `npm run bench:scale`: 100,000 VMs over 10 simulated subscriptions on PostgreSQL and Redis, the
 * product as it runs scaled out (one api process, 1 and 3 worker processes, the product's own
 * build: test/faults/support/service-process.ts). Reports per run the wall time of a full refresh
 * from an empty database (from the requests to the last refresh finished, read from the
 * refreshes table), the floor (the same pages listed by the SDK alone in a child process, nothing
 * kept, same run), the ratio, the time and rows written of a second, unchanged full refresh, and
 * the peak RSS (VmHWM, read just before each process ends) of every process: api, each worker,
 * the simulator and the floor process.
 *
 * One refresh of one provider is one job, run by one worker; its subscriptions are collected in
 * parallel up to the provider's subscriptionConcurrency (default 4). So two layouts of the same
 * estate show what more workers change:
 *   A  one provider with every subscription (10 × 10,000 VMs): one job, whatever the workers;
 *   B  one provider per subscription (10 providers × 10,000 VMs): ten jobs, spread over the
 *      workers, each running up to refresh.concurrency (default 2) at once.
 * The floor of each run lists all subscriptions with the parallelism the product has in it:
 * subscriptionConcurrency for A, min(subscriptions, workers × refresh.concurrency) for B.
 *
 * The Azure simulator runs in a process of its own (support/azure-sim-process.mjs, imported from
 * the service build), so that its memory and event loop are not the product's.
 *
 * Knobs: BENCH_SCALE_VMS (total, default 100000), BENCH_SCALE_SUBSCRIPTIONS (10),
 * BENCH_SCALE_WORKERS ("1,3"), BENCH_SCALE_LAYOUTS ("A,B"), BENCH_SCALE_CPU_PROF (a directory:
 * each worker writes a CPU profile into it, support/cpu-profile-preload.mjs), BENCH_SCALE_WORKER_NODE_OPTIONS (more node flags for
 * the workers, e.g. --max-old-space-size=384). The figures go to the console and to
 * node_modules/.cache/bench-scale/<time>.json (the processes' logs beside it). Asserts
 * correctness only (every refresh completed with every VM, the unchanged refresh wrote nothing),
 * nothing about speed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { createScratchDatabase } from '../support/postgres.js';
import { buildService, httpCall, REPO_ROOT, startService, waitFor, type ServiceProcess } from '../faults/support/service-process.js';
import { deleteKeys as deleteRedisKeys, TEST_REDIS_URL } from '../../libs/jobs/src/testing/redis-test-queue.js';

const TOTAL_VMS = Number(process.env.BENCH_SCALE_VMS ?? 100_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_SCALE_SUBSCRIPTIONS ?? 10);
const WORKER_COUNTS = (process.env.BENCH_SCALE_WORKERS ?? '1,3').split(',').map((n) => Number(n.trim())).filter((n) => n > 0);
const LAYOUTS = (process.env.BENCH_SCALE_LAYOUTS ?? 'A,B').split(',').map((l) => l.trim().toUpperCase()) as Layout[];
const CPU_PROF_DIR = process.env.BENCH_SCALE_CPU_PROF;
/** More node flags for the workers only (e.g. --max-old-space-size=384), for experiments. */
const WORKER_NODE_OPTIONS = process.env.BENCH_SCALE_WORKER_NODE_OPTIONS ?? '';
const VMS_PER_SUBSCRIPTION = Math.ceil(TOTAL_VMS / SUBSCRIPTIONS);
const PAGE_SIZE = 1000;
/** The product's defaults, which this benchmark keeps: the azure config's subscriptionConcurrency, refresh.concurrency per worker. */
const SUBSCRIPTION_CONCURRENCY = 4;
const REFRESH_CONCURRENCY = 2;
const RSS_TARGET_MB = 512;
const REFRESH_TIMEOUT_MS = 60 * 60 * 1000;
const TEST_TIMEOUT_MS = 3 * 60 * 60 * 1000;
const SIM_SCRIPT = fileURLToPath(new URL('./support/azure-sim-process.mjs', import.meta.url));
const FLOOR_SCRIPT = fileURLToPath(new URL('./support/sdk-floor.mjs', import.meta.url));
const CPU_PROF_PRELOAD = fileURLToPath(new URL('./support/cpu-profile-preload.mjs', import.meta.url));
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'bench-scale');
const STAMP = new Date().toISOString().replace(/[:.]/g, '-');

type Layout = 'A' | 'B';

interface SimInfo {
  pid: number;
  url: string;
  caCertificate: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionIds: string[];
  metricsEndpointTemplate: string;
  startMs: number;
}

interface FloorPass {
  concurrency: number;
  ms: number;
  counts: Record<string, number>;
}

interface ProcessPeak {
  role: string;
  pid: number;
  peakRssMb: number;
  /** VmHWM once the full refresh had ended (before the unchanged one). */
  peakAfterFullMb: number;
}

interface RefreshRow {
  id: string;
  provider_id: string;
  status: string;
  progress: string;
  errors: string;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  owner: string | null;
}

interface Phase {
  wallMs: number;
  /** Each refresh from its start to its end (finished_at − started_at), ms. */
  refreshMs: number[];
  vms: number;
  rowsWritten: number;
  /** Which process ran how many of the refreshes (owner pid → count). */
  ranBy: Record<string, number>;
  statuses: string[];
  /** Each refresh's progress counters as stored (collectMs, saveMs, vmsCreated…). */
  progress: Record<string, number>[];
}

interface RunResult {
  layout: Layout;
  providers: number;
  workers: number;
  floorConcurrency: number;
  floorMs: number;
  full: Phase;
  unchanged: Phase;
  processes: ProcessPeak[];
  loadAverage: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb: number) => kb / 1024;

/** Peak resident set (VmHWM) of a live process, in kB; 0 when it is gone. */
function vmHwmKb(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Subscription GUIDs of the estate: fixed, so two runs generate the same estate. */
function subscriptionIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `5ca1e000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
}

/** The built libs/testing entry (buildService compiles apps/ and libs/, libs/testing included). */
async function builtTestingIndex(): Promise<string> {
  const apiMain = await buildService();
  return join(apiMain.slice(0, apiMain.length - join('apps', 'api', 'src', 'main.js').length), 'libs', 'testing', 'src', 'index.js');
}

/** Reads the first line of JSON a child writes on stdout, rejecting if it exits first. */
function firstJsonLine<T>(child: ChildProcess, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what}: nothing on stdout within ${timeoutMs} ms\n${err.slice(-3000)}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      try {
        resolve(JSON.parse(out.slice(0, newline)) as T);
      } catch (error) {
        reject(new Error(`${what}: not JSON: ${out.slice(0, 500)} (${(error as Error).message})`));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (code ${code}, signal ${signal}) before answering\n${err.slice(-3000)}`));
    });
  });
}

/** The simulator in its own process; stopped (and its peak RSS read) by the returned stop(). */
async function startSimulatorProcess(): Promise<{ info: SimInfo; stop: () => Promise<number> }> {
  const plan = {
    testingIndex: await builtTestingIndex(),
    options: { vmCount: VMS_PER_SUBSCRIPTION, pageSize: PAGE_SIZE, subscriptionIds: subscriptionIds(SUBSCRIPTIONS) },
  };
  const child = spawn(process.execPath, [SIM_SCRIPT], { cwd: REPO_ROOT, env: { ...process.env, BENCH_SIM_PLAN: JSON.stringify(plan) }, stdio: ['pipe', 'pipe', 'pipe'] });
  const info = await firstJsonLine<SimInfo>(child, 'the simulator process', 15 * 60 * 1000);
  return {
    info,
    stop: async () => {
      const peak = vmHwmKb(child.pid!);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      return peak;
    },
  };
}

/** The floor: the same pages listed by the SDK in a child process, one pass per concurrency. */
async function measureFloor(sim: SimInfo, concurrencies: number[]): Promise<{ passes: FloorPass[]; vmHwmKb: number }> {
  const plan = { ...sim, concurrencies, warmup: true };
  // The plan goes in the environment, not on the command line (ps shows that to everyone): it holds the client secret.
  const child = spawn(process.execPath, [FLOOR_SCRIPT], { cwd: REPO_ROOT, env: { ...process.env, BENCH_FLOOR_PLAN: JSON.stringify(plan) }, stdio: ['ignore', 'pipe', 'pipe'] });
  return firstJsonLine(child, 'the floor process', REFRESH_TIMEOUT_MS);
}

function providerRequest(sim: SimInfo, name: string, subscriptions: string[]) {
  return {
    name,
    type: 'azure',
    config: {
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      subscriptionIds: subscriptions,
      resourceManagerUrl: sim.url,
      authorityHost: sim.url,
      caCertificate: sim.caCertificate,
      metricsEndpoint: sim.metricsEndpointTemplate,
    },
    credentials: { clientSecret: sim.clientSecret },
    // No scheduled refresh lands in the measurement.
    refreshIntervalSeconds: 86_400,
  };
}

/** Polls the refreshes table until none of `ids` is queued or running; returns their rows. */
async function waitForRefreshes(db: pg.Client, ids: string[], what: string): Promise<RefreshRow[]> {
  const deadline = Date.now() + REFRESH_TIMEOUT_MS;
  for (;;) {
    const { rows } = await db.query<RefreshRow>(
      'SELECT id, provider_id, status, progress, errors, requested_at, started_at, finished_at, owner FROM refreshes WHERE id = ANY($1)',
      [ids],
    );
    if (rows.length === ids.length && rows.every((r) => !['queued', 'running'].includes(r.status))) return rows;
    if (Date.now() > deadline) throw new Error(`${what}: refreshes not done within ${REFRESH_TIMEOUT_MS} ms: ${rows.map((r) => `${r.id} ${r.status}`).join(', ')}`);
    await sleep(250);
  }
}

function phaseOf(rows: RefreshRow[], startedAt: number): Phase {
  const ranBy: Record<string, number> = {};
  let vms = 0;
  let rowsWritten = 0;
  for (const row of rows) {
    const progress = JSON.parse(row.progress) as Record<string, number>;
    vms += progress.vms ?? 0;
    rowsWritten += progress.rowsWritten ?? 0;
    const pid = /:(\d+)$/.exec(row.owner ?? '')?.[1] ?? String(row.owner);
    ranBy[pid] = (ranBy[pid] ?? 0) + 1;
  }
  const lastFinished = Math.max(...rows.map((r) => r.finished_at?.getTime() ?? Number.NaN));
  return {
    wallMs: lastFinished - startedAt,
    refreshMs: rows.map((r) => (r.finished_at && r.started_at ? r.finished_at.getTime() - r.started_at.getTime() : Number.NaN)),
    vms,
    rowsWritten,
    ranBy,
    statuses: rows.map((r) => r.status),
    progress: rows.map((r) => JSON.parse(r.progress) as Record<string, number>),
  };
}

function refreshErrors(rows: RefreshRow[]): string[] {
  return rows.flatMap((r) => (JSON.parse(r.errors) as { scope: string; code: string; message: string }[]).map((e) => `${r.id} ${e.scope} ${e.code}: ${e.message}`));
}

const floorConcurrencyOf = (layout: Layout, workers: number) =>
  layout === 'A' ? Math.min(SUBSCRIPTION_CONCURRENCY, SUBSCRIPTIONS) : Math.min(SUBSCRIPTIONS, workers * REFRESH_CONCURRENCY);

describe(`scale benchmark: ${TOTAL_VMS} VMs over ${SUBSCRIPTIONS} subscriptions, PostgreSQL + Redis, ${WORKER_COUNTS.join(' and ')} worker(s)`, () => {
  let sim: { info: SimInfo; stop: () => Promise<number> } | undefined;
  let simPeakKb = 0;
  const floors = new Map<number, number>();
  let floorPeakKb = 0;
  let floorCounts: Record<string, number> = {};
  const results: RunResult[] = [];
  const loads: { when: string; loadAverage: number[] }[] = [];

  /** The figures so far, as JSON (rewritten after each run, so that a run cut short keeps what it measured). */
  const writeFigures = (peaks?: Record<string, number>): string => {
    const file = join(OUT_DIR, `${STAMP}.json`);
    const figures = {
      totalVms: TOTAL_VMS,
      subscriptions: SUBSCRIPTIONS,
      vmsPerSubscription: VMS_PER_SUBSCRIPTION,
      pageSize: PAGE_SIZE,
      subscriptionConcurrency: SUBSCRIPTION_CONCURRENCY,
      refreshConcurrency: REFRESH_CONCURRENCY,
      floors: Object.fromEntries(floors),
      floorCounts,
      floorProcessMb: mb(floorPeakKb),
      results,
      peaks,
      loads,
    };
    writeFileSync(file, JSON.stringify(figures, null, 2));
    return file;
  };

  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    loads.push({ when: 'start', loadAverage: loadavg() });
    await buildService();
    sim = await startSimulatorProcess();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    if (sim) simPeakKb = await sim.stop();
    loads.push({ when: 'end', loadAverage: loadavg() });
    const benchPeakKb = vmHwmKb(process.pid);
    const fmt = (ms: number) => (ms / 1000).toFixed(1).padStart(7);
    const lines = [
      '',
      `scale benchmark: ${TOTAL_VMS} VMs (${SUBSCRIPTIONS} subscriptions × ${VMS_PER_SUBSCRIPTION}), pages of ${PAGE_SIZE}, PostgreSQL + Redis`,
      `  A = 1 provider × ${SUBSCRIPTIONS} subscriptions (subscriptionConcurrency ${SUBSCRIPTION_CONCURRENCY}); B = ${SUBSCRIPTIONS} providers × 1 subscription (refresh.concurrency ${REFRESH_CONCURRENCY} per worker)`,
      `  floor = the same pages listed by the SDK alone (child process, nothing kept) at the parallelism the product has in that run`,
      `  simulator estate start: ${sim ? (sim.info.startMs / 1000).toFixed(1) : '?'} s; floor pages: ${JSON.stringify(floorCounts)}`,
      '',
      'layout workers | floor (par.)  | full refresh   ratio | unchanged refresh  ratio  rows written | per-refresh full s (min–max) | full ran by (pid: jobs)',
      ...results.map((r) => {
        const min = Math.min(...r.full.refreshMs);
        const max = Math.max(...r.full.refreshMs);
        return (
          `${r.layout.padEnd(6)} ${String(r.workers).padStart(7)} | ${fmt(r.floorMs)} s (${r.floorConcurrency}) | ${fmt(r.full.wallMs)} s ${(r.full.wallMs / r.floorMs).toFixed(2).padStart(6)}x | ` +
          `${fmt(r.unchanged.wallMs)} s ${(r.unchanged.wallMs / r.floorMs).toFixed(2).padStart(8)}x ${String(r.unchanged.rowsWritten).padStart(13)} | ` +
          `${(min / 1000).toFixed(1)}–${(max / 1000).toFixed(1)} | ${Object.entries(r.full.ranBy).map(([pid, n]) => `${pid}: ${n}`).join(', ')}`
        );
      }),
      '',
      'per refresh (slowest): collectMs = until the stream ended (saves included, back-pressure), saveMs = the rest (last saves, the archive pass):',
      ...results.map((r) => {
        const slowest = (phase: Phase, key: string) => Math.max(...(phase.progress ?? []).map((p) => p[key] ?? 0)) / 1000;
        return `  ${r.layout} ${r.workers}w: full collect ${slowest(r.full, 'collectMs').toFixed(1)} s, save ${slowest(r.full, 'saveMs').toFixed(1)} s; unchanged collect ${slowest(r.unchanged, 'collectMs').toFixed(1)} s, save ${slowest(r.unchanged, 'saveMs').toFixed(1)} s`;
      }),
      '',
      `peak RSS (VmHWM) per process, target < ${RSS_TARGET_MB} MB for the product's processes:`,
      ...results.map((r) => `  ${r.layout} ${r.workers}w: ${r.processes.map((p) => `${p.role} ${p.peakRssMb.toFixed(0)} MB${p.peakRssMb >= RSS_TARGET_MB ? ' (OVER)' : ''} (${p.peakAfterFullMb.toFixed(0)} after the full)`).join(', ')}`),
      `  simulator ${mb(simPeakKb).toFixed(0)} MB, floor process ${mb(floorPeakKb).toFixed(0)} MB, bench (jest) process ${mb(benchPeakKb).toFixed(0)} MB`,
      `load average (1/5/15 min): ${loads.map((l) => `${l.when} ${l.loadAverage.map((n) => n.toFixed(2)).join('/')}`).join('; ')}`,
    ];
    console.log(lines.join('\n'));
    console.log(`figures: ${writeFigures({ simulatorMb: mb(simPeakKb), floorMb: mb(floorPeakKb), benchMb: mb(benchPeakKb) })}`);
  }, 60_000);

  it('measures the floors: the SDK alone lists the same pages, at each parallelism the runs use', async () => {
    const concurrencies = [...new Set(LAYOUTS.flatMap((layout) => WORKER_COUNTS.map((w) => floorConcurrencyOf(layout, w))))].sort((a, b) => a - b);
    const floor = await measureFloor(sim!.info, concurrencies);
    for (const pass of floor.passes) floors.set(pass.concurrency, pass.ms);
    floorPeakKb = floor.vmHwmKb;
    floorCounts = floor.passes[0].counts;
    writeFigures();
    for (const pass of floor.passes) expect(pass.counts.vms).toBe(VMS_PER_SUBSCRIPTION * SUBSCRIPTIONS);
  }, TEST_TIMEOUT_MS);

  // Worker counts outer: with BENCH_SCALE_WORKERS=3,1 both layouts of 3 workers come first.
  const cases = WORKER_COUNTS.flatMap((workers) => LAYOUTS.map((layout) => [layout, workers] as const));
  it.each(cases)('layout %s with %i worker(s): full refresh from empty, then an unchanged one', async (layout, workers) => {
    const info = sim!.info;
    const prefix = `hfscale_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const scratch = await createScratchDatabase('hf_scale');
    const processes: { role: string; svc: ServiceProcess }[] = [];
    const db = new pg.Client({ connectionString: scratch.url });
    const logDir = join(OUT_DIR, `${STAMP}-logs`);
    mkdirSync(logDir, { recursive: true });
    try {
      const env: Record<string, string> = {
        REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: scratch.url,
        HYBRIDFORMS_QUEUE_PREFIX: prefix,
        HYBRIDFORMS_SECRET_KEY: randomBytes(32).toString('base64'),
        HYBRIDFORMS_ADMIN_TOKEN: `hf_scale_${randomBytes(24).toString('base64url')}`,
        // Only the refreshes work: no event poll (and the targeted refreshes it would start), no metrics.
        HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
        HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
        HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
        HYBRIDFORMS_METRIC_PURGE_SECONDS: '3600',
        LOG_LEVEL: 'log',
      };
      // The api migrates the empty database alone; then the workers start together.
      processes.push({ role: 'api', svc: await startService({ app: 'api', env, readyTimeoutMs: 180_000 }) });
      // (Node refuses --cpu-prof in NODE_OPTIONS: the profile is taken by a preloaded module.)
      const nodeOptions = [CPU_PROF_DIR ? `--import=${pathToFileURL(CPU_PROF_PRELOAD).href}` : '', WORKER_NODE_OPTIONS].filter(Boolean).join(' ');
      const workerEnv = { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...(CPU_PROF_DIR ? { BENCH_CPU_PROF_DIR: CPU_PROF_DIR } : {}) };
      const started = await Promise.all(Array.from({ length: workers }, () => startService({ app: 'worker', env: workerEnv, readyTimeoutMs: 180_000 })));
      started.forEach((svc, i) => processes.push({ role: `worker ${i + 1}`, svc }));
      const api = processes[0].svc;
      await db.connect();

      const call = <T>(method: string, path: string, body?: unknown) => httpCall<T>(`${api.url}${path}`, { method, body, headers: api.authHeaders, timeoutMs: 300_000 });
      const ids = info.subscriptionIds;
      const requests = layout === 'A' ? [providerRequest(info, 'scale-a', ids)] : ids.map((id, i) => providerRequest(info, `scale-b-${i + 1}`, [id]));

      // Full refresh from empty: creating a provider proves the connection, stores it and starts its refresh.
      const fullStart = Date.now();
      const created = await Promise.all(requests.map((body) => call<{ id: string; refreshId: string }>('POST', '/api/v1/providers', body)));
      for (const res of created) expect(res.status).toBe(201);
      const fullRows = await waitForRefreshes(db, created.map((r) => r.body.refreshId), `${layout} ${workers}w full`);
      const full = phaseOf(fullRows, fullStart);
      const peakAfterFull = new Map(processes.map(({ svc }) => [svc.pid, mb(vmHwmKb(svc.pid))]));

      // An unchanged full refresh of every provider, asked at once.
      const againStart = Date.now();
      const asked = await Promise.all(created.map((r) => call<{ id: string }>('POST', `/api/v1/providers/${r.body.id}/refresh`)));
      for (const res of asked) expect(res.status).toBe(202);
      const againRows = await waitForRefreshes(db, asked.map((r) => r.body.id), `${layout} ${workers}w unchanged`);
      const unchanged = phaseOf(againRows, againStart);

      const result: RunResult = {
        layout,
        providers: requests.length,
        workers,
        floorConcurrency: floorConcurrencyOf(layout, workers),
        floorMs: floors.get(floorConcurrencyOf(layout, workers)) ?? Number.NaN,
        full,
        unchanged,
        processes: processes.map(({ role, svc }) => ({ role: `${role} (pid ${svc.pid})`, pid: svc.pid, peakRssMb: mb(vmHwmKb(svc.pid)), peakAfterFullMb: peakAfterFull.get(svc.pid) ?? 0 })),
        loadAverage: loadavg(),
      };
      results.push(result);
      writeFigures();
      console.log(`${layout} ${workers}w: ${JSON.stringify(result)}`);

      expect({ errors: refreshErrors(fullRows), statuses: full.statuses }).toEqual({ errors: [], statuses: fullRows.map(() => 'completed') });
      expect(full.vms).toBe(VMS_PER_SUBSCRIPTION * SUBSCRIPTIONS);
      expect({ errors: refreshErrors(againRows), statuses: unchanged.statuses }).toEqual({ errors: [], statuses: againRows.map(() => 'completed') });
      expect(unchanged.vms).toBe(VMS_PER_SUBSCRIPTION * SUBSCRIPTIONS);
      expect(unchanged.rowsWritten).toBe(0);
    } finally {
      for (const { role, svc } of processes) writeFileSync(join(logDir, `${layout}-${workers}w-${role.replace(' ', '')}-${svc.pid}.log`), svc.output());
      // Workers first (a graceful stop), then the api.
      for (const { svc } of [...processes].reverse()) await svc.cleanup().catch((error: Error) => console.warn(`cleanup: ${error.message}`));
      await db.end().catch(() => undefined);
      await waitFor('the scratch database to be dropped', async () => (await scratch.drop(), true), 60_000).catch((error: Error) => console.warn(error.message));
      await deleteRedisKeys(prefix).catch((error: Error) => console.warn(`redis cleanup: ${error.message}`));
    }
  }, TEST_TIMEOUT_MS);
});
