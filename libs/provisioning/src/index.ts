export * from './provisioning.module.js';
export * from './provision-sources.query.js';
export * from './provision-request.rules.js';
export * from './submit-provision-request.usecase.js';
export * from './decide-provision-request.usecase.js';
export * from './provision-request.queries.js';
export * from './run-provision-request.usecase.js';
export * from './provision-task.js';
