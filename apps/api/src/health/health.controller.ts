import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { PlaybookRunService } from '@hybridforms/automation';
import { Public } from '../auth/access.decorators.js';

/**
 * Liveness and readiness: the process answers, and the database answers it. Automation (Debian's
 * ansible-runner) is reported too; without it inventory still works, so it does not fail readiness. No auth.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: PlaybookRunService,
  ) {}

  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const started = Date.now();
    let database: { status: 'up' | 'down'; driver: string; latencyMs?: number; error?: string };
    try {
      await this.dataSource.query('SELECT 1');
      database = { status: 'up', driver: this.dataSource.options.type, latencyMs: Date.now() - started };
    } catch (error) {
      database = { status: 'down', driver: this.dataSource.options.type, error: (error as Error).message };
    }
    // Checked once, at start-up: the first probe does not wait for two Python processes.
    const runner = await this.runs.runnerAvailability();
    const automation = runner.available ? { status: 'up', version: runner.version } : { status: 'down', error: runner.problem };
    const ok = database.status === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'error', checks: { database, automation } };
  }
}
