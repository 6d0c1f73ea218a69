export * from './runtime.module.js';
export * from './job-schedules.js';
