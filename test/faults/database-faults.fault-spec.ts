import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { RefreshService } from '@hybridforms/discovery';
import { InventoryPersister, SQLITE_FILE_NAME } from '@hybridforms/persistence';
import { AzureSimulator } from '@hybridforms/testing';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/postgres.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { requestRefresh, startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { DbProxy } from './support/db-proxy.js';
import { apiFromTestApp, checkInvariants, dbFromDataSource, inventoryFingerprint, serviceAnswers, snapshotArchived, type DbAccess } from './support/invariants.js';

/*
 * The database unavailable during a refresh: the SQLite file locked by another connection for
 * longer than the busy timeout, and PostgreSQL "restarted" (every connection cut, new ones
 * refused for a while) or its backends terminated, in the middle of the refresh's write.
 * Each time: the refresh ends cleanly, nothing is half-written, the service answers once the
 * database is back, and the next refresh converges.
 */

type Refresh = { id: string; status: string; errors: { code: string; message: string }[]; startedAt: string; finishedAt: string | null };

// libs/persistence data-source.factory.ts: a writer waits this long for another connection's lock.
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

const counts = { scenarios: 0, invariants: 0 };

/** Gives a refresh something to write: one VM gone (archive), one powered off (update + change record). */
function changeEstate(sim: AzureSimulator): void {
  const ids = sim.vmIds();
  sim.removeVm(ids[ids.length - 1]);
  sim.setPowerState(ids[0], 'deallocated');
  sim.setPowerState(ids[0], 'running');
  sim.setPowerState(ids[1], ids.length % 2 ? 'stopped' : 'deallocated');
}

/** Waits for a condition, polling; throws with `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Measures how long the event loop stood still (a synchronous wait in the process). */
function stallMeter(): { maxMs: () => number; stop: () => void } {
  let last = Date.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    max = Math.max(max, now - last - 50);
    last = now;
  }, 50);
  return { maxMs: () => max, stop: () => clearInterval(timer) };
}

/**
 * A second connection (better-sqlite3, in a child process so that the service's synchronous
 * busy wait cannot hold it up) that takes `BEGIN EXCLUSIVE` on the file and commits after `holdMs`.
 */
async function lockSqlite(file: string, holdMs: number): Promise<{ released: Promise<void>; child: ChildProcess }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1], { fileMustExist: true, timeout: 30000 });
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking`)));
  });
  const released = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the lock holder exited with ${code}`))));
  });
  await locked;
  return { released, child };
}

