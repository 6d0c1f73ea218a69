import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, type DatabaseConfig } from './data-source.factory.js';
import { DatabaseProbe } from './database.probe.js';
import { ENTITIES } from './entities/index.js';
import { InventoryPersister } from './inventory.persister.js';
import { REPOSITORIES } from './repositories/index.js';

/**
 * The database of the process: TypeORM on the configured driver, migrated to the latest schema
 * at start-up, the shared inventory persister and the repositories, which own every query (no
 * module outside this lib injects a TypeORM repository). Global, imported once by each app.
 */
@Module({})
export class PersistenceModule {
  static forRoot(config: DatabaseConfig): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => createDataSourceOptions(config),
          // Migrated at start-up, one process at a time: a cluster's processes start together.
          dataSourceFactory: async (options) => migrateExclusively(await new DataSource(options!).initialize()),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: [InventoryPersister, DatabaseProbe, ...REPOSITORIES],
      exports: [InventoryPersister, DatabaseProbe, ...REPOSITORIES],
    };
  }
}

/**
 * A connected, migrated data source outside Nest (the CLI commands): the caller destroys it. Migrated
 * as the processes migrate, under the same lock, so a command may run beside a starting cluster.
 */
export async function openDatabase(config: DatabaseConfig): Promise<DataSource> {
  return migrateExclusively(await new DataSource(createDataSourceOptions(config)).initialize());
}

/** PostgreSQL: an advisory lock of our own around the pending migrations (SQLite has one process). */
const MIGRATION_LOCK = 7_360_211_001;

async function migrateExclusively(dataSource: DataSource): Promise<DataSource> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations();
    return dataSource;
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await dataSource.runMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
  return dataSource;
}

