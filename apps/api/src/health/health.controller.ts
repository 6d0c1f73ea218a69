import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { PlaybookRunService } from '@hybridforms/automation';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { checkQueueHealth } from '@hybridforms/observability';
import { Public } from '../auth/access.decorators.js';

/**
 * Liveness and readiness: the process answers, the database answers it, and so does the job queue's
 * broker (bullmq mode; in-process it is always up). Automation (Debian's ansible-runner) is reported
 * too; without it inventory still works, so it does not fail readiness. No auth. The worker serves the
 * same controller on its small HTTP port.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: PlaybookRunService,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {}

  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    // The broker is asked while the database answers: one probe waits for the slower of the two.
    const queueCheck = checkQueueHealth(this.jobs);
    const started = Date.now();
    let database: { status: 'up' | 'down'; driver: string; latencyMs?: number; error?: string };
    try {
      await this.dataSource.query('SELECT 1');
      database = { status: 'up', driver: this.dataSource.options.type, latencyMs: Date.now() - started };
    } catch (error) {
      database = { status: 'down', driver: this.dataSource.options.type, error: (error as Error).message };
    }
    const queue = await queueCheck;
    // Checked once, at start-up: the first probe does not wait for two Python processes.
    const runner = await this.runs.runnerAvailability();
    const automation = runner.available ? { status: 'up', version: runner.version } : { status: 'down', error: runner.problem };
    const ok = database.status === 'up' && queue.status === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'error', checks: { database, queue, automation } };
  }
}
