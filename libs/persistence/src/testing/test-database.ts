import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource, type Logger } from 'typeorm';
import { createDataSourceOptions } from '../data-source.factory.js';
import { DiskEntity, HostEntity, ImageEntity, NicEntity, ProviderEntity, VmChangeEntity, VmEntity } from '../entities/index.js';
import { VmQueryRepository } from '../queries/vm-query.repository.js';

/** Integration tests run every case on both drivers. */
export const TEST_DRIVERS = ['sqlite', 'postgres'] as const;
export type TestDriver = (typeof TEST_DRIVERS)[number];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Counts the statements TypeORM sends, to prove a save is batched. */
export class StatementCounter implements Logger {
  statements: string[] = [];

  get count(): number {
    return this.statements.length;
  }

  reset(): void {
    this.statements = [];
  }

  logQuery(query: string): void {
    this.statements.push(query);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface TestDatabase {
  driver: TestDriver;
  dataSource: DataSource;
  statements: StatementCounter;
  /** Where the SQLite file lives, or the PostgreSQL schema. */
  location: string;
  close(): Promise<void>;
}

/**
 * A fresh, empty database on a real server: a SQLite file in a temp dir, or a PostgreSQL schema
 * `hf_<random>` created here and dropped by close(). An unreachable PostgreSQL fails the test.
 */
export async function openTestDatabase(driver: TestDriver, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const statements = new StatementCounter();
  let dataSource: DataSource;
  let location: string;
  let cleanup: () => Promise<void>;
  if (driver === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'hf-persistence-'));
    dataSource = new DataSource(createDataSourceOptions({ dataDir }, { logger: statements }));
    location = dataDir;
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const schema = `hf_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE SCHEMA "${schema}"`);
    dataSource = new DataSource(createDataSourceOptions({ databaseUrl: TEST_DATABASE_URL, dataDir: tmpdir() }, { schema, logger: statements }));
    location = schema;
    cleanup = () => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
  try {
    await dataSource.initialize();
    if (options.migrate ?? true) await dataSource.runMigrations();
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await cleanup();
    throw error;
  }
  return {
    driver,
    dataSource,
    statements,
    location,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await cleanup();
    },
  };
}

/** The VM queries on a test database's tables, as the Nest module wires them. */
export function vmQueriesOn(dataSource: DataSource): VmQueryRepository {
  const repo = <T extends object>(entity: new () => T) => dataSource.getRepository(entity);
  return new VmQueryRepository(repo(VmEntity), repo(NicEntity), repo(DiskEntity), repo(HostEntity), repo(ImageEntity), repo(VmChangeEntity));
}

/** Inserts a provider row (inventory rows reference one). */
export async function insertProvider(dataSource: DataSource, name = `p-${randomUUID().slice(0, 8)}`): Promise<ProviderEntity> {
  const now = new Date();
  const provider: ProviderEntity = {
    id: randomUUID(),
    name,
    type: 'azure',
    config: {},
    credentialsCiphertext: 'sealed',
    refreshIntervalSeconds: null,
    lastFullRefreshAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await dataSource.getRepository(ProviderEntity).save(provider);
  return provider;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
