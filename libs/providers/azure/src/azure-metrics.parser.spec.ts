import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAzureMetrics, type AzureMetricsResourceResult } from './azure-metrics.parser.js';
import { planMetricsBatches } from './azure.metrics-collector.js';

// A metrics:getBatch body (shape of MetricBatchExample.json, 2024-02-01), turned into what
// monitor-query-metrics 1.0.0 returns (its deserializer: resourceid → resourceId, value → metrics,
// name → localizedValue || value, timeStamp → Date).
interface WirePoint {
  timeStamp: string;
  [aggregation: string]: unknown;
}
interface WireMetric {
  id: string;
  name: { value: string; localizedValue: string };
  errorCode?: string;
  timeseries: Array<{ data: WirePoint[] }>;
}
const wire = JSON.parse(readFileSync(join(process.cwd(), 'libs/providers/azure/src/__fixtures__/metrics-batch-response.json'), 'utf8')) as {
  values: Array<{ resourceid: string; value: WireMetric[] }>;
};
const results: AzureMetricsResourceResult[] = wire.values.map((v) => ({
  resourceId: v.resourceid,
  metrics: v.value.map((m) => ({
    id: m.id,
    name: m.name.localizedValue || m.name.value,
    errorCode: m.errorCode,
    timeseries: m.timeseries.map((t) => ({ data: t.data.map((p) => ({ ...p, timeStamp: new Date(p.timeStamp) })) })),
  })),
}));
const window = { from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T10:03:00Z') };
const VM1 = '/subscriptions/1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b/resourcegroups/rg-rhel-prod/providers/microsoft.compute/virtualmachines/rhel9-web-01';
const VM2 = VM1.replace('web-01', 'web-02');

describe('parseAzureMetrics', () => {
  const samples = parseAzureMetrics(results, window);

  it('maps names and takes each metric its own aggregation; a point without it is left out, a real 0 kept', () => {
    expect(samples.map((s) => [s.vmNativeId, s.name, s.timestamp.toISOString(), s.value])).toEqual([
      [VM1, 'cpu_percent', '2026-11-25T10:00:00.000Z', 12.5],
      [VM1, 'cpu_percent', '2026-11-25T10:02:00.000Z', 0],
      [VM1, 'disk_read_bytes', '2026-11-25T10:00:00.000Z', 2048],
      [VM1, 'memory_available_bytes', '2026-11-25T10:00:00.000Z', 4294967296],
      [VM2, 'network_out_bytes', '2026-11-25T10:00:00.000Z', 777],
    ]);
  });

  it('finds the metric by its id when the name is localized', () => {
    const localized = results.map((r) => ({ ...r, metrics: r.metrics.map((m) => ({ ...m, name: 'Pourcentage UC' })) }));
    expect(parseAzureMetrics(localized, window)).toHaveLength(samples.length);
  });
});

describe('planMetricsBatches', () => {
  const id = (sub: string, n: number) => `/subscriptions/${sub}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm${n}`;

  it('groups by subscription and region, 50 ids at most per call, and sets aside what cannot be asked for', () => {
    const targets = [
      ...Array.from({ length: 120 }, (_, n) => ({ vmNativeId: id('s1', n), location: n % 2 ? 'eastus' : 'West Europe' })),
      ...Array.from({ length: 10 }, (_, n) => ({ vmNativeId: id('s2', n), location: 'eastus' })),
      { vmNativeId: id('s1', 0), location: 'West Europe' },
      { vmNativeId: id('s1', 999), location: null },
      { vmNativeId: 'not-an-arm-id', location: 'eastus' },
    ];
    const { batches, skipped } = planMetricsBatches(targets);
    expect(batches.map((b) => [b.subscriptionId, b.location, b.resourceIds.length])).toEqual([
      ['s1', 'westeurope', 50],
      ['s1', 'westeurope', 10],
      ['s1', 'eastus', 50],
      ['s1', 'eastus', 10],
      ['s2', 'eastus', 10],
    ]);
    expect(skipped).toHaveLength(2);
  });
});
