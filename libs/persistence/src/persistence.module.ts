import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createDataSourceOptions, type DatabaseConfig } from './data-source.factory.js';
import { InventoryPersister } from './inventory.persister.js';

/**
 * The database of the process: TypeORM on the configured driver, migrated to the latest schema
 * at start-up, and the shared inventory persister. Global, imported once by each app.
 */
@Module({})
export class PersistenceModule {
  static forRoot(config: DatabaseConfig): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...createDataSourceOptions(config), migrationsRun: true }),
        }),
      ],
      providers: [InventoryPersister],
      exports: [InventoryPersister],
    };
  }
}
