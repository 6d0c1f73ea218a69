import { Injectable, Logger } from '@nestjs/common';
import { bucketOf, DAY, MetricRepository } from '@hybridforms/persistence';

export interface RollupResult {
  /** (hour, VM) pairs recomputed. */
  vmHours: number;
  hours: number;
  days: number;
}

/**
 * Incremental rollups: only the (hour, VM) pairs that received samples since the last pass are
 * recomputed, hourly from the raw samples and daily from the hourly rows, so a rollup is always
 * exactly the aggregate of what is stored, however late or repeated the samples came. One UTC
 * day per transaction keeps each lock short.
 */
@Injectable()
export class MetricRollupService {
  private readonly logger = new Logger(MetricRollupService.name);
  private running: Promise<RollupResult> | null = null;

  constructor(private readonly metrics: MetricRepository) {}

  /** Rolls up everything pending; a call while a pass runs joins it. */
  rollupPending(): Promise<RollupResult> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<RollupResult> {
    const total: RollupResult = { vmHours: 0, hours: 0, days: 0 };
    const started = Date.now();
    for (;;) {
      const day = await this.oldestPendingDay();
      if (day === null) break;
      const result = await this.metrics.rollupDay(day);
      total.vmHours += result.vmHours;
      total.hours += result.hours;
      total.days += 1;
    }
    if (total.vmHours > 0) this.logger.debug(`rolled up ${total.vmHours} vm-hours over ${total.days} day(s) in ${Date.now() - started} ms`);
    return total;
  }

  private async oldestPendingDay(): Promise<number | null> {
    const oldest = await this.metrics.oldestPendingBucket();
    return oldest === null ? null : bucketOf(oldest, DAY);
  }
}
