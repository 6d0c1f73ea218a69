import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadAppConfig, SecretBox } from '@hybridforms/core';
import { RefreshRunner } from '@hybridforms/discovery';
import { SQLITE_FILE_NAME } from '@hybridforms/persistence';
import { AzureSimulator, startLoopbackSshd, type AzureSimulatorOptions, type LoopbackSshd } from '@hybridforms/testing';
import { createApp } from '../../apps/api/src/app.factory.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import {
  apiFromUrl,
  azureSimEventIds,
  checkInvariants,
  noEventLostOrDuplicated,
  noRunLeftRunning,
  nothingArchivedByFailedRefresh,
  openDb,
  openSqlite,
  snapshotArchived,
  INVENTORY_TABLES,
  type ApiAccess,
  type DbAccess,
} from './support/invariants.js';
import { killedServiceScenarios, QUIET_SCHEDULES } from './support/killed-service.js';
import { filesBelow, httpCall, processesMentioning, waitFor, type ServiceProcess } from './support/service-process.js';

/*
 * The real service (its own build, `node main.js`) as a child process, SIGKILLed at chosen points
 * and started again on the same data: mid-refresh, mid-event-poll (part of the Activity Log
 * fetched; all of it fetched and the store waiting), mid-playbook-run. The simulators and the
 * loopback sshd live in this process. Every scenario ends with the invariants.
 */

const SCENARIO_MS = 240_000;
const drivers = [['sqlite'], ['postgresql']] as const;

const QUIET = QUIET_SCHEDULES;

type Refresh = { id: string; status: string; kind: string; errors: { code: string; message: string }[]; finishedAt: string | null };
type Vm = { id: string; nativeId: string; name: string; archivedAt: string | null };
type Run = { id: string; status: string; reason: string | null; eventCount: number; finishedAt: string | null };
type RunEvent = { counter: number; event: string };

/** Whether a simulator request asked for a later page (it carries a skip token). */
const isActivityLog = (r: { path: string }) => /eventtypes\/management\/values/i.test(r.path);
const pageOf = (r: { query: Record<string, unknown> }) => (Object.keys(r.query).some((key) => key.toLowerCase() === '$skiptoken') ? 2 : 1);

let scenarios = 0;
let checks = 0;

afterAll(() => {
  console.log(`faults: ${scenarios} scenarios, ${checks} invariant checks (process-kill.fault-spec.ts)`);
});

interface Fixture {
  sim: AzureSimulator;
  svc: ServiceProcess;
  db: DbAccess;
  api: ApiAccess;
  providerId: string;
  databaseUrl: string | null;
}

