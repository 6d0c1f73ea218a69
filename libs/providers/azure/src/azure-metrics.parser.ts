import type { MetricName, MetricSample, MetricWindow } from '@hybridforms/core';
import { nativeIdOf } from './azure-inventory.parser.js';

/** Azure's REST metric names of a VM (Microsoft.Compute/virtualMachines) and how each maps to ours. */
export const AZURE_VM_METRICS: ReadonlyArray<{ azure: string; name: MetricName; aggregation: 'average' | 'total' }> = [
  { azure: 'Percentage CPU', name: 'cpu_percent', aggregation: 'average' },
  { azure: 'Available Memory Bytes', name: 'memory_available_bytes', aggregation: 'average' },
  { azure: 'Disk Read Bytes', name: 'disk_read_bytes', aggregation: 'total' },
  { azure: 'Disk Write Bytes', name: 'disk_write_bytes', aggregation: 'total' },
  { azure: 'Network In Total', name: 'network_in_bytes', aggregation: 'total' },
  { azure: 'Network Out Total', name: 'network_out_bytes', aggregation: 'total' },
];

/** One data point as the SDK gives it: an aggregation key is absent when the service has no value. */
export interface AzureMetricPoint {
  timeStamp: Date | string;
  average?: number;
  minimum?: number;
  maximum?: number;
  total?: number;
  count?: number;
}

/** A metric of one resource, as monitor-query-metrics' `Metric` (name is the localized or plain name). */
export interface AzureMetricResult {
  id?: string;
  name: string;
  errorCode?: string;
  timeseries: Array<{ data?: AzureMetricPoint[] }>;
}

/** A resource's result of metrics:getBatch (monitor-query-metrics' `MetricsQueryResult`). */
export interface AzureMetricsResourceResult {
  resourceId?: string;
  metrics: AzureMetricResult[];
}

/**
 * Turns metrics:getBatch results into our samples: names mapped by the REST name (or the metric id's
 * last segment), the metric's own aggregation taken, points without it left out (never 0), points
 * outside the window dropped.
 */
export function parseAzureMetrics(results: readonly AzureMetricsResourceResult[], window: MetricWindow): MetricSample[] {
  const samples: MetricSample[] = [];
  const from = window.from.getTime();
  const to = window.to.getTime();
  for (const result of results) {
    if (!result.resourceId) continue;
    const vmNativeId = nativeIdOf(result.resourceId);
    for (const metric of result.metrics ?? []) {
      const mapping = mappingOf(metric);
      if (!mapping || (metric.errorCode && metric.errorCode.toLowerCase() !== 'success')) continue;
      // Without a dimension filter a VM metric has one series.
      for (const point of metric.timeseries?.[0]?.data ?? []) {
        const value = point[mapping.aggregation];
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        const timestamp = point.timeStamp instanceof Date ? point.timeStamp : new Date(point.timeStamp);
        const at = timestamp.getTime();
        if (Number.isNaN(at) || at < from || at >= to) continue;
        samples.push({ vmNativeId, name: mapping.name, timestamp, value });
      }
    }
  }
  return samples;
}

function mappingOf(metric: AzureMetricResult): (typeof AZURE_VM_METRICS)[number] | undefined {
  const byName = (name: string | undefined) => AZURE_VM_METRICS.find((m) => m.azure.toLowerCase() === (name ?? '').trim().toLowerCase());
  return byName(metric.name) ?? byName(metric.id?.split('/').pop());
}
