import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { BetterSqlite3DataSourceOptions } from 'typeorm/driver/better-sqlite3/BetterSqlite3DataSourceOptions.js';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

export interface DatabaseConfig {
  /** `postgres://…` for PostgreSQL; empty for the embedded SQLite file. */
  databaseUrl?: string | null;
  /** Where the SQLite file lives (created if missing). */
  dataDir: string;
  /** Log every query (noisy; for debugging). */
  logging?: boolean;
}

/** Test and tooling knobs on top of the configured database. */
export interface DataSourceOverrides extends Partial<Pick<DataSourceOptions, 'logger' | 'logging' | 'migrationsRun'>> {
  /** PostgreSQL only: put every table in this schema (tests isolate themselves this way). */
  schema?: string;
}

export const SQLITE_FILE_NAME = 'hybridforms.sqlite';

// A writer waits this long for another connection's lock (a CLI, a second process) before failing.
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * TypeORM options for the configured database: the embedded SQLite file when no URL is given,
 * PostgreSQL for a postgres:// URL. Schema changes only ever come from MIGRATIONS.
 */
export function createDataSourceOptions(config: DatabaseConfig, overrides: DataSourceOverrides = {}): DataSourceOptions {
  const { schema, ...rest } = overrides;
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: config.logging ? 'all' : false,
    ...rest,
  } as const;
  const url = config.databaseUrl?.trim();

  if (!url) {
    if (schema) throw new Error('the schema override applies to PostgreSQL only');
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const sqlite: BetterSqlite3DataSourceOptions = {
      ...common,
      type: 'better-sqlite3',
      database: join(dataDir, SQLITE_FILE_NAME),
      enableWAL: true,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
        // TypeORM turns foreign keys on too; the cascades and SET NULLs of the schema rely on it.
        db.pragma('foreign_keys = ON');
        // With WAL, NORMAL cannot corrupt the file and spares an fsync per commit.
        db.pragma('synchronous = NORMAL');
      },
    };
    return sqlite;
  }

  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new Error(`DATABASE_URL: unsupported scheme "${scheme ?? url}" — use postgres://user:password@host:5432/database, or leave it empty for the embedded SQLite file`);
  }
  const postgres: PostgresDataSourceOptions = {
    ...common,
    type: 'postgres',
    url,
    applicationName: 'hybridforms',
    ...(schema
      ? {
          schema,
          // Raw SQL (migrations) must land in the same schema as TypeORM's qualified names.
          extra: { options: `-c search_path=${quoteIdentifier(schema)}` },
        }
      : {}),
  };
  return postgres;
}

function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`schema "${name}": use lower-case letters, digits and underscores`);
  return name;
}
