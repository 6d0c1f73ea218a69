/**
 * `npm run bench:load`: the inventory API under load while its provider is being refreshed, on
 * SQLite and on PostgreSQL. A simulated Azure subscription of 10,000 VMs (BENCH_LOAD_VMS) is
 * inventoried once; then full refreshes of it run back to back through the API (POST
 * /providers/:id/refresh, waited for, again; before each one the simulator changes 1% of the VMs —
 * power state, tags or size — so every refresh writes), while autocannon keeps 50 connections busy
 * for 30 s (BENCH_LOAD_SECONDS) with a mix of reads: GET /vms with filters (osFamily, powerState,
 * location, q, licenseModel, tag, combinations, limit 50/200, a cursor page, a sort),
 * GET /vms/:id of random VMs, GET /hosts, /images, /networks and /events?limit=50, each request
 * carrying a viewer token stored in the database (what a dashboard holds; its check is one lookup).
 * BENCH_LOAD_MIX=vms narrows the mix to GET /vms alone (the filters, the combinations and cursor
 * pages, each at limit=100): the list's own throughput.
 *
 * Measured per database: requests/s (responses in the window / its length), latency
 * p50/p90/p99/max as the client saw it, how evenly the 50 connections were served, the refreshes
 * that completed during the window and how long they took (against one refresh with the same
 * changes and no load, run just before), the API process's event-loop delay, and server-side
 * latency per kind of request. The floor is measured in the same run under the same refresh loop:
 * the same load on GET /health (one `SELECT 1`, no token check), for the ratio inventory req/s :
 * floor req/s. The same mix with no refresh running comes first, for reference.
 *
 * Each load opens its 50 connections at once, and Node accepts one new connection per turn of its
 * event loop: against a busy server the connections are taken on one by one over seconds. So each
 * load has a ramp (until every connection has had a response, at most 60 s), reported on its own,
 * then the 30 s window on the same connections (test/bench/support/load-client.mjs).
 *
 * Assertions are on correctness only: in every window no non-2xx response, no error, no timeout
 * (any is a failure of the bench); in the ramps no non-2xx and no error other than a timeout (a
 * connection not yet accepted after autocannon's 10 s), timeouts being reported; every refresh of
 * the loop completed without errors and wrote rows.
 *
 * autocannon runs in a child process so that it does not share the API's event loop; the
 * simulator does share it, as in the refresh benchmark. Scheduled event polls and metric captures
 * are pushed out of the run (every hour): the only background work is the refresh loop.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { dirname, join } from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventCatcher, RefreshService } from '@hybridforms/discovery';
import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const VM_COUNT = Number(process.env.BENCH_LOAD_VMS ?? 10_000);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const CONNECTIONS = 50;
// The longest the connections may take to all be served before the window starts regardless.
const RAMP_MAX_SECONDS = 60;
const CHANGES_PER_REFRESH = Math.max(10, Math.round(VM_COUNT / 100));
const PAGE_SIZE = 1000;
const TIMEOUT_MS = 60 * 60 * 1000;
// BENCH_LOAD_MIX=vms: only GET /vms with filters, cursor pages included, limit=100 (the goal figure); default: the whole mix.
const VMS_ONLY = process.env.BENCH_LOAD_MIX === 'vms';
// BENCH_LOAD_CPU_PROF=<dir>: a CPU profile of the process (API and simulator) during the no-refresh window, per database.
const CPU_PROF_DIR = process.env.BENCH_LOAD_CPU_PROF;
const CLIENT = fileURLToPath(new URL('./support/load-client.mjs', import.meta.url));
const API = '/api/v1';

// Only the refresh loop works in the background: no event poll or metric capture of 10,000 VMs lands in a window.
const QUIET_SCHEDULES = {
  HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
  HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
  HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
  HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '0',
};

const HEALTH: MixCategory = { name: 'health', weight: 1, paths: ['/health'] };

interface MixCategory {
  name: string;
  weight: number;
  paths: string[];
}

/** One phase as load-client.mjs reports it (latencies in ms, as autocannon times them). */
interface LoadPhase {
  seconds: number;
  responses: number;
  requestsPerSecond: number;
  statusCodes: Record<string, number>;
  non2xx: number;
  /** Every failed request, timeouts included. */
  errors: number;
  timeouts: number;
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Responses per connection: how evenly the server served the 50. */
  perConnection: { min: number; median: number; max: number };
}

