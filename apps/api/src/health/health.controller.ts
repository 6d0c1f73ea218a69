import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';

/** Liveness and readiness: the process answers, and the database answers it. No auth. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
    const ok = database.status === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'error', checks: { database } };
  }
}
