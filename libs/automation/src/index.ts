export * from './runner/ansible-runner.types.js';