/** What load-client.mjs writes: the ramp (until every connection has had a response) and the window after it. */
interface LoadResult {
  ramp: LoadPhase & { connectionsServed: number };
  window: LoadPhase;
}

interface RefreshRun {
  id: string;
  status: string;
  errors: unknown[];
  requestedAt: number;
  finishedAt: number;
  /** requested → finished, as the refresh record says. */
  ms: number;
  rowsWritten: number;
  vms: number;
}

interface Window {
  load: LoadResult;
  /** Wall clock of the measured window (after the ramp). */
  startedAt: number;
  endedAt: number;
  /** The server process's event-loop delay during the window, ms. */
  loopDelay: { p50: number; p99: number; max: number };
}

interface Row {
  driver: string;
  initialMs: number;
  unloadedRefreshMs: number;
  unloadedRowsWritten: number;
  events: number;
  idle: Window;
  floor: Window;
  inventory: Window;
  refreshes: RefreshRun[];
  joined: number;
  /** Server side, per kind of request: in the inventory window under refresh, and in the one with no refresh. */
  routes: RouteStats[];
  idleRoutes: RouteStats[];
}

interface RouteStats {
  name: string;
  count: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  unfinished: number;
}

const rows: Row[] = [];

afterAll(() => {
  const lines = [
    `load benchmark: ${VM_COUNT} VMs, autocannon ${CONNECTIONS} connections × ${SECONDS} s per window (own process), ` +
      `full refreshes back to back throughout (${CHANGES_PER_REFRESH} VMs changed in the simulator before each), viewer token from the database`,
  ];
  for (const r of rows) {
    const inWindow = (w: Window) => r.refreshes.filter((run) => run.finishedAt >= w.startedAt && run.finishedAt <= w.endedAt);
    const during = inWindow(r.inventory);
    const duringFloor = inWindow(r.floor);
    const overlapping = r.refreshes.filter((run) => run.finishedAt >= r.inventory.startedAt && run.requestedAt <= r.inventory.endedAt);
    const idleByName = new Map(r.idleRoutes.map((s) => [s.name, s]));
    lines.push(
      `── ${r.driver}: initial inventory ${seconds(r.initialMs)}; one refresh with no load ${seconds(r.unloadedRefreshMs)} (${r.unloadedRowsWritten} rows written); ${r.events} events stored`,
      `   under refresh:`,
      `   inventory mix  ${loadLine(r.inventory)}`,
      `   floor /health  ${loadLine(r.floor)}`,
      `   ratio          inventory ${(rps(r.inventory) / rps(r.floor)).toFixed(2)}x floor req/s`,
      `   no refresh:`,
      `   inventory mix  ${loadLine(r.idle)}`,
      `                  (under refresh the mix gets ${(rps(r.inventory) / rps(r.idle)).toFixed(2)}x these req/s)`,
      `   ramps (${CONNECTIONS} connections opened at once, until each had a response): inventory ${rampLine(r.inventory)}; floor ${rampLine(r.floor)}; no refresh ${rampLine(r.idle)}`,
      `   event-loop delay of the API process: inventory ${loopLine(r.inventory)}; floor ${loopLine(r.floor)}; no refresh ${loopLine(r.idle)}`,
      `   refreshes      ${during.length} completed during the inventory window: ${runsLine(during)}`,
      `                  ${duringFloor.length} completed during the floor window: ${runsLine(duringFloor)}`,
      `                  ${overlapping.length} overlapped the inventory window (ramp excluded): ${runsLine(overlapping)}`,
      `                  ${r.refreshes.length} in the whole loop (${r.joined} joined another): mean ${seconds(mean(r.refreshes.map((run) => run.ms)))} ` +
        `(${(mean(r.refreshes.map((run) => run.ms)) / r.unloadedRefreshMs).toFixed(2)}x the unloaded one)`,
      `   per request kind, server side ('request' event to response sent), inventory window under refresh | with no refresh:`,
      ...r.routes.map((s) => {
        const i = idleByName.get(s.name);
        return `     ${s.name.padEnd(22)} ${routeLine(s)}  | ${i ? routeLine(i) : '—'}`;
      }),
    );
  }
  console.log(lines.join('\n'));
});

