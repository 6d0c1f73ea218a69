import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, BadInputError, METRIC_NAMES, METRIC_UNITS, type AppConfig, type MetricName } from '@hybridforms/core';
import { bucketOf, DAY, HOUR, MetricRepository, type MetricInterval, type MetricPoint, type VmFilter } from '@hybridforms/persistence';

export interface MetricSeries {
  name: MetricName;
  unit: string;
  points: MetricPoint[];
}

export interface MetricRange {
  from: Date;
  to: Date;
  interval: MetricInterval;
}

export interface FleetMetric {
  name: MetricName;
  unit: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  /** Raw samples behind the figures. */
  samples: number;
  /** VMs that reported the metric in the window. */
  vms: number;
}

// A series request may not ask for more points than this; the client narrows the range or
// takes a coarser interval.
const MAX_POINTS = 50_000;
const BUCKET_SECONDS: Record<MetricInterval, number> = { raw: 60, hour: HOUR, day: DAY };

/** Reads metric series and fleet summaries, each from the table that covers the range. */
@Injectable()
export class MetricQueryService {
  constructor(
    private readonly metrics: MetricRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The finest table that still holds data as old as `from`: raw, then hourly, then daily. */
  intervalFor(from: Date, now = new Date()): MetricInterval {
    const age = (now.getTime() - from.getTime()) / 1000;
    if (age <= this.config.metrics.realtimeRetentionHours * HOUR) return 'raw';
    if (age <= this.config.metrics.hourlyRetentionDays * DAY) return 'hour';
    return 'day';
  }

  async series(vmId: string, names: readonly MetricName[], range: MetricRange): Promise<MetricSeries[]> {
    const { from, to } = secondsOf(range);
    const expected = Math.ceil((to - from) / BUCKET_SECONDS[range.interval]) * names.length;
    if (expected > MAX_POINTS) {
      throw new BadInputError(`the range asks for about ${expected} points (at most ${MAX_POINTS}): narrow from/to or use a coarser interval`);
    }
    const byName = await this.metrics.series(vmId, names, range.interval, from, to);
    return names.map((name) => ({ name, unit: METRIC_UNITS[name], points: byName.get(name) ?? [] }));
  }

  /** Per metric, the average (and extremes) over every VM matching the filter in the window. */
  async summary(filter: VmFilter, range: MetricRange, names: readonly MetricName[] = METRIC_NAMES): Promise<{ vmCount: number; metrics: FleetMetric[] }> {
    const { from, to } = secondsOf(range);
    const { vmCount, byName } = await this.metrics.summary(filter, names, range.interval, from, to);
    return {
      vmCount,
      metrics: names.map((name) => {
        const row = byName.get(name);
        return {
          name,
          unit: METRIC_UNITS[name],
          avg: row?.avg ?? null,
          min: row?.min ?? null,
          max: row?.max ?? null,
          samples: row?.samples ?? 0,
          vms: row?.vms ?? 0,
        };
      }),
    };
  }
}

/** The range in epoch seconds; a rollup bucket that overlaps `from` is included whole. */
function secondsOf(range: MetricRange): { from: number; to: number } {
  const from = Math.floor(range.from.getTime() / 1000);
  return {
    from: range.interval === 'raw' ? from : bucketOf(from, BUCKET_SECONDS[range.interval]),
    to: Math.ceil(range.to.getTime() / 1000),
  };
}
