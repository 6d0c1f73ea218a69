import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { createDataSourceOptions, SQLITE_FILE_NAME } from './data-source.factory.js';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './testing/test-database.js';

/** The raw driver (no type declarations are installed for it): a second connection to the same file. */
interface SqliteConnection {
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options?: { timeout?: number }) => SqliteConnection;

/** The errors real drivers raise, not hand-made look-alikes: the classification is only as good as its inputs. */
async function failureOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to fail');
}

describe('isDatabaseUnavailable on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(() => db?.close());

  it('is true for a query whose backend is terminated (pg_terminate_backend)', async () => {
    // A pool of its own: the terminated connection must not be handed to the other tests' queries.
    const own = await openTestDatabase('postgres', { migrate: false });
    const runner = own.dataSource.createQueryRunner();
    try {
      const [{ pid }] = (await runner.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>;
      const sleeping = failureOf(() => runner.query('SELECT pg_sleep(10)'));
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        // The sleep must have reached the server before the backend is cut.
        for (let i = 0; i < 100; i++) {
          const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'", [pid]);
          if (rows.length) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      } finally {
        await admin.end();
      }
      const error = await sleeping;
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await runner.release().catch(() => undefined);
      await own.close();
    }
  });

  it('is true when nothing listens at the server address', async () => {
    const unreachable = new DataSource(createDataSourceOptions({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test', dataDir: '/tmp' }));
    const error = await failureOf(() => unreachable.initialize());
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('is false for a statement the server rejects (syntax, arithmetic, a missing table)', async () => {
    for (const sql of ['SELEC 1', 'SELECT 1/0', 'SELECT * FROM no_such_table']) {
      const error = await failureOf(() => db.dataSource.query(sql));
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });
});

describe('isDatabaseUnavailable on SQLite', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite', { migrate: false });
  });
  afterAll(() => db?.close());

  it('is true for a write that finds the lock held by another connection', async () => {
    const file = join(db.location, SQLITE_FILE_NAME);
    const holder = new Database(file);
    const writer = new Database(file, { timeout: 0 });
    try {
      holder.exec('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
      holder.exec('BEGIN IMMEDIATE');
      const error = await failureOf(async () => writer.exec('INSERT INTO t VALUES (1)'));
      expect((error as { code?: string }).code).toBe('SQLITE_BUSY');
      expect(isDatabaseUnavailable(error)).toBe(true);
      holder.exec('ROLLBACK');
    } finally {
      writer.close();
      holder.close();
    }
  });

  it('is false for a constraint or syntax error', async () => {
    await db.dataSource.query('CREATE TABLE u (x INTEGER UNIQUE)');
    await db.dataSource.query('INSERT INTO u VALUES (1)');
    for (const sql of ['INSERT INTO u VALUES (1)', 'SELEC 1']) {
      const error = await failureOf(() => db.dataSource.query(sql));
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
