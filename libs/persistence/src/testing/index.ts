export * from './test-database.js';
export * from './vm-record.fixture.js';
