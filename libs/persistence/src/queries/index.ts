export * from './cursor.js';
export * from './inventory-query.js';
export * from './vm-query.repository.js';
export * from './vm-list-row.js';
export * from './inventory-query.repository.js';