describe(`load benchmark (${VM_COUNT} VMs, ${CONNECTIONS} connections, ${SECONDS} s)`, () => {
  let sim: AzureSimulator;
  // One for the simulator, shared by both databases: its changes must stay changes on the second.
  let changes: SimChanges;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: VM_COUNT, pageSize: PAGE_SIZE });
    changes = new SimChanges(sim);
  }, TIMEOUT_MS);
  afterAll(() => sim?.stop());

  it.each([['sqlite'], ['postgresql']])(
    'serves the inventory mix under back-to-back refreshes on %s',
    async (driver) => {
      const scratch = driver === 'postgresql' ? await createScratchDatabase('hf_bench') : null;
      const t = await startTestApp({ ...QUIET_SCHEDULES, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
      const server = t.app.getHttpServer() as Server;
      const observer = new RouteObserver();
      const idleObserver = new RouteObserver();
      server.on('request', observer.listener);
      server.on('request', idleObserver.listener);
      let loop: RefreshLoop | null = null;
      try {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

        // Inventoried once.
        let started = performance.now();
        const created = await t.http().post(`${API}/providers`).send(azureProviderRequest(sim, `load-${driver}`)).expect(201);
        const providerId: string = created.body.id;
        const initial = await refreshOutcome(t, created.body.refreshId);
        const initialMs = performance.now() - started;
        expect({ status: initial.status, vms: initial.vms }).toEqual({ status: 'completed', vms: VM_COUNT });

        // Events for GET /events to read: the changes of one round, caught once.
        changes.apply(CHANGES_PER_REFRESH);
        const polled = (await t.app.get(EventCatcher).poll(providerId)) as { stored?: number };
        // The targeted refresh those events ask for (no coalescing delay here) runs now, not in a window.
        await new Promise((r) => setTimeout(r, 1000));
        await t.app.get(RefreshService).idle();
        await waitUntilIdle(t, providerId);

        // The reference: one full refresh with the same amount of change and no load.
        changes.apply(CHANGES_PER_REFRESH);
        started = performance.now();
        const requested = await t.http().post(`${API}/providers/${providerId}/refresh`).send({}).expect(202);
        const unloaded = await refreshOutcome(t, requested.body.id);
        const unloadedRefreshMs = performance.now() - started;
        expect({ joined: requested.body.joined, kind: unloaded.kind, status: unloaded.status }).toEqual({ joined: false, kind: 'full', status: 'completed' });

        const viewer = await t.http().post(`${API}/tokens`).send({ name: 'load-bench-viewer', role: 'viewer' }).expect(201);
        const headers = { authorization: `Bearer ${viewer.body.token}` };
        const mix = await buildMix(t);
        observer.categorize(mix);
        idleObserver.categorize(mix);
        await checkMix(t, mix, headers.authorization);

        // The health check probes ansible-runner once per process (two Python start-ups): done here, not in a window.
        await t.anonymous().get('/health').expect(200);
        // The mix with no refresh running, for reference (its ramp is the warm-up).
        const idle = await runLoad(url, mix, headers, idleObserver, CPU_PROF_DIR ? join(CPU_PROF_DIR, `load-${driver}-no-refresh.cpuprofile`) : undefined);

        loop = new RefreshLoop(t, providerId, changes);
        const floor = await runLoad(url, [HEALTH], headers);
        const inventory = await runLoad(url, mix, headers, observer);
        const { runs, joined } = await loop.stop();
        loop = null;

        const row: Row = {
          driver,
          initialMs,
          unloadedRefreshMs,
          unloadedRowsWritten: unloaded.rowsWritten,
          events: polled.stored ?? 0,
          idle,
          floor,
          inventory,
          refreshes: runs,
          joined,
          routes: observer.stats(),
          idleRoutes: idleObserver.stats(),
        };
        rows.push(row);

        // The window: no non-2xx, no error, no timeout. The ramp: no non-2xx and no error but
        // timeouts (a connection Node had not yet accepted after 10 s), which are reported.
        for (const [name, window] of Object.entries({ idle, floor, inventory })) {
          const { ramp, window: measured } = window.load;
          expect({ name, non2xx: measured.non2xx, errors: measured.errors, timeouts: measured.timeouts, statusCodes: Object.keys(measured.statusCodes) }).toEqual({
            name,
            non2xx: 0,
            errors: 0,
            timeouts: 0,
            statusCodes: ['200'],
          });
          expect({ name, non2xx: ramp.non2xx, errorsOtherThanTimeouts: ramp.errors - ramp.timeouts, statusCodes: Object.keys(ramp.statusCodes) }).toEqual({
            name,
            non2xx: 0,
            errorsOtherThanTimeouts: 0,
            statusCodes: ['200'],
          });
          expect(measured.responses).toBeGreaterThan(0);
        }
        expect(runs.filter((run) => run.status !== 'completed' || run.errors.length > 0 || run.vms !== VM_COUNT)).toEqual([]);
        expect(runs.filter((run) => run.rowsWritten === 0)).toEqual([]);
        expect(runs.length).toBeGreaterThan(0);
      } finally {
        await loop?.stop().catch(() => undefined);
        server.off('request', observer.listener);
        server.off('request', idleObserver.listener);
        await t.close();
        await scratch?.drop();
      }
    },
    TIMEOUT_MS,
  );
});

