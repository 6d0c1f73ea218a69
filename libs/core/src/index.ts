export * from './inventory-graph.js';
export * from './provider.error.js';
export * from './provider-plugin.js';
export * from './provider-plugin.decorator.js';
export * from './provider-registry.service.js';
export * from './os-classification.js';
export * from './core.module.js';
