export * from './providers/providers.service.js';
export * from './refresh/refresh.service.js';
export * from './refresh/refresh.scheduler.js';
export * from './refresh/in-process-refresh.dispatcher.js';
export * from './inventory-discovery.module.js';