/**
 * Runs autocannon in its own process on a mix: a ramp, then the measured window. The client says
 * on stderr when the window starts and ends; the API process's event-loop delay (it serves HTTP,
 * runs the refresh and the simulator) and, when given, the server-side observer cover that window.
 */
function runLoad(url: string, mix: MixCategory[], headers: Record<string, string>, observer?: RouteObserver, profileTo?: string): Promise<Window> {
  const profiler = profileTo ? new WindowProfiler(profileTo) : null;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let startedAt = 0;
    let endedAt = 0;
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (!startedAt && err.includes('window-start\n')) {
        startedAt = Date.now();
        delay.enable();
        profiler?.start();
        if (observer) observer.recording = true;
      }
      if (!endedAt && err.includes('window-end\n')) {
        endedAt = Date.now();
        delay.disable();
        profiler?.stop();
        if (observer) observer.recording = false;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      delay.disable();
      if (observer) observer.recording = false;
      if (code !== 0) return reject(new Error(`load client exited with ${code}: ${err}`));
      try {
        const load = JSON.parse(out) as LoadResult;
        resolve({
          load,
          startedAt,
          endedAt: endedAt || Date.now(),
          loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
        });
      } catch (error) {
        reject(new Error(`load client wrote no result (${(error as Error).message}): ${err}`));
      }
    });
    child.stdin.end(JSON.stringify({ url, connections: CONNECTIONS, seconds: SECONDS, rampMaxSeconds: RAMP_MAX_SECONDS, headers, seed: 42, mix }));
  });
}

/**
 * The request mix. Weights are percentages; within a category each path is equally likely. Paths
 * come from the inventory itself (ids, names, locations, cursors), so every one answers 200.
 */
