export * from './operations.module.js';
export * from './request-vm-action.usecase.js';
export * from './execute-operation.usecase.js';
export * from './operation.queries.js';
export * from './operation-progress.stream.js';
export * from './vm-action.rules.js';
export * from './retire-vm.usecase.js';
export * from './retirement.jobs.js';
