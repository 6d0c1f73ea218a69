export * from './entities/index.js';
export * from './queries/index.js';
export { MIGRATIONS } from './migrations/index.js';
export { createDataSourceOptions, SQLITE_FILE_NAME, type DatabaseConfig, type DataSourceOverrides } from './data-source.factory.js';
export { SnakeNamingStrategy } from './snake-naming.strategy.js';
export { INVENTORY_COLLECTIONS, TRACKED_VM_FIELDS, type CollectionStats, type InventoryCollection, type PersistStats } from './inventory-diff.js';
export { InventoryPersister } from './inventory.persister.js';
export { fitToColumns } from './fit-to-columns.js';
export { PersistenceModule } from './persistence.module.js';
