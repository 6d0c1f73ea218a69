import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { SQLITE_FILE_NAME } from '@hybridforms/persistence';
import type { TestApp } from '../../support/test-app.js';

/*
 * The invariants every fault scenario ends with. Each takes only what it needs (a way to read
 * the API, a way to read the database, the simulator's truth), throws an InvariantViolation with
 * a message that says what broke, and returns how many checks it made (always 1 today).
 * `checkInvariants` runs every one that its input allows and returns how many ran.
 */

/** Thrown when an invariant does not hold; the message names the invariant and the evidence. */
export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`invariant ${invariant} violated: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/** Plain read access to the service's database: SQL written with $1, $2… (rewritten to ? for SQLite). */
export interface DbAccess {
  readonly dialect: 'sqlite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Releases what the helper opened (a no-op for a borrowed DataSource). */
  close(): Promise<void>;
}

/** One API answer, whatever client made it. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Authenticated GET access to the service's HTTP API (in-process supertest or a real URL). */
export interface ApiAccess {
  get(path: string): Promise<ApiAnswer>;
}

/** The simulator's truth about one provider: the native ids of the VMs it has now. */
export interface ProviderTruth {
  providerId: string;
  /** Native ids as the simulator knows them (any case: Azure ids are compared lower-cased). */
  vmNativeIds: readonly string[];
}

/** The archived rows of a provider's inventory tables (table → row id → archived_at), taken before a fault. */
export type ArchivedSnapshot = Record<string, Record<string, string>>;

/** The events a simulator produced in the window a poll caught (native ids of the stored events). */
export interface EventTruth {
  providerId: string;
  eventNativeIds: readonly string[];
}

/** Everything checkInvariants may use; each invariant runs when its inputs are given. */
export interface InvariantInput {
  /** The API (serviceAnswers, and the API side of noVmLostOrDuplicated). */
  api?: ApiAccess;
  /** The database (every invariant but serviceAnswers). */
  db?: DbAccess;
  /** noVmLostOrDuplicated per provider. */
  providers?: readonly ProviderTruth[];
  /** nothingArchivedByFailedRefresh: the snapshots taken (snapshotArchived) before the failed refresh. */
  archivedBefore?: readonly { providerId: string; snapshot: ArchivedSnapshot }[];
  /** noEventLostOrDuplicated per provider. */
  events?: readonly EventTruth[];
  /** noRunLeftRunning: how long active runs/refreshes may take to settle (default 15 s); false skips it. */
  runGraceMs?: number | false;
}

/** The little of better-sqlite3 these helpers use (the package ships no types of its own). */
export interface SqliteConnection {
  prepare(sql: string): { all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
  exec(sql: string): unknown;
  close(): void;
}

/** Opens a better-sqlite3 connection (the driver the service uses) to a SQLite file. */
export function openSqlite(file: string, options: { fileMustExist?: boolean; timeout?: number; readonly?: boolean } = {}): SqliteConnection {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: object) => SqliteConnection;
  return new Database(file, options);
}

/** Inventory tables that carry provider_id, native_id and archived_at. */
export const INVENTORY_TABLES = ['vms', 'nics', 'disks', 'images', 'hosts', 'networks', 'resource_groups'] as const;

// ---------------------------------------------------------------------------------------------
// Access helpers

/** DbAccess over a live TypeORM DataSource (e.g. `t.app.get(DataSource)`); close() leaves it open. */
export function dbFromDataSource(dataSource: DataSource): DbAccess {
  const dialect = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  return {
    dialect,
    query: async <T>(sql: string, params: unknown[] = []) => (await dataSource.query(toDialect(sql, dialect), params)) as T[],
    close: async () => undefined,
  };
}

/**
 * DbAccess of its own: a pg client for `databaseUrl`, else a better-sqlite3 connection to the
 * service's file in `dataDir` (WAL: it reads beside a running service). Close it when done.
 */
export async function openDb(target: { databaseUrl?: string | null; dataDir?: string }): Promise<DbAccess> {
  if (target.databaseUrl) {
    const client = new pg.Client({ connectionString: target.databaseUrl, application_name: 'hybridforms-invariants' });
    await client.connect();
    client.on('error', () => undefined);
    return {
      dialect: 'postgres',
      query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
      close: async () => {
        await client.end().catch(() => undefined);
      },
    };
  }
  if (!target.dataDir) throw new Error('openDb: give databaseUrl or dataDir');
  const db = openSqlite(join(target.dataDir, SQLITE_FILE_NAME), { fileMustExist: true, timeout: 10_000 });
  return {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: unknown[] = []) => db.prepare(toDialect(sql, 'sqlite')).all(...params.map(sqliteValue)) as T[],
    close: async () => {
      db.close();
    },
  };
}

/** ApiAccess through a TestApp's supertest agent (admin token). */
export function apiFromTestApp(t: Pick<TestApp, 'http'>): ApiAccess {
  return {
    get: async (path) => {
      const res = await t.http().get(path);
      return { status: res.status, body: res.body as unknown };
    },
  };
}

/** ApiAccess over fetch to a listening service (`http://127.0.0.1:port`), with e.g. `{ authorization: 'Bearer …' }`. */
export function apiFromUrl(baseUrl: string, headers: Record<string, string>, timeoutMs = 15_000): ApiAccess {
  return {
    get: async (path) => {
      const res = await fetch(new URL(path, baseUrl), { headers, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (e.g. /metrics): keep the text
      }
      return { status: res.status, body };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The invariants

/**
 * noVmLostOrDuplicated: the provider's non-archived VMs (database, and the API when given) are
 * exactly the simulator's VMs by native id, and no (provider_id, native_id) is in vms twice.
 */
export async function noVmLostOrDuplicated(input: { db: DbAccess; api?: ApiAccess; truth: ProviderTruth }): Promise<number> {
  const name = 'noVmLostOrDuplicated';
  const { db, api, truth } = input;
  const expected = new Set(truth.vmNativeIds.map((id) => id.toLowerCase()));

  const duplicates = await db.query<{ provider_id: string; native_id: string; n: number | string }>(
    'SELECT provider_id, native_id, COUNT(*) AS n FROM vms GROUP BY provider_id, native_id HAVING COUNT(*) > 1',
  );
  if (duplicates.length > 0) {
    throw new InvariantViolation(name, `vms rows duplicated by (provider_id, native_id): ${describe(duplicates.map((d) => `${d.native_id} ×${d.n}`))}`);
  }

  const rows = await db.query<{ native_id: string }>('SELECT native_id FROM vms WHERE provider_id = $1 AND archived_at IS NULL', [truth.providerId]);
  compareSets(name, 'database', new Set(rows.map((r) => r.native_id)), expected);

  if (api) {
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.get(`/api/v1/vms?provider=${truth.providerId}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status !== 200) throw new InvariantViolation(name, `GET /api/v1/vms answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      const page = res.body as { items: { nativeId: string }[]; nextCursor: string | null };
      listed.push(...page.items.map((vm) => vm.nativeId));
      cursor = page.nextCursor;
    } while (cursor);
    if (new Set(listed).size !== listed.length) throw new InvariantViolation(name, `the API lists a VM twice (${listed.length} items, ${new Set(listed).size} distinct)`);
    compareSets(name, 'API', new Set(listed), expected);
  }
  return 1;
}

/** Takes the archived rows of every inventory table of a provider, for nothingArchivedByFailedRefresh. */
export async function snapshotArchived(db: DbAccess, providerId: string): Promise<ArchivedSnapshot> {
  const snapshot: ArchivedSnapshot = {};
  for (const table of INVENTORY_TABLES) {
    const rows = await db.query<{ id: string; archived_at: unknown }>(`SELECT id, archived_at FROM ${table} WHERE provider_id = $1 AND archived_at IS NOT NULL`, [
      providerId,
    ]);
    snapshot[table] = Object.fromEntries(rows.map((r) => [r.id, timestampText(r.archived_at)]));
  }
  return snapshot;
}

/** Every inventory row of a provider with its version and archive mark, and its change records: equal before and after = nothing written. */
export async function inventoryFingerprint(db: DbAccess, providerId: string): Promise<string> {
  const parts: string[] = [];
  for (const table of INVENTORY_TABLES) {
    const rows = await db.query<{ id: string; updated_at: unknown; archived_at: unknown }>(
      `SELECT id, updated_at, archived_at FROM ${table} WHERE provider_id = $1 ORDER BY id`,
      [providerId],
    );
    parts.push(`${table}:${rows.map((r) => `${r.id}@${String(r.updated_at)}/${String(r.archived_at)}`).join(',')}`);
  }
  const [changes] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM vm_changes WHERE provider_id = $1', [providerId]);
  parts.push(`changes:${changes.n}`);
  return parts.join('\n');
}

/** nothingArchivedByFailedRefresh: the provider's archived rows (which, and since when) are those of the snapshot taken before. */
export async function nothingArchivedByFailedRefresh(input: { db: DbAccess; providerId: string; before: ArchivedSnapshot }): Promise<number> {
  const name = 'nothingArchivedByFailedRefresh';
  const after = await snapshotArchived(input.db, input.providerId);
  const problems: string[] = [];
  for (const table of INVENTORY_TABLES) {
    const was = input.before[table] ?? {};
    const now = after[table] ?? {};
    const added = Object.keys(now).filter((id) => !(id in was));
    const restored = Object.keys(was).filter((id) => !(id in now));
    const moved = Object.keys(now).filter((id) => id in was && was[id] !== now[id]);
    if (added.length) problems.push(`${table}: ${added.length} newly archived (${describe(added)})`);
    if (restored.length) problems.push(`${table}: ${restored.length} no longer archived (${describe(restored)})`);
    if (moved.length) problems.push(`${table}: archived_at changed on ${describe(moved)}`);
  }
  if (problems.length) throw new InvariantViolation(name, problems.join('; '));
  return 1;
}

/**
 * noEventLostOrDuplicated: every event native id the simulator produced in the caught window is
 * stored exactly once, and no native id is stored twice for the provider.
 */
export async function noEventLostOrDuplicated(input: { db: DbAccess; truth: EventTruth }): Promise<number> {
  const name = 'noEventLostOrDuplicated';
  const { db, truth } = input;
  const rows = await db.query<{ native_id: string; n: number | string }>(
    'SELECT native_id, COUNT(*) AS n FROM events WHERE provider_id = $1 GROUP BY native_id',
    [truth.providerId],
  );
  const counts = new Map(rows.map((r) => [r.native_id, Number(r.n)]));
  const duplicated = rows.filter((r) => Number(r.n) > 1).map((r) => `${r.native_id} ×${r.n}`);
  if (duplicated.length) throw new InvariantViolation(name, `events stored more than once: ${describe(duplicated)}`);
  const missing = truth.eventNativeIds.filter((id) => !counts.has(id));
  if (missing.length) throw new InvariantViolation(name, `${missing.length} of ${truth.eventNativeIds.length} simulator events not stored: ${describe(missing)}`);
  return 1;
}

/**
 * noRunLeftRunning: once the service has settled (within `graceMs`), no playbook_runs, refreshes
 * or operations row is 'queued' or 'running'.
 */
export async function noRunLeftRunning(input: { db: DbAccess; graceMs?: number }): Promise<number> {
  const name = 'noRunLeftRunning';
  const deadline = Date.now() + (input.graceMs ?? 15_000);
  for (;;) {
    const runs = await input.db.query<{ id: string; status: string }>("SELECT id, status FROM playbook_runs WHERE status IN ('queued', 'running')");
    const refreshes = await input.db.query<{ id: string; status: string }>("SELECT id, status FROM refreshes WHERE status IN ('queued', 'running')");
    const operations = await input.db.query<{ id: string; status: string }>("SELECT id, status FROM operations WHERE status IN ('queued', 'running')");
    if (runs.length === 0 && refreshes.length === 0 && operations.length === 0) return 1;
    if (Date.now() > deadline) {
      const list = [
        ...runs.map((r) => `playbook run ${r.id} ${r.status}`),
        ...refreshes.map((r) => `refresh ${r.id} ${r.status}`),
        ...operations.map((o) => `operation ${o.id} ${o.status}`),
      ];
      throw new InvariantViolation(name, `still active after ${input.graceMs ?? 15_000} ms: ${describe(list)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** serviceAnswers: GET /health answers 200 and GET /api/v1/vms?limit=1 answers 200. */
export async function serviceAnswers(api: ApiAccess): Promise<number> {
  const name = 'serviceAnswers';
  for (const path of ['/health', '/api/v1/vms?limit=1']) {
    let res: ApiAnswer;
    try {
      res = await api.get(path);
    } catch (error) {
      throw new InvariantViolation(name, `GET ${path} failed: ${(error as Error).message}`);
    }
    if (res.status !== 200) throw new InvariantViolation(name, `GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return 1;
}

/** Runs every invariant its input allows (serviceAnswers first, then the database ones); returns how many ran. */
export async function checkInvariants(input: InvariantInput): Promise<number> {
  let checked = 0;
  if (input.api) checked += await serviceAnswers(input.api);
  if (input.db) {
    const db = input.db;
    if (input.runGraceMs !== false) checked += await noRunLeftRunning({ db, graceMs: input.runGraceMs });
    for (const truth of input.providers ?? []) checked += await noVmLostOrDuplicated({ db, api: input.api, truth });
    for (const { providerId, snapshot } of input.archivedBefore ?? []) checked += await nothingArchivedByFailedRefresh({ db, providerId, before: snapshot });
    for (const truth of input.events ?? []) checked += await noEventLostOrDuplicated({ db, truth });
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------
// Simulator truth helpers

/** The Activity Log records (eventDataId) an Azure simulator shows for [fromMs, toMs]: what a poll of that window stores. */
export function azureSimEventIds(
  sim: { activityLogEvents(subscriptionId?: string): Record<string, unknown>[] },
  window: { fromMs?: number; toMs?: number } = {},
): string[] {
  return sim
    .activityLogEvents()
    .filter((wire) => {
      const at = Date.parse(String(wire.eventTimestamp));
      return typeof wire.eventDataId === 'string' && (window.fromMs === undefined || at >= window.fromMs) && (window.toMs === undefined || at <= window.toMs);
    })
    .map((wire) => wire.eventDataId as string);
}

// ---------------------------------------------------------------------------------------------

function compareSets(name: string, where: string, actual: Set<string>, expected: Set<string>): void {
  const lost = [...expected].filter((id) => !actual.has(id));
  const extra = [...actual].filter((id) => !expected.has(id));
  if (lost.length || extra.length) {
    throw new InvariantViolation(
      name,
      `${where} has ${actual.size} active VMs, the simulator ${expected.size}` +
        (lost.length ? `; lost: ${describe(lost)}` : '') +
        (extra.length ? `; not in the simulator: ${describe(extra)}` : ''),
    );
  }
}

function describe(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} … (+${items.length - 5})`;
}

function timestampText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** $1, $2… → ? for SQLite (every query here uses each parameter once, in order). */
function toDialect(sql: string, dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'sqlite' ? sql.replace(/\$\d+/g, '?') : sql;
}

function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
