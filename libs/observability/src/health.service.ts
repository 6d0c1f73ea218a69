import { Inject, Injectable } from '@nestjs/common';
import { ExecutePlaybookRun } from '@hybridforms/automation';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { DatabaseProbe, type DatabaseCheck } from '@hybridforms/persistence';
import { checkQueueHealth, type QueueHealth } from './queue-health.js';

export interface HealthReport {
  /** `ok` when the process can serve: the database and the job queue's broker answer. */
  status: 'ok' | 'error';
  checks: {
    database: DatabaseCheck;
    queue: QueueHealth;
    /** Reported, not required: without ansible-runner the inventory still works. */
    automation: { status: 'up'; version: string | null } | { status: 'down'; error: string | null };
  };
}

/** Liveness and readiness of this process, for /health of every app. */
@Injectable()
export class HealthService {
  constructor(
    private readonly database: DatabaseProbe,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    private readonly runs: ExecutePlaybookRun,
  ) {}

  async check(): Promise<HealthReport> {
    // The broker is asked while the database answers: one probe waits for the slower of the two.
    const [queue, database] = await Promise.all([checkQueueHealth(this.jobs), this.database.check()]);
    // Checked once, at start-up: a probe does not wait for two Python processes.
    const runner = await this.runs.runnerAvailability();
    const automation = runner.available ? { status: 'up' as const, version: runner.version } : { status: 'down' as const, error: runner.problem };
    const ok = database.status === 'up' && queue.status === 'up';
    return { status: ok ? 'ok' : 'error', checks: { database, queue, automation } };
  }
}