describe('database faults', () => {
  describe('SQLite locked by another connection across the write phase', () => {
    let sim: AzureSimulator;
    let t: TestApp;
    let db: DbAccess;
    let providerId: string;
    let holder: ChildProcess | null = null;
    const api = () => apiFromTestApp(t);

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 20 });
      t = await startTestApp(QUIET_TELEMETRY);
      db = dbFromDataSource(t.app.get(DataSource));
      const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'sqlite-locked')).expect(201);
      providerId = created.body.id;
      expect((await waitForRefresh(t, created.body.refreshId)).status).toBe('completed');
    });
    afterAll(async () => {
      holder?.kill();
      await t?.app.get(RefreshService).idle();
      await t?.close();
      await sim?.stop();
    });

    it('fails the refresh with a clear error, writes nothing, keeps reading, and converges once the lock is gone', async () => {
      counts.scenarios++;
      changeEstate(sim);
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);

      // The lock is taken as the refresh starts its write phase, and held past the busy timeout.
      const persister = t.app.get(InventoryPersister);
      const save = persister.save.bind(persister);
      let released: Promise<void> | null = null;
      let readsWhileLocked = 0;
      persister.save = async (...args: Parameters<InventoryPersister['save']>) => {
        persister.save = save;
        const lock = await lockSqlite(join(t.dataDir, SQLITE_FILE_NAME), SQLITE_BUSY_TIMEOUT_MS + 4_000);
        holder = lock.child;
        released = lock.released;
        // WAL: readers still read beside the writer's lock.
        readsWhileLocked += await serviceAnswers(api());
        return save(...args);
      };
      const meter = stallMeter();
      const id = await requestRefresh(t, providerId);
      // /health probed throughout: how long does a read wait while the refresh waits on the lock?
      // Measured, not asserted: better-sqlite3's busy wait is synchronous, so while the service's
      // write waits for the lock (up to the 10 s busy timeout) the whole process stands still.
      // Reads answer while the lock is held and no write of ours is waiting (readsWhileLocked).
      let probing = true;
      let slowestHealthMs = 0;
      const probes = (async () => {
        while (probing) {
          const started = Date.now();
          await t.http().get('/health');
          slowestHealthMs = Math.max(slowestHealthMs, Date.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const failed = (await waitForRefresh(t, id, 60_000)) as unknown as Refresh;
      probing = false;
      await probes;
      meter.stop();
      expect(readsWhileLocked).toBe(1);
      counts.invariants += readsWhileLocked;
      console.log(`sqlite lock: refresh ${failed.status} (${JSON.stringify(failed.errors)}); the event loop stood still up to ${meter.maxMs()} ms, the slowest /health took ${slowestHealthMs} ms`);

      expect(failed.status).toBe('failed');
      expect(failed.errors[0].message).toMatch(/database is locked|busy/i);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }], runGraceMs: 20_000 });

      await released;
      const done = (await waitForRefresh(t, await requestRefresh(t, providerId))) as unknown as Refresh;
      expect(done.status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
    }, 90_000);
  });

  describe('PostgreSQL behind a proxy', () => {
    let sim: AzureSimulator;
    let t: TestApp;
    let db: DbAccess;
    let proxy: DbProxy;
    let providerId: string;
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
    const api = () => apiFromTestApp(t);
    const truth = () => [{ providerId, vmNativeIds: sim.vmIds() }];
    const isWriteOfChanges = (chunk: Buffer) => chunk.includes('INSERT INTO "vm_changes"');

    beforeAll(async () => {
      sim = await AzureSimulator.start({ vmCount: 20, pageSize: 5 });
      scratch = await createScratchDatabase('hf_fault_db');
      const target = new URL(scratch.url);
      proxy = await DbProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      t = await startTestApp({ ...QUIET_TELEMETRY, DATABASE_URL: proxy.urlFor(scratch.url) });
      // The checks read around the proxy, straight from the server.
      const direct = new pg.Client({ connectionString: scratch.url, application_name: 'hybridforms-fault-checks' });
      await direct.connect();
      db = {
        dialect: 'postgres',
        query: async <T>(sql: string, params: unknown[] = []) => (await direct.query(sql, params)).rows as T[],
        close: () => direct.end(),
      };
      const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'pg-restart')).expect(201);
      providerId = created.body.id;
      expect((await waitForRefresh(t, created.body.refreshId)).status).toBe('completed');
    });
    afterAll(async () => {
      proxy?.intercept(null);
      await proxy?.resume();
      await t?.app.get(RefreshService).idle();
      await t?.close();
      await db?.close();
      await proxy?.close();
      await scratch?.drop();
      await sim?.stop();
    });
    afterEach(async () => {
      proxy.intercept(null);
      await proxy.resume();
      sim.clearFaults();
    });

    /** After the fault: the service answers again, then the refresh's outcome is recorded and nothing is half-written. */
    async function expectCleanFailure(id: string, before: string, archived: Awaited<ReturnType<typeof snapshotArchived>>): Promise<Refresh> {
      await eventually('the service answers once the database is back', async () => (await serviceAnswers(api())) === 1, 20_000);
      counts.invariants += 1;
      const refresh = (await waitForRefresh(t, id, 60_000)) as unknown as Refresh;
      console.log(`pg: refresh ${refresh.status} (${JSON.stringify(refresh.errors)})`);
      expect(refresh.status).toBe('failed');
      expect(refresh.errors[0].message).toMatch(/terminat|connection|ECONNRESET|ECONNREFUSED|closed/i);
      expect(await inventoryFingerprint(db, providerId)).toBe(before);
      counts.invariants += await checkInvariants({ api: api(), db, archivedBefore: [{ providerId, snapshot: archived }] });
      return refresh;
    }

    it('fails a refresh whose write is cut by a restart, writes nothing, recovers its pool and converges', async () => {
      counts.scenarios++;
      changeEstate(sim);
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      let restarts = 0;
      // The last statement of the save's transaction: every upsert and archive is already sent.
      proxy.intercept((chunk) => {
        if (!isWriteOfChanges(chunk) || restarts++ > 0) return;
        proxy.intercept(null);
        // Cuts every connection now (this chunk is never forwarded), accepts again 3 s later.
        void proxy.restart(3_000);
      });
      const id = await requestRefresh(t, providerId);
      await eventually('the database goes down mid-write', async () => restarts > 0, 30_000);
      // While it is down, the service says so instead of hanging.
      const health = await t.http().get('/health');
      expect([200, 503]).toContain(health.status);
      // A read that finds the database away is a 503 the client may retry, not a 500.
      const read = await t.http().get('/api/v1/vms?limit=1');
      expect([200, 503]).toContain(read.status);
      if (read.status === 503) expect(read.headers['retry-after']).toBe('5');
      console.log(`pg restart: while down, /health answered ${health.status} and /vms ${read.status} (${JSON.stringify(read.body.message)})`);
      await expectCleanFailure(id, before, archived);

      expect(((await waitForRefresh(t, await requestRefresh(t, providerId))) as unknown as Refresh).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 90_000);

    it('survives a restart during collection (after the first page): the pool reconnects and the refresh completes', async () => {
      counts.scenarios++;
      changeEstate(sim);
      sim.clearRequests();
      // Page 2 waits 4 s, the database is down for 3 s of it.
      sim.injectFault({ route: 'virtualMachines', kind: 'slow', page: 2, delayMs: 4_000 });
      const accepted = proxy.accepted;
      const id = await requestRefresh(t, providerId);
      await eventually('page 1 served', async () => sim.requests.some((r) => r.path.toLowerCase().endsWith('/virtualmachines') && r.status === 200), 20_000);
      await proxy.restart(3_000);
      const done = (await waitForRefresh(t, id, 60_000)) as unknown as Refresh;
      expect(['completed', 'failed']).toContain(done.status);
      expect(proxy.accepted).toBeGreaterThan(accepted);
      console.log(`pg restart during collection: refresh ${done.status} (${JSON.stringify(done.errors)})`);
      if (done.status === 'failed') expect(((await waitForRefresh(t, await requestRefresh(t, providerId))) as unknown as Refresh).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 90_000);

    it('fails a refresh whose backends are terminated (pg_terminate_backend) mid-write, writes nothing, and converges', async () => {
      counts.scenarios++;
      changeEstate(sim);
      const archived = await snapshotArchived(db, providerId);
      const before = await inventoryFingerprint(db, providerId);
      const database = new URL(scratch.url).pathname.slice(1);
      let terminated = -1;
      proxy.intercept(async (chunk) => {
        if (!isWriteOfChanges(chunk)) return;
        proxy.intercept(null);
        // Only this suite's database and the service's own connections (not the checks' one).
        const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await admin.connect();
        const res = await admin.query(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hybridforms' AND pid <> pg_backend_pid()",
          [database],
        );
        terminated = res.rows.length;
        await admin.end();
      });
      const id = await requestRefresh(t, providerId);
      // The service must be judged after the cut, not while the refresh is still collecting.
      await eventually('the backends are terminated mid-write', async () => terminated >= 0, 30_000);
      await expectCleanFailure(id, before, archived);
      expect(terminated).toBeGreaterThan(0);

      expect(((await waitForRefresh(t, await requestRefresh(t, providerId))) as unknown as Refresh).status).toBe('completed');
      counts.invariants += await checkInvariants({ api: api(), db, providers: truth() });
    }, 90_000);
  });
});

afterAll(() => {
  console.log(`faults: ${counts.scenarios} scenarios, ${counts.invariants} invariant checks (database-faults)`);
});
