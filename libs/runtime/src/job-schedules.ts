import { EVENT_TICK_JOB, METRIC_TICK_JOB, REFRESH_TICK_JOB } from '@hybridforms/discovery';
import type { JobSchedule } from '@hybridforms/jobs';
import { RETIREMENT_JOB } from '@hybridforms/operations';
import { METRIC_PURGE_JOB, METRIC_ROLLUP_JOB } from '@hybridforms/telemetry';

/**
 * Every schedule of the cluster, in one table: each fires once per cluster however many processes
 * run jobs, and a firing is skipped while its previous job still waits or runs. Crons only enqueue.
 */
export const JOB_SCHEDULE_TABLE: readonly JobSchedule[] = [
  // Which providers are due for a full refresh (each has its own interval).
  { kind: REFRESH_TICK_JOB, everyMs: (config) => config.refresh.schedulerTickSeconds * 1000 },
  { kind: EVENT_TICK_JOB, everyMs: (config) => config.events.pollIntervalSeconds * 1000 },
  { kind: METRIC_TICK_JOB, everyMs: (config) => config.metrics.captureIntervalSeconds * 1000 },
  { kind: METRIC_ROLLUP_JOB, everyMs: (config) => config.metrics.rollupIntervalSeconds * 1000 },
  { kind: METRIC_PURGE_JOB, everyMs: (config) => config.metrics.purgeIntervalSeconds * 1000 },
  // Retirement warnings, then the retirements that are due.
  { kind: RETIREMENT_JOB, everyMs: (config) => config.operations.retirementCheckSeconds * 1000 },
];
