export * from './entities/index.js';
export * from './queries/index.js';
export * from './migrations/index.js';
export * from './data-source.factory.js';
export * from './snake-naming.strategy.js';
export * from './inventory-diff.js';
export * from './inventory.persister.js';
export * from './persistence.module.js';
