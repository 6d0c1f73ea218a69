export * from './access.module.js';
export * from './api-token.service.js';
export * from './audit-log.service.js';
export * from './auth-failure.limiter.js';
export * from './cluster-auth-failure.limiter.js';
export * from './secret-rotation.js';
