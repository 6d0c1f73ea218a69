export * from './event-stream.js';
export * from './event.store.js';
export * from './metric-query.service.js';
export * from './metric-retention.service.js';
export * from './metric-rollup.service.js';
export * from './metric.store.js';
export * from './telemetry.module.js';
export * from './metric-maintenance.jobs.js';