async function buildMix(t: TestApp): Promise<MixCategory[]> {
  const vms: { id: string; name: string; location: string; ipAddresses: unknown }[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: typeof vms; nextCursor: string | null } } = await t
      .http()
      .get(`${API}/vms`)
      .query({ limit: 500, ...(cursor ? { cursor } : {}) })
      .expect(200);
    vms.push(...page.body.items);
    cursor = page.body.nextCursor;
    if (cursor) cursors.push(cursor);
  } while (cursor);
  expect(vms.length).toBe(VM_COUNT);
  // A small estate has fewer pages of 500 than cursors worth having: pages of 50 then.
  if (cursors.length < 10) {
    const small: { body: { nextCursor: string | null } } = await t.http().get(`${API}/vms`).query({ limit: 50 }).expect(200);
    if (small.body.nextCursor) cursors.push(small.body.nextCursor);
  }

  const locations = [...new Set(vms.map((vm) => vm.location))].sort();
  // Every 97th VM: its name's stem (many matches), its numeric tail (few) and an address of it.
  const sampled = vms.filter((_, i) => i % 97 === 0).slice(0, 40);
  const substrings = new Set<string>();
  for (const vm of sampled) {
    substrings.add(vm.name.replace(/-\d+$/, ''));
    substrings.add(vm.name.slice(-5));
    const ips = Array.isArray(vm.ipAddresses) ? (vm.ipAddresses as string[]) : typeof vm.ipAddresses === 'string' ? vm.ipAddresses.split(',') : [];
    if (ips[0]) substrings.add(ips[0].trim());
  }
  const vmsPath = (query: Record<string, string | number>) => `${API}/vms?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`;
  const limits = VMS_ONLY ? [100] : [50, 200];
  const each = <T>(values: T[], make: (value: T, limit: number) => string) => values.flatMap((value) => limits.map((limit) => make(value, limit)));
  const combined = VMS_ONLY
    ? [
        vmsPath({ osFamily: 'rhel', powerState: 'running', location: locations[0], limit: 100 }),
        vmsPath({ osFamily: 'rhel', licenseModel: 'payg', tag: 'env=prod', limit: 100 }),
        vmsPath({ osFamily: 'rhel', osVersion: '9', powerState: 'running', limit: 100 }),
        vmsPath({ powerState: 'running', sort: '-updatedAt', limit: 100 }),
        vmsPath({ limit: 100 }),
      ]
    : [
        vmsPath({ osFamily: 'rhel', powerState: 'running', location: locations[0], limit: 200 }),
        vmsPath({ osFamily: 'rhel', licenseModel: 'payg', tag: 'env=prod', limit: 50 }),
        vmsPath({ osFamily: 'rhel', osVersion: '9', powerState: 'running', limit: 50 }),
        vmsPath({ powerState: 'running', sort: '-updatedAt', limit: 50 }),
        vmsPath({ limit: 50 }),
      ];
  const cursorPages = VMS_ONLY
    ? cursors.flatMap((c) => [vmsPath({ limit: 100, cursor: c }), vmsPath({ osFamily: 'rhel', limit: 100, cursor: c })])
    : cursors.flatMap((c) => [vmsPath({ limit: 50, cursor: c }), vmsPath({ osFamily: 'rhel', limit: 200, cursor: c })]);
  const mix: MixCategory[] = [
    { name: 'vms osFamily', weight: 6, paths: each(['rhel', 'windows', 'rhel,linux-other'], (v, limit) => vmsPath({ osFamily: v, limit })) },
    { name: 'vms powerState', weight: 6, paths: each(['running', 'deallocated', 'stopped,deallocated'], (v, limit) => vmsPath({ powerState: v, limit })) },
    { name: 'vms location', weight: 6, paths: each(locations, (v, limit) => vmsPath({ location: v, limit })) },
    { name: 'vms q', weight: 6, paths: each([...substrings], (v, limit) => vmsPath({ q: v, limit })) },
    { name: 'vms licenseModel', weight: 5, paths: each(['byos', 'payg', 'unknown'], (v, limit) => vmsPath({ licenseModel: v, limit })) },
    { name: 'vms tag', weight: 5, paths: each(['env=prod', 'owner=team-sap', 'ansible-group=patch-wave-1', 'costCenter'], (v, limit) => vmsPath({ tag: v, limit })) },
    { name: 'vms combined', weight: 5, paths: combined },
    { name: 'vms cursor page', weight: 6, paths: cursorPages },
    { name: 'vm detail', weight: 25, paths: vms.map((vm) => `${API}/vms/${vm.id}`) },
    { name: 'hosts', weight: 4, paths: [`${API}/hosts`, `${API}/hosts?limit=200`] },
    { name: 'images', weight: 4, paths: [`${API}/images`, `${API}/images?limit=200`] },
    { name: 'networks', weight: 4, paths: [`${API}/networks`, `${API}/networks?limit=200`] },
    { name: 'events', weight: 18, paths: [`${API}/events?limit=50`] },
  ];
  return mix.filter((category) => category.paths.length > 0 && (!VMS_ONLY || category.name.startsWith('vms ')));
}

