export * from './cursor.js';
export * from './inventory-query.js';
export * from './vm-query.repository.js';
export * from './inventory-query.repository.js';
