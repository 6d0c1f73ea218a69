export * from './runtime.module.js';
