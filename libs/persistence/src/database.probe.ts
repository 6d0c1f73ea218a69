import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export type DatabaseCheck = { status: 'up'; driver: string; latencyMs: number } | { status: 'down'; driver: string; error: string };

/** Readiness of the database: one round trip, timed. */
@Injectable()
export class DatabaseProbe {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async check(): Promise<DatabaseCheck> {
    const driver = this.dataSource.options.type;
    const started = Date.now();
    try {
      await this.dataSource.query('SELECT 1');
      return { status: 'up', driver, latencyMs: Date.now() - started };
    } catch (error) {
      return { status: 'down', driver, error: (error as Error).message };
    }
  }
}