describe.each(drivers)('the service SIGKILLed and started again on the same data (%s)', (driver) => {
  const { cleanups, withOutput, start } = killedServiceScenarios(driver);

  async function setUp(simOptions: AzureSimulatorOptions, env: Record<string, string>): Promise<Fixture> {
    const sim = await AzureSimulator.start(simOptions);
    cleanups.push(() => sim.stop());
    const { svc, databaseUrl } = await start(env, 'hf_fk');
    const created = await svc.api<{ id: string; refreshId: string }>('POST', '/api/v1/providers', azureProviderRequest(sim, `fk-${driver}`));
    expect(created.status).toBe(201);
    expect(await waitForRefresh(svc, created.body.refreshId)).toMatchObject({ status: 'completed' });
    const db = await openDb({ databaseUrl, dataDir: svc.dataDir });
    cleanups.push(() => db.close());
    // The service's port changes with each start: the API is asked at its current address.
    const api: ApiAccess = { get: (path) => apiFromUrl(svc.url, svc.authHeaders).get(path) };
    return { sim, svc, db, api, providerId: created.body.id, databaseUrl };
  }

  async function refreshOf(svc: ServiceProcess, id: string): Promise<Refresh> {
    const res = await svc.api<Refresh>('GET', `/api/v1/refreshes/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function waitForRefresh(svc: ServiceProcess, id: string, timeoutMs = 60_000): Promise<Refresh> {
    let last: Refresh | null = null;
    await waitFor(`refresh ${id} to end`, async () => !['queued', 'running'].includes((last = await refreshOf(svc, id)).status), timeoutMs);
    return last!;
  }

  async function fullRefresh(f: Fixture): Promise<Refresh> {
    const res = await f.svc.api<{ id: string }>('POST', `/api/v1/providers/${f.providerId}/refresh`);
    expect(res.status).toBe(202);
    return waitForRefresh(f.svc, res.body.id);
  }

  async function checkpointOf(f: Fixture): Promise<string | null> {
    const rows = await f.db.query<{ checkpoint: string | null }>('SELECT checkpoint FROM event_checkpoints WHERE provider_id = $1', [f.providerId]);
    return rows[0]?.checkpoint ?? null;
  }

  async function storedEventIds(f: Fixture): Promise<string[]> {
    return (await f.db.query<{ native_id: string }>('SELECT native_id FROM events WHERE provider_id = $1', [f.providerId])).map((r) => r.native_id);
  }

  /** No refresh or run active (nothing else writes while a scenario sets up its fault). */
  async function settled(f: Fixture): Promise<void> {
    checks += await noRunLeftRunning({ db: f.db, graceMs: 30_000 });
  }

  it(
    'mid-refresh: the interrupted refresh is failed at the next start, archived nothing, and the next full refresh converges',
    withOutput(async () => {
      const f = await setUp({ vmCount: 16 }, QUIET);
      const { sim, svc, db, providerId } = f;
      const archivedBefore = await snapshotArchived(db, providerId);

      // The cloud changes: one VM gone (only a completed full refresh may archive it), one new.
      const gone = sim.vmIds()[3];
      sim.removeVm(gone);
      sim.addVm(sim.subscriptionIds[0], { name: 'added-while-refreshing', imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' } });

      // The NIC list hangs: the kill lands while the refresh is collecting.
      const mark = sim.requests.length;
      sim.injectFault({ route: 'networkInterfaces', kind: 'slow', delayMs: 300_000, times: Infinity });
      const requested = await svc.api<{ id: string }>('POST', `/api/v1/providers/${providerId}/refresh`);
      expect(requested.status).toBe(202);
      const refreshId = requested.body.id;
      await waitFor('the refresh to be running with a NIC request pending at the simulator', async () => {
        const pending = sim.requests.slice(mark).some((r) => /networkInterfaces/i.test(r.path) && r.status === 0);
        return pending && (await refreshOf(svc, refreshId)).status === 'running';
      });
      const killed = await svc.kill('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
      sim.clearFaults();

      // Nobody is left to say otherwise: the row still says running.
      expect((await db.query<{ status: string }>('SELECT status FROM refreshes WHERE id = $1', [refreshId]))[0].status).toBe('running');

      await svc.restart();
      const interrupted = await refreshOf(svc, refreshId);
      expect(interrupted).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ code: 'interrupted' })] });
      expect(interrupted.finishedAt).not.toBeNull();
      checks += await nothingArchivedByFailedRefresh({ db, providerId, before: archivedBefore });
      checks += await noRunLeftRunning({ db });
      const goneRow = await db.query<{ archived_at: unknown }>('SELECT archived_at FROM vms WHERE native_id = $1', [gone.toLowerCase()]);
      expect(goneRow).toHaveLength(1);
      expect(goneRow[0].archived_at).toBeNull();

      // The next full refresh converges: the removed VM archived (by it), the new one there, nothing twice.
      const next = await fullRefresh(f);
      expect(next.status).toBe('completed');
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      const archived = (await svc.api<{ items: Vm[] }>('GET', `/api/v1/vms?provider=${providerId}&archived=true&limit=500`)).body.items;
      expect(archived.map((vm) => vm.nativeId)).toEqual([gone.toLowerCase()]);
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  /**
   * Every live row of a provider, by native id, without what differs between two providers
   * holding the same inventory: our ids (references become the native ids they point at), owner,
   * timestamps. Equal for two providers = the same inventory.
   */
  async function liveInventory(db: DbAccess, providerId: string): Promise<Record<string, string[]>> {
    const nativeOf = new Map<string, string>();
    const tables: Record<string, Record<string, unknown>[]> = {};
    for (const table of INVENTORY_TABLES) {
      tables[table] = await db.query(`SELECT * FROM ${table} WHERE provider_id = $1 AND archived_at IS NULL`, [providerId]);
      for (const row of tables[table]) nativeOf.set(String(row.id), String(row.native_id));
    }
    const result: Record<string, string[]> = {};
    for (const [table, rows] of Object.entries(tables)) {
      result[table] = rows
        .map((row) => {
          const { id: _id, provider_id: _provider, created_at: _created, updated_at: _updated, archived_at: _archived, ...rest } = row;
          for (const ref of ['vm_id', 'image_id', 'host_id', 'network_id']) if (rest[ref]) rest[ref] = nativeOf.get(String(rest[ref])) ?? `dangling ${String(rest[ref])}`;
          return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))));
        })
        .sort();
    }
    return result;
  }

  /** Every row of a provider (all columns, archived too), by table and id. */
  async function rowsById(db: DbAccess, providerId: string): Promise<Record<string, Map<string, string>>> {
    const result: Record<string, Map<string, string>> = {};
    for (const table of INVENTORY_TABLES) {
      const rows = await db.query<Record<string, unknown>>(`SELECT * FROM ${table} WHERE provider_id = $1`, [providerId]);
      result[table] = new Map(rows.map((row) => [String(row.id), JSON.stringify(row)]));
    }
    return result;
  }

  // Only PostgreSQL lets another session stop a save half-way through its transaction (SQLite's one
  // writer cannot be paused from outside once it holds the lock).
  //
  // This scenario used to assert the tables byte-identical after a kill mid-save: a full refresh
  // was one transaction. A full refresh now streams (100,000 VMs must not sit in memory at once):
  // each chunk (about an ARM page) commits on its own, and only the last transaction, `finish`,
  // archives. So "nothing of the killed refresh is left" no longer holds by design; what holds, and
  // is asserted here as strictly, is: nothing archived; the killed transaction entirely rolled
  // back (no row half-written, no change record of it); every stored row is exactly either its
  // version before the refresh or the version the refresh converges to (a committed chunk wrote
  // current data, all of its rows: a VM committed with its NICs and disks committed with theirs);
  // and after the restart the next refresh ends with exactly the inventory a clean run yields.
  // The kill lands at both kinds of transaction: a chunk's, and the archiving one.
  (driver === 'postgresql' ? it.each : it.skip.each)([
    ['a chunk holding VM changes', 'chunk'],
    ['the archiving transaction (finish), its chunks committed', 'finish'],
  ] as const)(
    'mid-save, in %s: that transaction rolled back, nothing archived, every row its old or its converged version, the next refresh converges to a clean run',
    (_what, at) =>
      withOutput(async () => {
        const f = await setUp({ vmCount: 16, pageSize: 6 }, QUIET);
        const { sim, svc, db, providerId } = f;
        const archivedBefore = await snapshotArchived(db, providerId);
        const [resized, gone] = [sim.vmIds()[2], sim.vmIds()[5]];
        // 'chunk': the first VM page holds a change, so its chunk writes change records and waits.
        // 'finish': only creations (no change record) before the end: the archive of `gone` waits.
        if (at === 'chunk') sim.resizeVm(resized, 'Standard_E8s_v5');
        sim.removeVm(gone);
        const added = sim.addVm(sim.subscriptionIds[0], { name: 'added-before-save' });
        const changeCount = async () => Number((await db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM vm_changes WHERE provider_id = $1', [providerId]))[0].n);
        const [rowsBefore, changesBefore] = [await rowsById(db, providerId), await changeCount()];

        // Change records are what the waiting transaction writes last: with their table locked, it
        // waits there with its other writes done, uncommitted.
        const lock = new pg.Client({ connectionString: f.databaseUrl!, application_name: 'hf-faults-lock' });
        await lock.connect();
        let refreshId = '';
        try {
          await lock.query('BEGIN');
          await lock.query('LOCK TABLE vm_changes IN EXCLUSIVE MODE');
          const requested = await svc.api<{ id: string }>('POST', `/api/v1/providers/${providerId}/refresh`);
          expect(requested.status).toBe(202);
          refreshId = requested.body.id;
          // (The wait shows in pg_locks: the statement waits while it is parsed, before pg_stat_activity shows it.)
          await waitFor('the save to wait on vm_changes, having written vms', async () => {
            const waiting = await lock.query(
              `SELECT a.pid FROM pg_stat_activity a WHERE a.application_name = 'hybridforms'
                 AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND c.relname = 'vm_changes' AND NOT l.granted)
                 AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND c.relname = 'vms' AND l.mode = 'RowExclusiveLock' AND l.granted)`,
            );
            return waiting.rowCount! > 0;
          });
          if (at === 'finish') {
            // Its chunks are committed: the new VM is there, with its NIC and disk, for everyone to see.
            const [vm] = await db.query<{ id: string }>('SELECT id FROM vms WHERE provider_id = $1 AND native_id = $2', [providerId, added.toLowerCase()]);
            expect(vm).toBeDefined();
            expect(await db.query('SELECT id FROM nics WHERE vm_id = $1', [vm.id])).toHaveLength(1);
            expect((await db.query('SELECT id FROM disks WHERE vm_id = $1', [vm.id])).length).toBeGreaterThan(0);
          }
          await svc.kill('SIGKILL');
        } finally {
          // Released after the kill: the service's backend gets its lock, then finds its client gone and rolls back.
          await lock.query('ROLLBACK').catch(() => undefined);
          await lock.end().catch(() => undefined);
        }
        await waitFor('the killed save to be rolled back', async () => {
          const rows = await db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'hybridforms' AND state <> 'idle'");
          return rows.length === 0;
        });
        const rowsAfterKill = await rowsById(db, providerId);
        // No change record of the killed transaction (nor of any other: the committed chunks had none).
        expect(await changeCount()).toBe(changesBefore);
        checks += await nothingArchivedByFailedRefresh({ db, providerId, before: archivedBefore });
        if (at === 'chunk') {
          // The waiting chunk held the resized VM: rolled back whole, it is as it was.
          expect(rowsAfterKill.vms).toEqual(rowsBefore.vms);
        }

        await svc.restart();
        expect(await refreshOf(svc, refreshId)).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ code: 'interrupted' })] });
        checks += await nothingArchivedByFailedRefresh({ db, providerId, before: archivedBefore });
        expect(await fullRefresh(f)).toMatchObject({ status: 'completed' });
        checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });

        // Every row the kill left is exactly its old version or its converged one, never a mix.
        const rowsConverged = await rowsById(db, providerId);
        for (const table of INVENTORY_TABLES) {
          for (const [id, row] of rowsAfterKill[table]) {
            expect([table, id, row === rowsBefore[table].get(id) || row === rowsConverged[table].get(id)]).toEqual([table, id, true]);
          }
        }
        if (at === 'finish') {
          // The committed chunks' rows were already the converged ones: the next refresh kept them.
          const [vm] = await db.query<{ id: string }>('SELECT id FROM vms WHERE provider_id = $1 AND native_id = $2', [providerId, added.toLowerCase()]);
          expect(rowsAfterKill.vms.get(vm.id)).toBe(rowsConverged.vms.get(vm.id));
        }

        // The gone VM archived once, by the refresh that completed; the resize recorded once.
        const archived = await db.query<{ native_id: string }>('SELECT native_id FROM vms WHERE provider_id = $1 AND archived_at IS NOT NULL', [providerId]);
        expect(archived.map((r) => r.native_id)).toEqual([gone.toLowerCase()]);
        const archiveChanges = await db.query<{ n: unknown }>(
          "SELECT COUNT(*) AS n FROM vm_changes c JOIN vms v ON v.id = c.vm_id WHERE v.native_id = $1 AND c.field = 'archived'",
          [gone.toLowerCase()],
        );
        expect(Number(archiveChanges[0].n)).toBe(1);
        const sizeChanges = await db.query<{ n: unknown }>(
          "SELECT COUNT(*) AS n FROM vm_changes c JOIN vms v ON v.id = c.vm_id WHERE v.native_id = $1 AND c.field = 'size'",
          [resized.toLowerCase()],
        );
        expect(Number(sizeChanges[0].n)).toBe(at === 'chunk' ? 1 : 0);

        // A clean run over the same estate (a second provider of the same subscriptions) holds
        // exactly the same live inventory.
        const clean = await svc.api<{ id: string; refreshId: string }>('POST', '/api/v1/providers', azureProviderRequest(sim, `fk-clean-${driver}`));
        expect(clean.status).toBe(201);
        expect(await waitForRefresh(svc, clean.body.refreshId)).toMatchObject({ status: 'completed' });
        expect(await liveInventory(db, providerId)).toEqual(await liveInventory(db, clean.body.id));
        scenarios += 1;
      })(),
    SCENARIO_MS,
  );

  it(
    'mid-refresh with chunks committed, then taken over (the job queue re-delivers it): claimed only with takeOver, run again from the start, nothing lost or duplicated',
    withOutput(async () => {
      const f = await setUp({ vmCount: 16, pageSize: 6 }, QUIET);
      const { sim, svc, db, providerId } = f;
      const archivedBefore = await snapshotArchived(db, providerId);
      const [resized, gone] = [sim.vmIds()[2], sim.vmIds()[5]];
      sim.resizeVm(resized, 'Standard_E8s_v5');
      sim.removeVm(gone);
      const added = sim.addVm(sim.subscriptionIds[0], { name: 'added-before-takeover' });

      // The disk list (the last of a subscription) hangs: VMs and NICs are committed by then.
      const mark = sim.requests.length;
      sim.injectFault({ route: 'disks', kind: 'slow', delayMs: 300_000, times: Infinity });
      const requested = await svc.api<{ id: string }>('POST', `/api/v1/providers/${providerId}/refresh`);
      expect(requested.status).toBe(202);
      const refreshId = requested.body.id;
      await waitFor('the refresh to be running with a disk request pending, the new VM saved', async () => {
        const pending = sim.requests.slice(mark).some((r) => /disks/i.test(r.path) && r.status === 0);
        const saved = await db.query('SELECT 1 FROM vms WHERE provider_id = $1 AND native_id = $2', [providerId, added.toLowerCase()]);
        return pending && saved.length === 1;
      });
      await svc.kill('SIGKILL');
      sim.clearFaults();
      const [killedRow] = await db.query<{ status: string; owner: string }>('SELECT status, owner FROM refreshes WHERE id = $1', [refreshId]);
      expect(killedRow.status).toBe('running');
      checks += await nothingArchivedByFailedRefresh({ db, providerId, before: archivedBefore });

      // Another process (a worker the queue re-delivers the job to), not running jobs of its own.
      const workDir = mkdtempSync('/tmp/hf-fk-takeover-');
      cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
      const config = loadAppConfig({
        DATA_DIR: svc.dataDir,
        ...(f.databaseUrl ? { DATABASE_URL: f.databaseUrl } : {}),
        LOG_LEVEL: 'error',
        HYBRIDFORMS_RUN_WORK_DIR: workDir,
        HYBRIDFORMS_ADMIN_TOKEN: svc.token,
      });
      const worker = await createApp(config, { secretBox: SecretBox.fromEncoded(svc.env.HYBRIDFORMS_SECRET_KEY), logger: false, runsJobs: false });
      await worker.init();
      try {
        const refreshes = worker.get(RefreshRunner);
        // Without takeOver a running refresh is someone else's: left as it is.
        expect(await refreshes.run(refreshId)).toMatchObject({ status: 'running' });
        const taken = await refreshes.run(refreshId, { takeOver: true });
        expect(taken).toMatchObject({ status: 'completed', errors: [] });
        expect(taken.owner).toBe(`${hostname()}:${process.pid}`);
        expect(taken.owner).not.toBe(killedRow.owner);
      } finally {
        await worker.close();
      }

      await svc.restart();
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      // The committed chunks of the killed run and the re-run: one row per VM, one record per change.
      const archived = await db.query<{ native_id: string }>('SELECT native_id FROM vms WHERE provider_id = $1 AND archived_at IS NOT NULL', [providerId]);
      expect(archived.map((r) => r.native_id)).toEqual([gone.toLowerCase()]);
      const changes = await db.query<{ native_id: string; field: string }>(
        'SELECT v.native_id, c.field FROM vm_changes c JOIN vms v ON v.id = c.vm_id WHERE c.refresh_id = $1 ORDER BY v.native_id, c.field',
        [refreshId],
      );
      expect(changes.filter((c) => c.field === 'size').map((c) => c.native_id)).toEqual([resized.toLowerCase()]);
      expect(changes.filter((c) => c.field === 'archived').map((c) => c.native_id)).toEqual([gone.toLowerCase()]);
      const clean = await svc.api<{ id: string; refreshId: string }>('POST', '/api/v1/providers', azureProviderRequest(sim, `fk-clean-takeover-${driver}`));
      expect(clean.status).toBe(201);
      expect(await waitForRefresh(svc, clean.body.refreshId)).toMatchObject({ status: 'completed' });
      expect(await liveInventory(db, providerId)).toEqual(await liveInventory(db, clean.body.id));
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'mid-operation: killed while Azure works on a stop; after the restart the operation polls the same async operation (no second POST) and ends succeeded',
    withOutput(async () => {
      // Azure takes 12 s: the kill lands while the status URL still says InProgress.
      const f = await setUp({ vmCount: 6, operationDelayMs: 12_000, operationRetryAfterSeconds: 1 }, QUIET);
      const { sim, svc, db, providerId } = f;
      const vm = (await svc.api<{ items: Vm[] }>('GET', `/api/v1/vms?provider=${providerId}&powerState=running&limit=1`)).body.items[0];
      const accepted = await svc.api<{ id: string }>('POST', `/api/v1/vms/${vm.id}/actions`, { action: 'stop' });
      expect(accepted.status).toBe(202);
      const operationId = accepted.body.id;
      const continuationStored = async () => {
        const rows = await db.query<{ steps: string; status: string }>('SELECT steps, status FROM operations WHERE id = $1', [operationId]);
        return rows[0]?.status === 'running' && (JSON.parse(rows[0].steps) as { continuation?: string | null }[])[0].continuation != null;
      };
      await waitFor('Azure to accept the stop and the operation to store its continuation', continuationStored);
      const posts = () => sim.requests.filter((r) => r.method === 'POST' && r.path.toLowerCase().startsWith(vm.nativeId));
      expect(posts()).toHaveLength(1);
      await svc.kill('SIGKILL');
      expect((await db.query<{ status: string }>('SELECT status FROM operations WHERE id = $1', [operationId]))[0].status).toBe('running');
      const pollsBefore = sim.requests.filter((r) => r.route === 'operations').length;

      await svc.restart();
      type Operation = { status: string; error: string | null; steps: { name: string; status: string }[] };
      let operation: Operation | null = null;
      await waitFor('the resumed operation to end', async () => !['queued', 'running'].includes((operation = (await svc.api<Operation>('GET', `/api/v1/operations/${operationId}`)).body).status), 60_000);
      expect(operation).toMatchObject({ status: 'succeeded', error: null });
      // Resumed by polling Azure's status URL of the first request: never asked twice.
      expect(posts()).toHaveLength(1);
      expect(sim.requests.filter((r) => r.route === 'operations').length).toBeGreaterThan(pollsBefore);
      await waitFor('the confirming refresh to show the VM stopped', async () => (await svc.api<Vm & { powerState: string }>('GET', `/api/v1/vms/${vm.id}`)).body.powerState === 'stopped');
      await settled(f);
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'mid-retirement: killed while Azure deletes the VM; after the restart the retirement polls that delete (no second DELETE), deletes what the VM owned, and archives only it',
    withOutput(async () => {
      const f = await setUp({ vmCount: 8, operationDelayMs: 12_000, operationRetryAfterSeconds: 1 }, QUIET);
      const { sim, svc, db, providerId } = f;
      // A deallocated VM: its retirement's stop is done at once, and the VM's DELETE comes next.
      sim.addVm(sim.subscriptionIds[0], { name: 'to-retire', resourceGroup: 'rg-retire', powerState: 'deallocated', publicIp: true, dataDisks: 1 });
      expect((await fullRefresh(f)).status).toBe('completed');
      const vm = (await svc.api<{ items: Vm[] }>('GET', `/api/v1/vms?provider=${providerId}&q=to-retire&limit=1`)).body.items[0];
      expect(vm).toBeDefined();
      const owned = sim.vmResources(sim.vmIds().find((id) => id.toLowerCase() === vm.nativeId)!);
      const accepted = await svc.api<{ id: string }>('POST', `/api/v1/vms/${vm.id}/retire`, { confirm: vm.name });
      expect(accepted.status).toBe(202);
      const operationId = accepted.body.id;
      type Step = { name: string; status: string; target?: { kind: string } | null; continuation?: string | null };
      const stepsOf = async () => JSON.parse((await db.query<{ steps: string }>('SELECT steps FROM operations WHERE id = $1', [operationId]))[0].steps) as Step[];
      await waitFor('Azure to accept the DELETE of the VM and the retirement to store it', async () =>
        (await stepsOf()).some((step) => step.name === 'delete' && step.target?.kind === 'vm' && step.continuation),
      );
      const vmDeletes = () => sim.requests.filter((r) => r.method === 'DELETE' && r.path.toLowerCase() === vm.nativeId);
      expect(vmDeletes()).toHaveLength(1);
      await svc.kill('SIGKILL');
      // What is asked from now on (the NICs', IP's and disks' deletes) settles faster.
      sim.setVmOperationTiming({ delayMs: 1000 });

      await svc.restart();
      type Operation = { status: string; error: string | null; steps: { name: string; status: string }[] };
      let operation: Operation | null = null;
      await waitFor('the resumed retirement to end', async () => !['queued', 'running'].includes((operation = (await svc.api<Operation>('GET', `/api/v1/operations/${operationId}`)).body).status), 90_000);
      expect(operation).toMatchObject({ status: 'succeeded', error: null });
      expect(vmDeletes()).toHaveLength(1);
      expect(sim.vmIds().map((id) => id.toLowerCase())).not.toContain(vm.nativeId);
      for (const nic of owned.nics) expect(sim.hasResource('nic', nic.id)).toBe(false);
      for (const disk of owned.disks) expect(sim.hasResource('disk', disk.id)).toBe(false);
      await waitFor('the retired VM to be archived', async () => (await svc.api<{ archiveReason: string | null }>('GET', `/api/v1/vms/${vm.id}`)).body.archiveReason === 'retired');
      await settled(f);
      // Archived: the retired VM and nothing else (every other VM of the simulator is still live).
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'mid-event-poll, part of the Activity Log fetched: after the restart every event is stored once and the checkpoint moves on',
    withOutput(async () => {
      // Four records a page: a poll of the overlap window reads several pages.
      const f = await setUp({ vmCount: 8, pageSize: 4 }, { ...QUIET, HYBRIDFORMS_EVENT_POLL_SECONDS: '1' });
      const { sim, svc, db, providerId } = f;
      await waitFor('the first event poll to store', async () => (await checkpointOf(f)) !== null);
      await settled(f);
      const known = new Set(azureSimEventIds(sim));

      // The VMs restart, and page 2 of the Activity Log starts to hang, in one step of this process
      // (the simulator serves nothing in between): the next poll has page 1 in memory and waits.
      const mark = sim.requests.length;
      for (const id of sim.vmIds().slice(0, 3)) sim.restartVm(id);
      sim.injectFault({ route: 'activityLogs', page: 2, kind: 'slow', delayMs: 300_000, times: Infinity });
      const pending = await waitFor('an event poll waiting for page 2 of the Activity Log', () =>
        sim.requests.findIndex((r, i) => i >= mark && isActivityLog(r) && r.status === 0 && pageOf(r) > 1) + 1,
      );
      // Polls never overlap: every earlier one has stored; this one has stored nothing.
      const checkpoint = await checkpointOf(f);
      const storedAtKill = new Set(await storedEventIds(f));
      const pageOneAfterChanges = sim.requests.slice(mark, pending - 1).some((r) => isActivityLog(r) && r.status === 200 && pageOf(r) === 1);
      await svc.kill('SIGKILL');
      sim.clearFaults();
      expect(await checkpointOf(f)).toBe(checkpoint);
      const newBeforeKill = azureSimEventIds(sim).filter((id) => !known.has(id));
      expect(newBeforeKill.filter((id) => !storedAtKill.has(id)).length).toBeGreaterThan(0);
      console.log(`process-kill: killed with page 1 of the Activity Log ${pageOneAfterChanges ? '(with the new events)' : '(from before the changes)'} in memory`);

      // More happens while the service is down.
      sim.restartVm(sim.vmIds()[4]);
      await svc.restart();
      const truth = azureSimEventIds(sim).filter((id) => !known.has(id));
      expect(truth).toHaveLength(8);
      await waitFor('every event since the kill to be stored', async () => {
        const stored = new Set(await storedEventIds(f));
        return truth.every((id) => stored.has(id));
      });
      // A few more polls re-read the overlap: still once each.
      const polls = sim.requests.length;
      await waitFor('two more polls', () => sim.requests.slice(polls).filter((r) => isActivityLog(r) && r.status === 200 && pageOf(r) === 1).length >= 2);
      expect(await checkpointOf(f)).not.toBe(checkpoint);
      checks += await noEventLostOrDuplicated({ db, truth: { providerId, eventNativeIds: truth } });
      await settled(f);
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }], events: [{ providerId, eventNativeIds: truth }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  it(
    'between the event fetch and its store (the write waits on a lock): nothing half-stored, every event stored once after the restart',
    withOutput(async () => {
      const f = await setUp({ vmCount: 8 }, { ...QUIET, HYBRIDFORMS_EVENT_POLL_SECONDS: '1' });
      const { sim, svc, db, providerId } = f;
      await waitFor('the first event poll to store', async () => (await checkpointOf(f)) !== null);
      await settled(f);
      const known = new Set(azureSimEventIds(sim));

      // The database's write lock is taken from here (the service's next store of events waits for
      // it) and the VMs restart; the poll after that fetches their events and cannot store them.
      const mark = sim.requests.length;
      const release = await holdEventWrites(f, () => {
        for (const id of sim.vmIds().slice(0, 2)) sim.restartVm(id);
      });
      let checkpoint: string | null = null;
      let storedBefore = 0;
      try {
        checkpoint = await checkpointOf(f);
        storedBefore = (await storedEventIds(f)).length;
        expect(azureSimEventIds(sim).filter((id) => !known.has(id))).toHaveLength(4);
        await waitFor('a complete Activity Log fetch after the changes', () => sim.requests.slice(mark).some((r) => isActivityLog(r) && r.status === 200));
        await release.storeIsWaiting();
        await svc.kill('SIGKILL');
      } finally {
        await release.release();
      }
      expect(await checkpointOf(f)).toBe(checkpoint);
      expect((await storedEventIds(f)).length).toBe(storedBefore);

      await svc.restart();
      const truth = azureSimEventIds(sim).filter((id) => !known.has(id));
      await waitFor('the fetched events to be stored after the restart', async () => {
        const stored = new Set(await storedEventIds(f));
        return truth.every((id) => stored.has(id));
      });
      const polls = sim.requests.length;
      await waitFor('two more polls', () => sim.requests.slice(polls).filter((r) => isActivityLog(r) && r.status === 200).length >= 2);
      await settled(f);
      checks += await checkInvariants({ api: f.api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }], events: [{ providerId, eventNativeIds: truth }] });
      scenarios += 1;
    }),
    SCENARIO_MS,
  );

  /**
   * Blocks the service's inserts of events from outside. SQLite: this process holds the write
   * lock (BEGIN IMMEDIATE); better-sqlite3 waits for it synchronously, so the service stops
   * answering while its store waits. PostgreSQL: an EXCLUSIVE lock on "events" (reads go on),
   * and the service's INSERT shows as waiting on a lock in pg_stat_activity.
   */
  async function holdEventWrites(f: Fixture, change: () => void): Promise<{ storeIsWaiting(): Promise<void>; release(): Promise<void> }> {
    if (!f.databaseUrl) {
      const lock = openSqlite(join(f.svc.dataDir, SQLITE_FILE_NAME), { fileMustExist: true, timeout: 10_000 });
      // One step of this process: locked before the simulator can serve the changes.
      lock.exec('BEGIN IMMEDIATE');
      change();
      let released = false;
      return {
        storeIsWaiting: async () => {
          // The service's event loop is held by the busy wait of its write: /health stops answering.
          await waitFor(
            'the service to block on its write',
            async () => {
              try {
                await httpCall(`${f.svc.url}/health`, { timeoutMs: 1_000 });
                return false;
              } catch {
                return true;
              }
            },
            8_000,
          );
        },
        release: async () => {
          if (released) return;
          released = true;
          lock.exec('ROLLBACK');
          lock.close();
        },
      };
    }
    const client = new pg.Client({ connectionString: f.databaseUrl, application_name: 'hf-faults-lock' });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE events IN EXCLUSIVE MODE');
    change();
    let released = false;
    return {
      storeIsWaiting: async () => {
        await waitFor('the service INSERT INTO events to wait on the lock', async () => {
          const rows = await client.query(
            `SELECT 1 FROM pg_stat_activity a WHERE a.application_name = 'hybridforms'
               AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND c.relname = 'events' AND NOT l.granted)`,
          );
          return rows.rowCount! > 0;
        });
      },
      release: async () => {
        if (released) return;
        released = true;
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  }

  describe('playbook runs', () => {
    let sshd: LoopbackSshd;
    let catalog: string;
    const play = (name: string, tasks: string) =>
      `- name: ${name}\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n${tasks}`;

    beforeAll(async () => {
      sshd = await startLoopbackSshd();
      catalog = mkdtempSync(join(tmpdir(), 'hf-fk-catalog-'));
      writeFileSync(join(catalog, 'hello.yml'), play('Say hello', '    - name: hello\n      ansible.builtin.command: echo hello\n'));
      writeFileSync(
        join(catalog, 'long.yml'),
        play('Take long', '    - name: first\n      ansible.builtin.command: echo first\n    - name: sleep\n      ansible.builtin.command: sleep 60\n'),
      );
    }, 60_000);
    afterAll(async () => {
      await sshd?.stop();
      if (catalog) rmSync(catalog, { recursive: true, force: true });
    });

    it(
      'mid-run: after the restart the run is error with a reason, its events are kept, no process of it is left, no key on disk, and the next run succeeds',
      withOutput(async () => {
        const f = await setUp({ vmCount: 8 }, { ...QUIET, HYBRIDFORMS_PLAYBOOK_DIRS: catalog, HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}` });
        const { svc, db } = f;
        const credential = await svc.api<{ id: string }>('POST', '/api/v1/machine-credentials', {
          name: 'loopback',
          username: sshd.user,
          privateKey: sshd.clientPrivateKey,
          knownHosts: sshd.knownHostsLine,
        });
        expect(credential.status).toBe(201);
        const playbooks = (await svc.api<{ items: { id: string }[] }>('GET', '/api/v1/playbooks')).body.items;
        const idOf = (file: string) => playbooks.find((p) => p.id.endsWith(`/${file}`))!.id;
        const [vm] = (await svc.api<{ items: Vm[] }>('GET', '/api/v1/vms?osFamily=rhel&powerState=running&limit=1')).body.items;
        const start = async (playbook: string) => {
          const res = await svc.api<Run>('POST', '/api/v1/playbook-runs', { playbook: idOf(playbook), targets: { vmIds: [vm.id] }, credentialId: credential.body.id });
          expect(res.status).toBe(202);
          return res.body;
        };
        const runOf = async (id: string) => (await svc.api<Run>('GET', `/api/v1/playbook-runs/${id}`)).body;
        const eventsOf = async (id: string) => (await svc.api<{ items: RunEvent[] }>('GET', `/api/v1/playbook-runs/${id}/events?limit=500`)).body.items;

        const run = await start('long.yml');
        // Running, its first task done and stored, the second (sleep 60) under way.
        await waitFor(
          'the run to be in its second task',
          async () => (await runOf(run.id)).status === 'running' && (await eventsOf(run.id)).filter((e) => e.event === 'playbook_on_task_start').length >= 2,
          60_000,
        );
        const eventsBefore = await eventsOf(run.id);
        expect(eventsBefore.some((e) => e.event === 'runner_on_ok')).toBe(true);
        const marker = `${svc.workDir}/`;
        const before = processesMentioning(marker);
        expect(before.some((p) => p.cmdline.includes('ansible-runner'))).toBe(true);
        expect(before.some((p) => p.cmdline.includes('ansible-playbook'))).toBe(true);
        expect(filesBelow(svc.workDir).filter((file) => file.endsWith('env/ssh_key'))).toHaveLength(1);

        await svc.kill('SIGKILL');
        // The run's processes are in groups of their own: they outlive the service (until the next start sweeps them).
        const orphans = processesMentioning(marker);
        console.log(`process-kill: ${orphans.length} process(es) of the run outlived the service: ${orphans.map((p) => p.cmdline.split(' ').slice(0, 2).join(' ')).join('; ')}`);
        expect((await db.query<{ status: string }>('SELECT status FROM playbook_runs WHERE id = $1', [run.id]))[0].status).toBe('running');

        await svc.restart();
        const after = await runOf(run.id);
        expect(after.status).toBe('error');
        expect(after.reason).toMatch(/service stopped while this run was running.*not run again/);
        expect(after.finishedAt).not.toBeNull();
        const eventsAfter = await eventsOf(run.id);
        expect(eventsAfter.map((e) => e.counter)).toEqual(eventsBefore.map((e) => e.counter));
        expect(after.eventCount).toBe(eventsAfter.length);
        // The start swept the run's processes and its directory (the key with it).
        await waitFor('no process of the run left', () => processesMentioning(marker).length === 0, 10_000);
        // (Gone, or a zombie waiting for whoever adopted it to reap it.)
        const live = new Set(processesMentioning('').map((p) => p.pid));
        expect(orphans.filter((orphan) => live.has(orphan.pid))).toEqual([]);
        expect(filesBelow(svc.workDir)).toEqual([]);

        const next = await start('hello.yml');
        await waitFor('the next run to end', async () => !['queued', 'running'].includes((await runOf(next.id)).status), 90_000);
        expect(await runOf(next.id)).toMatchObject({ status: 'successful' });
        expect(processesMentioning(marker)).toEqual([]);
        expect(filesBelow(svc.workDir)).toEqual([]);
        checks += await checkInvariants({ api: f.api, db, providers: [{ providerId: f.providerId, vmNativeIds: f.sim.vmIds() }] });
        scenarios += 1;
      }),
      SCENARIO_MS,
    );
  });
});
