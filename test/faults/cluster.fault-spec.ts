import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/postgres.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { apiFromUrl, checkInvariants, inventoryFingerprint, noRunLeftRunning, openDb, type ApiAccess, type DbAccess } from './support/invariants.js';
import { buildService, processesMentioning, runServiceToExit, startService, waitFor, type ServiceProcess } from './support/service-process.js';
import { deleteKeys as deleteRedisKeys, TEST_REDIS_URL } from '../../libs/jobs/src/testing/redis-test-queue.js';
import { provisionSlotsKey } from '../../libs/provisioning/src/cluster-provider-slots.js';

/*
 * A cluster on the local PostgreSQL and Redis: two api processes (they only enqueue) and three
 * workers (they run every job and fire the schedules once per cluster), all of the product's own
 * build, started once for the whole describe block; the Azure simulator, the loopback sshd and the
 * playbooks live in this process. Scenarios: schedules fire once per tick, one refresh per
 * provider under concurrent requests to both apis, a worker SIGKILLed mid-refresh (taken over) and
 * mid-playbook-run (failed, never run again), a worker SIGTERMed mid-refresh (finishes it), and the
 * start-up errors of a misconfigured cluster. Each ends with the shared invariants.
 */

const LOCK_SECONDS = 5;
const STALLED_CHECK_SECONDS = 2;
const EVENT_POLL_SECONDS = 2;
const SCHEDULER_TICK_SECONDS = 2;
const SCENARIO_MS = 120_000;

type Refresh = { id: string; status: string; kind: string; errors: { code: string; message: string }[]; finishedAt: string | null; joined?: boolean };
type Vm = { id: string; nativeId: string };
type Run = { id: string; status: string; reason: string | null; eventCount: number; finishedAt: string | null };
type RunEvent = { counter: number; event: string };
type SimRequestLike = { path: string; query: Record<string, unknown>; status: number };

