// The fleet: the in-guest probe, reconciliation findings, the fleet report (DESIGN.md).
export * from './rhel-life-cycle.js';
export * from './fleet-facts.js';
export * from './reconcile.rules.js';