/** Every path of the mix (a sample of the VM details) answers 200 with the viewer token, before any load. */
async function checkMix(t: TestApp, mix: MixCategory[], authorization: string): Promise<void> {
  for (const category of mix) {
    const paths = category.name === 'vm detail' ? category.paths.filter((_, i) => i % 500 === 0) : category.paths;
    for (const path of paths) {
      const res = await t.anonymous().get(path).set('authorization', authorization);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  }
}

// Sizes the generated estate never uses, in rotation: every resize is a change.
const RESIZES = ['Standard_D8s_v5', 'Standard_E8s_v3', 'Standard_D8s_v3'];

/**
 * Changes the simulated estate between refreshes: power toggles, retags (the round in a tag) and
 * resizes, in rotation. It remembers what it did, so that every change is one (across databases too).
 */
class SimChanges {
  private readonly ids: string[];
  private readonly deallocated = new Set<string>();
  private readonly resized = new Map<string, number>();
  private round = 0;

  constructor(private readonly sim: AzureSimulator) {
    this.ids = sim.vmIds();
  }

  apply(count: number): void {
    const round = this.round++;
    for (let k = 0; k < count; k++) {
      // A stride prime to the estate size walks every VM before repeating one.
      const id = this.ids[(round * count * 7919 + k * 7919) % this.ids.length];
      switch (k % 3) {
        case 0:
          if (this.deallocated.delete(id)) this.sim.setPowerState(id, 'running');
          else {
            this.deallocated.add(id);
            this.sim.setPowerState(id, 'deallocated');
          }
          break;
        case 1:
          this.sim.setTags(id, { env: 'load', owner: 'team-bench', round: String(round) });
          break;
        default:
          {
            const n = this.resized.get(id) ?? 0;
            this.resized.set(id, n + 1);
            this.sim.resizeVm(id, RESIZES[n % RESIZES.length]);
          }
      }
    }
  }
}

/** Full refreshes back to back through the API until stopped; each preceded by a round of changes. */
class RefreshLoop {
  private stopping = false;
  private readonly runs: RefreshRun[] = [];
  private joined = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly t: TestApp,
    private readonly providerId: string,
    private readonly changes: SimChanges,
  ) {
    this.done = this.run();
    // Handled here so that a failure before stop() is not an unhandled rejection; stop() reports it.
    this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.changes.apply(CHANGES_PER_REFRESH);
      const res = await this.t.http().post(`${API}/providers/${this.providerId}/refresh`).send({}).expect(202);
      const outcome = await refreshOutcome(this.t, res.body.id, 200);
      if (res.body.joined || outcome.kind !== 'full') this.joined++;
      else this.runs.push(outcome);
    }
  }

  /** Lets the running refresh finish; resolves to every refresh the loop started. */
  async stop(): Promise<{ runs: RefreshRun[]; joined: number }> {
    this.stopping = true;
    await this.done;
    return { runs: this.runs, joined: this.joined };
  }
}

