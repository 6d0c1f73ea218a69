export * from './hybridforms.metrics.js';
export * from './prometheus.controller.js';
export * from './observability.module.js';
export * from './queue-health.js';
export * from './health.service.js';
export * from './health.controller.js';