const isActivityLog = (r: SimRequestLike) => /eventtypes\/management\/values/i.test(r.path);
const isFirstPage = (r: SimRequestLike) => !Object.keys(r.query).some((key) => key.toLowerCase() === '$skiptoken');
/** A full VM listing of a subscription (first page, not the statusOnly one): one per full refresh. */
const vmListingSubscription = (r: SimRequestLike): string | null => {
  const match = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/?$/i.exec(r.path);
  if (!match || !isFirstPage(r)) return null;
  const statusOnly = Object.entries(r.query).some(([key, value]) => key.toLowerCase() === 'statusonly' && String(value) === 'true');
  return statusOnly ? null : match[1].toLowerCase();
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pidOfOwner = (owner: string | null | undefined): number | null => {
  const match = /:(\d+)$/.exec(owner ?? '');
  return match ? Number(match[1]) : null;
};

let scenarios = 0;
let checks = 0;

afterAll(() => {
  console.log(`faults: ${scenarios} scenarios, ${checks} invariant checks (cluster.fault-spec.ts)`);
});

describe('a misconfigured cluster fails to start with a clear message', () => {
  beforeAll(async () => {
    await buildService();
  }, 180_000);

  it('an api with REDIS_URL but no DATABASE_URL exits non-zero: distributed mode needs PostgreSQL (the Redis password not shown)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-cluster-cfg-'));
    try {
      const password = `pw${randomBytes(9).toString('hex')}`;
      const result = await runServiceToExit('api', {
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        HYBRIDFORMS_SECRET_KEY: randomBytes(32).toString('base64'),
        HYBRIDFORMS_ADMIN_TOKEN: `hf_cluster_${randomBytes(16).toString('hex')}`,
        REDIS_URL: `redis://:${password}@127.0.0.1:6379`,
      });
      expect(result.timedOut).toBe(false);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.output).toContain('distributed mode needs PostgreSQL');
      expect(result.output).not.toContain(password);
      scenarios += 1;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a worker without REDIS_URL exits non-zero saying it needs REDIS_URL; with REDIS_URL but no DATABASE_URL, that it needs PostgreSQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-cluster-cfg-'));
    try {
      const base = {
        HYBRIDFORMS_WORKER_PORT: '0',
        DATA_DIR: dataDir,
        HYBRIDFORMS_SECRET_KEY: randomBytes(32).toString('base64'),
        HYBRIDFORMS_ADMIN_TOKEN: `hf_cluster_${randomBytes(16).toString('hex')}`,
      };
      const noRedis = await runServiceToExit('worker', { ...base, DATABASE_URL: TEST_DATABASE_URL });
      expect(noRedis.timedOut).toBe(false);
      expect(noRedis.code).not.toBe(0);
      expect(noRedis.code).not.toBeNull();
      expect(noRedis.output).toMatch(/REDIS_URL/);
      expect(noRedis.output).not.toMatch(/running jobs/);

      const password = `pw${randomBytes(9).toString('hex')}`;
      const noDatabase = await runServiceToExit('worker', { ...base, REDIS_URL: `redis://:${password}@127.0.0.1:6379` });
      expect(noDatabase.timedOut).toBe(false);
      expect(noDatabase.code).not.toBe(0);
      expect(noDatabase.output).toContain('distributed mode needs PostgreSQL');
      expect(noDatabase.output).not.toContain(password);
      scenarios += 1;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('a cluster: two apis and three workers on PostgreSQL and Redis', () => {
  const prefix = `hfc_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let catalog: string;
  let workDir: string;
  let databaseUrl: string;
  let apis: ServiceProcess[] = [];
  let workers: ServiceProcess[] = [];
  let db: DbAccess;
  let api: ApiAccess;
  let providerId: string;
  let credentialId: string;

  const all = () => [...apis, ...workers];
  const play = (name: string, tasks: string) =>
    `- name: ${name}\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n${tasks}`;

  /** The test body, with the tails of every process's output appended to a failure's message. */
  const withOutput = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      if (error && typeof error === 'object' && 'message' in error) {
        const tails = all()
          .map((p, i) => `----- ${i < apis.length ? `api ${i + 1}` : `worker ${i - apis.length + 1}`} (pid ${p.pid}) output (tail) -----\n${p.output().slice(-3000)}`)
          .join('\n');
        (error as { message: string }).message += `\n${tails}`;
      }
      throw error;
    }
  };

  beforeAll(async () => {
    await buildService();
    sshd = await startLoopbackSshd();
    cleanups.push(() => sshd.stop());
    catalog = mkdtempSync(join(tmpdir(), 'hf-cluster-catalog-'));
    cleanups.push(() => rmSync(catalog, { recursive: true, force: true }));
    writeFileSync(
      join(catalog, 'long.yml'),
      play('Take long', '    - name: first\n      ansible.builtin.command: echo first\n    - name: sleep\n      ansible.builtin.command: sleep 60\n'),
    );
    // One host: the workers share the run work directory (each runs under a directory of its own in it).
    workDir = mkdtempSync('/tmp/hf-cl-');
    cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
    sim = await AzureSimulator.start({ vmCount: 8 });
    cleanups.push(() => sim.stop());
    const scratch = await createScratchDatabase('hf_cluster');
    cleanups.push(() => scratch.drop());
    databaseUrl = scratch.url;
    cleanups.push(() => deleteRedisKeys(prefix));

    const env: Record<string, string> = {
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: databaseUrl,
      HYBRIDFORMS_QUEUE_PREFIX: prefix,
      HYBRIDFORMS_JOB_LOCK_SECONDS: String(LOCK_SECONDS),
      HYBRIDFORMS_JOB_STALLED_CHECK_SECONDS: String(STALLED_CHECK_SECONDS),
      HYBRIDFORMS_SHUTDOWN_GRACE_SECONDS: '30',
      HYBRIDFORMS_EVENT_POLL_SECONDS: String(EVENT_POLL_SECONDS),
      HYBRIDFORMS_SCHEDULER_TICK_SECONDS: String(SCHEDULER_TICK_SECONDS),
      HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
      HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
      HYBRIDFORMS_METRIC_PURGE_SECONDS: '3600',
      HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '1',
      // One cluster: one key for the stored credentials, one admin token.
      HYBRIDFORMS_SECRET_KEY: randomBytes(32).toString('base64'),
      HYBRIDFORMS_ADMIN_TOKEN: `hf_cluster_${randomBytes(24).toString('base64url')}`,
      HYBRIDFORMS_PLAYBOOK_DIRS: catalog,
      HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`,
      // One provision task making VMs at a time per provider, cluster-wide; one operation or task
      // per worker at a time, so a request's tasks spread over the workers.
      HYBRIDFORMS_PROVISION_CONCURRENCY_PER_PROVIDER: '1',
      HYBRIDFORMS_OPERATION_CONCURRENCY: '1',
    };
    const start = async (app: 'api' | 'worker') => {
      const svc = await startService({ app, env, workDir, readyTimeoutMs: 120_000 });
      cleanups.push(() => svc.cleanup());
      return svc;
    };
    // The first api migrates the empty database alone; then the others start together.
    const first = await start('api');
    apis = [first];
    const rest = await Promise.all([start('api'), start('worker'), start('worker'), start('worker')]);
    apis.push(rest[0]);
    workers = rest.slice(1);

    db = await openDb({ databaseUrl });
    cleanups.push(() => db.close());
    api = { get: (path) => apiFromUrl(apis[0].url, apis[0].authHeaders).get(path) };

    // Scheduled refreshes only when a scenario makes the provider due.
    const request = azureProviderRequest(sim, 'cluster');
    const created = await first.api<{ id: string; refreshId: string }>('POST', '/api/v1/providers', {
      ...request,
      config: { ...request.config, locations: ['eastus'] },
      refreshIntervalSeconds: 86_400,
    });
    expect(created.status).toBe(201);
    providerId = created.body.id;
    expect(await waitForRefresh(created.body.refreshId)).toMatchObject({ status: 'completed' });
    const credential = await first.api<{ id: string }>('POST', '/api/v1/machine-credentials', {
      name: 'loopback',
      username: sshd.user,
      privateKey: sshd.clientPrivateKey,
      knownHosts: sshd.knownHostsLine,
    });
    expect(credential.status).toBe(201);
    credentialId = credential.body.id;
    // The first event poll has stored the estate's history (its targeted refreshes, if any, are done).
    await waitFor('the first event poll to store', async () => (await db.query('SELECT 1 FROM event_checkpoints WHERE provider_id = $1', [providerId])).length > 0, 60_000);
    await noRunLeftRunning({ db, graceMs: 30_000 });
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch((error: Error) => console.warn(`cleanup: ${error.message}`));
  }, 120_000);

  /** Between scenarios: no fault left, every worker up, nothing running. */
  afterEach(async () => {
    sim?.clearFaults();
    for (const worker of workers) if (!worker.alive()) await worker.restart();
    if (db) await noRunLeftRunning({ db, graceMs: 60_000 }).catch((error: Error) => console.warn(`after the scenario: ${error.message}`));
  }, 180_000);

  async function refreshOf(id: string): Promise<Refresh> {
    const res = await apis[0].api<Refresh>('GET', `/api/v1/refreshes/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function waitForRefresh(id: string, timeoutMs = 60_000): Promise<Refresh> {
    let last: Refresh | null = null;
    await waitFor(`refresh ${id} to end`, async () => !['queued', 'running'].includes((last = await refreshOf(id)).status), timeoutMs);
    return last!;
  }

  async function refreshRow(id: string): Promise<{ status: string; owner: string | null; started_at: Date | null; finished_at: Date | null }> {
    return (await db.query<{ status: string; owner: string | null; started_at: Date | null; finished_at: Date | null }>(
      'SELECT status, owner, started_at, finished_at FROM refreshes WHERE id = $1',
      [id],
    ))[0];
  }

  const workerOfPid = (pid: number | null) => workers.find((w) => w.alive() && w.pid === pid);

  /**
   * Asks an api for a full refresh and waits until a worker runs it with a NIC request pending at
   * the simulator (slow the NIC list first); returns the refresh, its row and that worker.
   */
  async function refreshHeldByAWorker(via: ServiceProcess, what: string): Promise<{ refreshId: string; row: Awaited<ReturnType<typeof refreshRow>>; worker: ServiceProcess; mark: number }> {
    const mark = sim.requests.length;
    const requested = await via.api<Refresh>('POST', `/api/v1/providers/${providerId}/refresh`);
    expect(requested.status).toBe(202);
    const refreshId = requested.body.id;
    const row = await waitFor(
      what,
      async () => {
        const current = await refreshRow(refreshId);
        const pending = sim.requests.slice(mark).some((r) => /networkInterfaces/i.test(r.path) && r.status === 0);
        return current.status === 'running' && pending ? current : null;
      },
      30_000,
    );
    const worker = workerOfPid(pidOfOwner(row.owner));
    if (!worker) throw new Error(`the refresh's owner ${row.owner} is none of the workers (${workers.map((w) => w.pid).join(', ')})`);
    return { refreshId, row, worker, mark };
  }

  /** How many firings of a scheduled kind the queue ran since `sinceMs` (its completed and failed jobs). */
  async function firingsSince(kind: string, sinceMs: number): Promise<number> {
    const queue = new Queue(kind, { connection: { url: TEST_REDIS_URL }, prefix });
    try {
      const jobs = await queue.getJobs(['completed', 'failed', 'active'], 0, 500);
      return jobs.filter((job) => job.repeatJobKey && (job.processedOn ?? 0) >= sinceMs).length;
    } finally {
      await queue.close();
    }
  }

  /** A slow simulator: each NIC list request waits `delayMs` (a streamed full refresh lists NICs twice). */
  const slowNics = (delayMs: number) => sim.injectFault({ route: 'networkInterfaces', kind: 'slow', delayMs, times: Infinity });

  it(
    'schedules fire once per tick for the cluster: one Activity Log poll per event tick, one refresh per due provider',
    withOutput(async () => {
      const subscription = sim.subscriptionIds[0];
      const windowMs = 12_000;
      const mark = sim.requests.length;
      const since = Date.now();
      await sleep(windowMs);
      const polls = sim.requests.slice(mark).filter((r) => isActivityLog(r) && isFirstPage(r) && r.path.toLowerCase().includes(subscription.toLowerCase())).length;
      const eventTicks = windowMs / 1000 / EVENT_POLL_SECONDS;
      const eventFirings = await firingsSince('event-poll-tick', since);
      console.log(`cluster: ${polls} Activity Log polls and ${eventFirings} event-poll-tick firings in ${windowMs / 1000} s (${eventTicks} ticks, 3 workers)`);
      expect(polls).toBeLessThanOrEqual(eventTicks + 1);
      expect(polls).toBeGreaterThanOrEqual(eventTicks - 2);
      expect(eventFirings).toBeLessThanOrEqual(eventTicks + 1);

      // The provider becomes due: the next ticks ask for one scheduled refresh, not one per worker.
      const vmMark = sim.requests.length;
      const refreshSince = Date.now();
      await db.query("UPDATE providers SET last_full_refresh_at = NOW() - INTERVAL '2 days' WHERE id = $1", [providerId]);
      const scheduled = await waitFor(
        'a scheduled refresh',
        async () => {
          const rows = await db.query<{ id: string }>("SELECT id FROM refreshes WHERE provider_id = $1 AND trigger = 'schedule'", [providerId]);
          return rows.length > 0 ? rows : null;
        },
        20_000,
      );
      expect(await waitForRefresh(scheduled[0].id)).toMatchObject({ status: 'completed' });
      // A few more ticks: the provider is not due any more, and no other tick asked again.
      await sleep(3 * SCHEDULER_TICK_SECONDS * 1000);
      const refreshTicks = await firingsSince('refresh-tick', refreshSince);
      const rows = await db.query<{ id: string }>("SELECT id FROM refreshes WHERE provider_id = $1 AND trigger = 'schedule'", [providerId]);
      expect(rows.map((r) => r.id)).toEqual([scheduled[0].id]);
      const listings = sim.requests.slice(vmMark).map(vmListingSubscription).filter((s) => s !== null);
      expect(listings).toEqual([subscription.toLowerCase()]);
      const refreshWindowTicks = (Date.now() - refreshSince) / 1000 / SCHEDULER_TICK_SECONDS;
      console.log(`cluster: ${refreshTicks} refresh-tick firings in ${(refreshWindowTicks * SCHEDULER_TICK_SECONDS).toFixed(1)} s (${refreshWindowTicks.toFixed(1)} ticks)`);
      expect(refreshTicks).toBeLessThanOrEqual(Math.ceil(refreshWindowTicks) + 1);
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'concurrent refresh requests to both apis: one refresh, never two running, one VM listing per subscription',
    withOutput(async () => {
      slowNics(2_500);
      const mark = sim.requests.length;
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => apis[i % apis.length].api<Refresh>('POST', `/api/v1/providers/${providerId}/refresh`)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
      const ids = new Set(answers.map((a) => a.body.id));
      expect(ids.size).toBe(1);
      const [refreshId] = ids;
      expect(answers.filter((a) => a.body.joined === false)).toHaveLength(1);

      // While it runs: never two active refreshes of the provider.
      let maxRunning = 0;
      let maxActive = 0;
      let samples = 0;
      await waitFor(
        'the refresh to end (watching the refreshes table)',
        async () => {
          const rows = await db.query<{ id: string; status: string }>("SELECT id, status FROM refreshes WHERE provider_id = $1 AND status IN ('queued', 'running')", [providerId]);
          samples += 1;
          maxRunning = Math.max(maxRunning, rows.filter((r) => r.status === 'running').length);
          maxActive = Math.max(maxActive, rows.length);
          return rows.length === 0;
        },
        60_000,
      );
      expect(samples).toBeGreaterThan(10); // it ran for a while
      expect(maxRunning).toBeLessThanOrEqual(1);
      expect(maxActive).toBeLessThanOrEqual(1);
      expect(await refreshOf(refreshId)).toMatchObject({ status: 'completed' });
      const started = await db.query<{ id: string }>('SELECT id FROM refreshes WHERE provider_id = $1 AND requested_at >= (SELECT requested_at FROM refreshes WHERE id = $2)', [
        providerId,
        refreshId,
      ]);
      expect(started.map((r) => r.id)).toEqual([refreshId]);
      const listings = sim.requests.slice(mark).map(vmListingSubscription).filter((s) => s !== null);
      expect(listings.sort()).toEqual(sim.subscriptionIds.map((s) => s.toLowerCase()).sort());
      sim.clearFaults();
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'a worker SIGKILLed mid-operation: another worker takes the operation over and polls the same Azure async operation; no second POST',
    withOutput(async () => {
      sim.setVmOperationTiming({ delayMs: 15_000 });
      try {
        const vms = (await apis[1].api<{ items: { id: string; nativeId: string }[] }>('GET', `/api/v1/vms?provider=${providerId}&powerState=running&limit=1`)).body.items;
        const vm = vms[0];
        const accepted = await apis[1].api<{ id: string }>('POST', `/api/v1/vms/${vm.id}/actions`, { action: 'stop' });
        expect(accepted.status).toBe(202);
        const operationId = accepted.body.id;
        const rowOf = async () => (await db.query<{ status: string; owner: string | null; steps: string }>('SELECT status, owner, steps FROM operations WHERE id = $1', [operationId]))[0];
        let owner: string | null = null;
        await waitFor('a worker to hold the operation with Azure\'s continuation stored', async () => {
          const row = await rowOf();
          owner = row.owner;
          return row.status === 'running' && (JSON.parse(row.steps) as { continuation?: string | null }[])[0].continuation != null;
        }, 60_000);
        const victim = workerOfPid(pidOfOwner(owner));
        expect(victim).toBeDefined();
        const posts = () => sim.requests.filter((r) => r.method === 'POST' && r.vmAction && r.path.toLowerCase().startsWith(vm.nativeId));
        expect(posts()).toHaveLength(1);
        const killedAt = Date.now();
        expect((await victim!.kill('SIGKILL')).signal).toBe('SIGKILL');
        await waitFor('the operation to end on another worker', async () => !['queued', 'running'].includes((await rowOf()).status), 90_000);
        const after = await rowOf();
        console.log(`cluster: operation taken over and ended ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the SIGKILL of its worker`);
        expect(after.status).toBe('succeeded');
        expect(after.owner).not.toBe(owner);
        expect(workerOfPid(pidOfOwner(after.owner))).toBeDefined();
        expect(posts()).toHaveLength(1);
        await waitFor('the VM read back stopped', async () => (await apis[0].api<{ powerState: string }>('GET', `/api/v1/vms/${vm.id}`)).body.powerState === 'stopped', 60_000);
        checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
        scenarios += 1;
      } finally {
        sim.setVmOperationTiming({ delayMs: 3000 });
      }
    }),
    SCENARIO_MS,
  );

  it(
    'a worker SIGKILLed mid-refresh: another worker takes the refresh over and completes it; the inventory is a clean run\'s',
    withOutput(async () => {
      // The estate changes: one VM gone, one new (the taken-over refresh must archive and add them).
      const gone = sim.vmIds()[2];
      sim.removeVm(gone);
      sim.addVm(sim.subscriptionIds[0], { name: 'added-before-kill', imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' } });
      slowNics(3_000);
      const { refreshId, row, worker: victim } = await refreshHeldByAWorker(apis[1], 'the refresh running on a worker with a NIC request pending');
      expect(row.owner).toMatch(new RegExp(`^${hostname()}:\\d+$`));
      const killedAt = Date.now();
      expect((await victim.kill('SIGKILL')).signal).toBe('SIGKILL');
      // The takeover's own run is quicker (the NIC lists wait 1 s, not 3).
      sim.clearFaults();
      slowNics(1_000);

      let takenOverAt = 0;
      let newOwner: string | null = null;
      await waitFor(
        'the refresh to be taken over by another worker',
        async () => {
          const current = await refreshRow(refreshId);
          if (current.owner !== row.owner && current.owner !== null) {
            takenOverAt ||= Date.now();
            newOwner = current.owner;
          }
          return takenOverAt > 0;
        },
        60_000,
      );
      const finished = await waitForRefresh(refreshId, Math.max(1_000, 60_000 - (Date.now() - killedAt)));
      const completedAt = Date.now();
      console.log(
        `cluster: refresh taken over ${((takenOverAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL of its worker (lock ${LOCK_SECONDS} s, stalled check ${STALLED_CHECK_SECONDS} s), completed ${((completedAt - killedAt) / 1000).toFixed(1)} s after it`,
      );
      expect(finished.status).toBe('completed');
      expect(completedAt - killedAt).toBeLessThan(60_000);
      const after = await refreshRow(refreshId);
      expect(after.owner).toBe(newOwner);
      expect(workerOfPid(pidOfOwner(after.owner))).toBeDefined();
      expect(after.owner).not.toBe(row.owner);
      sim.clearFaults();

      // One row per native id, the estate's VMs exactly (the removed one archived by this refresh).
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      const goneRow = await db.query<{ archived_at: unknown }>('SELECT archived_at FROM vms WHERE native_id = $1', [gone.toLowerCase()]);
      expect(goneRow).toHaveLength(1);
      expect(goneRow[0].archived_at).not.toBeNull();
      for (const table of ['nics', 'disks']) {
        const duplicates = await db.query(`SELECT native_id FROM ${table} WHERE provider_id = $1 GROUP BY native_id HAVING COUNT(*) > 1`, [providerId]);
        expect({ table, duplicates }).toEqual({ table, duplicates: [] });
      }
      // A clean full refresh of the same estate finds nothing to write: the taken-over one left what a clean run leaves.
      const fingerprint = await inventoryFingerprint(db, providerId);
      const clean = await apis[0].api<Refresh>('POST', `/api/v1/providers/${providerId}/refresh`);
      expect(clean.status).toBe(202);
      expect(await waitForRefresh(clean.body.id)).toMatchObject({ status: 'completed' });
      expect(await inventoryFingerprint(db, providerId)).toBe(fingerprint);
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'a worker SIGKILLed mid-playbook-run: the run ends error naming the stopped worker and is never run again',
    withOutput(async () => {
      const playbooks = (await apis[0].api<{ items: { id: string }[] }>('GET', '/api/v1/playbooks')).body.items;
      const playbook = playbooks.find((p) => p.id.endsWith('/long.yml'))!.id;
      const [vm] = (await apis[0].api<{ items: Vm[] }>('GET', '/api/v1/vms?osFamily=rhel&powerState=running&limit=1')).body.items;
      expect(vm).toBeDefined();
      const requested = await apis[1].api<Run>('POST', '/api/v1/playbook-runs', { playbook, targets: { vmIds: [vm.id] }, credentialId });
      expect(requested.status).toBe(202);
      const runId = requested.body.id;
      const runOf = async () => (await apis[0].api<Run>('GET', `/api/v1/playbook-runs/${runId}`)).body;
      const eventsOf = async () => (await apis[0].api<{ items: RunEvent[] }>('GET', `/api/v1/playbook-runs/${runId}/events?limit=500`)).body.items;
      await waitFor(
        'the run to be in its second task (sleep 60)',
        async () => (await runOf()).status === 'running' && (await eventsOf()).filter((e) => e.event === 'playbook_on_task_start').length >= 2,
        60_000,
      );
      const [{ owner }] = await db.query<{ owner: string | null }>('SELECT owner FROM playbook_runs WHERE id = $1', [runId]);
      const victim = workerOfPid(pidOfOwner(owner));
      if (!victim) throw new Error(`the run's owner ${owner} is none of the workers (${workers.map((w) => w.pid).join(', ')})`);
      const eventsBefore = await eventsOf();
      expect(eventsBefore.filter((e) => e.event === 'playbook_on_start')).toHaveLength(1);
      const killedAt = Date.now();
      await victim.kill('SIGKILL');

      await waitFor('the run to end', async () => (await runOf()).status !== 'running', 60_000);
      const endedAfterMs = Date.now() - killedAt;
      const ended = await runOf();
      console.log(`cluster: the interrupted playbook run ended ${(endedAfterMs / 1000).toFixed(1)} s after the SIGKILL of its worker: ${ended.reason}`);
      expect(ended.status).toBe('error');
      expect(ended.reason).toContain(`the worker running this run (${owner})`);
      expect(ended.reason).toMatch(/stopped.*it was not run again/);
      expect(ended.finishedAt).not.toBeNull();

      // Never again: well past another lock and stalled check, the run is still error with the events it had.
      await sleep((LOCK_SECONDS + 2 * STALLED_CHECK_SECONDS) * 1000);
      const later = await runOf();
      expect(later).toMatchObject({ status: 'error', reason: ended.reason, finishedAt: ended.finishedAt });
      const eventsAfter = await eventsOf();
      expect(eventsAfter.map((e) => e.counter)).toEqual(eventsBefore.map((e) => e.counter));
      expect(eventsAfter.filter((e) => e.event === 'playbook_on_start')).toHaveLength(1);
      expect(later.eventCount).toBe(eventsAfter.length);
      const [row] = await db.query<{ status: string; owner: string | null }>('SELECT status, owner FROM playbook_runs WHERE id = $1', [runId]);
      expect(row).toEqual({ status: 'error', owner });
      // The dead worker's ansible processes were swept by the worker that recorded the interruption.
      await waitFor('no ansible process of the run left', () => processesMentioning(`${workDir}/`).length === 0, 20_000);
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'a worker SIGTERMed mid-refresh finishes the refresh within its grace, then exits by itself; nothing is handed over',
    withOutput(async () => {
      slowNics(2_500);
      const { refreshId, row, worker, mark } = await refreshHeldByAWorker(apis[0], 'the refresh running on a worker with a NIC request pending');
      const outputBefore = worker.output().length;
      // (kill() sends only SIGTERM: whatever ends the process is its own doing, within the 30 s grace.)
      const exited = await worker.kill('SIGTERM');
      console.log(`cluster: the SIGTERMed worker ended with code ${exited.code}, signal ${exited.signal}`);
      // It ends by itself after its shutdown, with code 0.
      expect(exited).toEqual({ code: 0, signal: null });
      expect(worker.output().slice(outputBefore)).toMatch(new RegExp(`refresh ${refreshId} of cluster completed`));
      const after = await refreshRow(refreshId);
      expect(after.status).toBe('completed');
      expect(after.owner).toBe(row.owner);
      expect(after.started_at?.getTime()).toBe(row.started_at?.getTime());
      expect(worker.output().slice(outputBefore)).not.toMatch(/handed back/);
      const listings = sim.requests.slice(mark).map(vmListingSubscription).filter((s) => s !== null);
      expect(listings).toHaveLength(sim.subscriptionIds.length);
      sim.clearFaults();
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'a worker SIGTERMed mid-refresh that outlasts its grace hands the refresh back: another worker takes it over and completes it',
    withOutput(async () => {
      // The NIC list hangs longer than the 30 s grace of the worker that holds the refresh.
      sim.injectFault({ route: 'networkInterfaces', kind: 'slow', delayMs: 120_000, times: 1 });
      const { refreshId, row, worker } = await refreshHeldByAWorker(apis[0], 'the refresh running on a worker with its NIC request hanging');
      const outputBefore = worker.output().length;
      const exited = await worker.kill('SIGTERM');
      expect(exited).toEqual({ code: 0, signal: null });
      expect(worker.output().slice(outputBefore)).toMatch(new RegExp(`refresh ${refreshId} handed back unfinished`));
      // Not recorded as failed by the worker that let go of it; another worker completes it.
      const ended = await waitForRefresh(refreshId, 60_000);
      expect(ended.status).toBe('completed');
      const after = await refreshRow(refreshId);
      expect(after.owner).not.toBe(row.owner);
      expect(workers.some((w) => w !== worker && w.alive() && pidOfOwner(after.owner) === w.pid)).toBe(true);
      const [{ count }] = await db.query<{ count: string }>("SELECT count(*) AS count FROM refreshes WHERE provider_id = $1 AND status IN ('queued', 'running')", [providerId]);
      expect(Number(count)).toBe(0);
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    "a request's provision tasks spread over three workers make one VM at a time: the per-provider bound holds for the cluster, and its slots are given back",
    withOutput(async () => {
      const subnetId = sim.addSubnet(sim.subscriptionIds[0], 'rg-net', 'vnet-cluster');
      const submitted = await apis[1].api<{ id: string; status: string }>('POST', '/api/v1/provision-requests', {
        provider: providerId,
        source: 'marketplace:eastus:RedHat:RHEL:9-lvm-gen2',
        count: 3,
        namePattern: 'cl-{n}',
        size: { vmSize: 'Standard_D2s_v3' },
        placement: { resourceGroup: 'rg-net', location: 'eastus', subnetId, publicIp: false },
        admin: { username: 'cloud-user', sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example' },
      });
      expect(submitted.status).toBe(201);
      type ProvisionRequest = { status: string; finishedAt: string | null; tasks: { id: string; vmName: string; status: string }[] };
      const done = await waitFor(
        'the provision request to end',
        async () => {
          const res = await apis[0].api<ProvisionRequest>('GET', `/api/v1/provision-requests/${submitted.body.id}`);
          return ['succeeded', 'failed', 'canceled'].includes(res.body.status) && res.body.finishedAt !== null ? res.body : null;
        },
        150_000,
      );
      expect(done.status).toBe('succeeded');
      const names = done.tasks.map((task) => task.vmName).sort();
      expect(names).toEqual(['cl-1', 'cl-2', 'cl-3']);

      // The tasks ran on more than one worker: a bound per process alone would have let them overlap.
      const owners = await db.query<{ owner: string | null }>('SELECT owner FROM operations WHERE provision_request_id = $1', [submitted.body.id]);
      expect(new Set(owners.map((row) => pidOfOwner(row.owner))).size).toBeGreaterThanOrEqual(2);
      // What Azure saw: each VM's making, from its NIC's PUT to the end of its create, never overlaps another's.
      const spans = names
        .map((name) => {
          const nic = sim.resourceCreations().find((op) => op.kind === 'nic' && op.resourceId.toLowerCase().endsWith(`/networkinterfaces/${name}-nic`));
          const vm = sim.vmOperations().find((op) => op.action === 'create' && op.vmId.toLowerCase().endsWith(`/virtualmachines/${name}`));
          expect(nic).toBeDefined();
          expect(vm).toBeDefined();
          return { name, from: nic!.startMs, to: vm!.dueMs };
        })
        .sort((a, b) => a.from - b.from);
      console.log(`cluster: provision spans ${spans.map((s) => `${s.name} +${s.from - spans[0].from}..${s.to - spans[0].from} ms`).join(', ')}`);
      for (let i = 1; i < spans.length; i += 1) expect(spans[i].from).toBeGreaterThanOrEqual(spans[i - 1].to);

      const redis = new Redis(TEST_REDIS_URL);
      try {
        expect(await redis.zcard(provisionSlotsKey(prefix, providerId))).toBe(0);
      } finally {
        redis.disconnect();
      }
      checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS * 2,
  );

  // A clean stop is exit code 0 (not the signal re-raised, which supervisors read as a crash).
  it(
    'a SIGTERMed idle worker shuts down and exits with code 0',
    withOutput(async () => {
      const worker = workers[workers.length - 1];
      expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );
});