/** Polls a refresh until it leaves queued/running, every `pollMs` (few requests: they land on the server measured). */
async function refreshOutcome(t: TestApp, id: string, pollMs = 100): Promise<RefreshRun & { kind: string }> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const { body } = await t.http().get(`${API}/refreshes/${id}`).expect(200);
    if (!['queued', 'running'].includes(body.status)) {
      const progress = (body.progress ?? {}) as Record<string, number>;
      const requestedAt = Date.parse(body.requestedAt);
      const finishedAt = Date.parse(body.finishedAt);
      return {
        id,
        kind: body.kind,
        status: body.status,
        errors: body.errors,
        requestedAt,
        finishedAt,
        ms: finishedAt - requestedAt,
        rowsWritten: progress.rowsWritten,
        vms: progress.vms,
      };
    }
    if (Date.now() > deadline) throw new Error(`refresh ${id} still ${body.status} after ${TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function waitUntilIdle(t: TestApp, providerId: string): Promise<void> {
  for (;;) {
    const { body } = await t.http().get(`${API}/refreshes`).query({ provider: providerId, status: 'queued,running' }).expect(200);
    if (body.items.length === 0) return;
    await refreshOutcome(t, body.items[0].id);
  }
}

/** Server-side latency and status per kind of request, from a 'request' listener beside Express. */
class RouteObserver {
  recording = false;
  private readonly kinds = new Map<string, string>();
  private readonly samples = new Map<string, { ms: number[]; non2xx: number; unfinished: number }>();

  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    if (!this.recording) return;
    const started = performance.now();
    const kind = this.kinds.get(request.url ?? '') ?? 'other (refresh loop)';
    response.once('close', () => {
      let sample = this.samples.get(kind);
      if (!sample) this.samples.set(kind, (sample = { ms: [], non2xx: 0, unfinished: 0 }));
      if (!response.writableFinished) sample.unfinished++;
      else {
        sample.ms.push(performance.now() - started);
        if (response.statusCode < 200 || response.statusCode > 299) sample.non2xx++;
      }
    });
  };

  categorize(mix: MixCategory[]): void {
    for (const category of mix) for (const path of category.paths) this.kinds.set(path, category.name);
  }

  stats(): RouteStats[] {
    return [...this.samples.entries()]
      .map(([name, s]) => {
        const sorted = [...s.ms].sort((a, b) => a - b);
        return { name, count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0, non2xx: s.non2xx, unfinished: s.unfinished };
      })
      .sort((a, b) => b.count - a.count);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function seconds(value: number): string {
  return `${(value / 1000).toFixed(1)} s`;
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function routeLine(s: RouteStats): string {
  return (
    `${String(s.count).padStart(5)} req p50 ${ms(s.p50).padStart(7)} p99 ${ms(s.p99).padStart(7)} max ${ms(s.max).padStart(7)}` +
    (s.non2xx || s.unfinished ? ` (non-2xx ${s.non2xx}, cut off ${s.unfinished})` : '')
  );
}

function rps(w: Window): number {
  return w.load.window.requestsPerSecond;
}

function loadLine(w: Window): string {
  const l = w.load.window;
  return (
    `${Math.round(l.requestsPerSecond).toLocaleString('en-US')} req/s (mean: ${l.responses.toLocaleString('en-US')} responses in ${l.seconds.toFixed(1)} s), ` +
    `latency p50 ${ms(l.latency.p50)}, p90 ${ms(l.latency.p90)}, p99 ${ms(l.latency.p99)}, max ${ms(l.latency.max)}; ` +
    `non-2xx ${l.non2xx}, errors ${l.errors}, timeouts ${l.timeouts}; responses per connection min ${l.perConnection.min} / median ${l.perConnection.median} / max ${l.perConnection.max}`
  );
}

function rampLine(w: Window): string {
  const r = w.load.ramp;
  return `${r.seconds.toFixed(1)} s (${r.connectionsServed} served, ${r.timeouts} timeouts, non-2xx ${r.non2xx}, p99 ${ms(r.latency.p99)})`;
}

function loopLine(w: Window): string {
  return `p50 ${ms(w.loopDelay.p50)}, p99 ${ms(w.loopDelay.p99)}, max ${ms(w.loopDelay.max)}`;
}

function runsLine(runs: RefreshRun[]): string {
  return runs.length === 0 ? '—' : runs.map((run) => `${seconds(run.ms)} (${run.rowsWritten} rows)`).join(', ');
}

/** The V8 profiler of this process, through the in-process inspector, for one window. */
class WindowProfiler {
  private readonly session = new Session();

  constructor(private readonly file: string) {}

  start(): void {
    this.session.connect();
    this.session.post('Profiler.enable');
    this.session.post('Profiler.setSamplingInterval', { interval: 1000 });
    this.session.post('Profiler.start');
  }

  stop(): void {
    this.session.post('Profiler.stop', (error, result) => {
      if (!error) {
        mkdirSync(dirname(this.file), { recursive: true });
        writeFileSync(this.file, JSON.stringify(result.profile));
        console.log(`load bench: CPU profile of the no-refresh window in ${this.file}`);
      }
      this.session.disconnect();
    });
  }
}
