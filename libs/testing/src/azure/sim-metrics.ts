/**
 * Simulated Azure Monitor platform metrics of VMs (reference/azure.md §3.1): deterministic values
 * per (VM, metric, minute), present only for minutes when the VM was running.
 */

export type SimAggregation = 'average' | 'minimum' | 'maximum' | 'total' | 'count';

export interface SimMetricDefinition {
  unit: 'Percent' | 'Bytes';
  /** The primary aggregation (learn.microsoft.com supported-metrics for Microsoft.Compute/virtualMachines). */
  primary: 'average' | 'total';
  description: string;
}

export const SIM_VM_METRICS: Readonly<Record<string, SimMetricDefinition>> = {
  'Percentage CPU': {
    unit: 'Percent',
    primary: 'average',
    description: 'The percentage of allocated compute units that are currently in use by the Virtual Machine(s)',
  },
  'Available Memory Bytes': {
    unit: 'Bytes',
    primary: 'average',
    description: 'Amount of physical memory, in bytes, immediately available for allocation to a process or for system use in the Virtual Machine',
  },
  'Disk Read Bytes': { unit: 'Bytes', primary: 'total', description: 'Bytes read from disk during monitoring period' },
  'Disk Write Bytes': { unit: 'Bytes', primary: 'total', description: 'Bytes written to disk during monitoring period' },
  'Network In Total': { unit: 'Bytes', primary: 'total', description: 'The number of bytes received on all network interfaces by the Virtual Machine(s) (Incoming Traffic)' },
  'Network Out Total': { unit: 'Bytes', primary: 'total', description: 'The number of bytes out on all network interfaces by the Virtual Machine(s) (Outgoing Traffic)' },
};

const MINUTE_MS = 60_000;

/** Finds the canonical name of a metric (the service matches names case-insensitively). */
export function simMetricName(name: string): string | undefined {
  return Object.keys(SIM_VM_METRICS).find((known) => known.toLowerCase() === name.trim().toLowerCase());
}

/**
 * The value of `metric` for the VM `vmId` (any casing) in the minute starting at `minuteStartMs`
 * (floored to the minute), assuming the VM was running then. Pure: tests compute the expected
 * value with it independently of the simulator.
 */
export function simMetricValue(vmId: string, metric: string, minuteStartMs: number): number {
  const canonical = simMetricName(metric);
  if (!canonical) throw new Error(`Unknown metric ${metric}`);
  const minute = Math.floor(minuteStartMs / MINUTE_MS);
  const u = unitHash(`${vmId.toLowerCase()}|${canonical}|${minute}`);
  switch (canonical) {
    case 'Percentage CPU':
      return Math.round((1 + u * 94) * 1000) / 1000;
    case 'Available Memory Bytes':
      return 268_435_456 + Math.floor(u * 7_516_192_768);
    case 'Disk Read Bytes':
      return Math.floor(u * 52_428_800);
    case 'Disk Write Bytes':
      return Math.floor(u * 31_457_280);
    case 'Network In Total':
      return Math.floor(u * 12_582_912);
    default:
      return Math.floor(u * 8_388_608);
  }
}

/** FNV-1a over the key, then a mix, mapped to [0, 1). */
function unitHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/** When each VM ran: a list of (from, running) changes; before the first, the initial state. */
export class PowerTimeline {
  private readonly changes = new Map<string, { initial: boolean; steps: { atMs: number; running: boolean }[] }>();

  /** A VM seen for the first time: running (or not) since forever, or from `sinceMs` on. */
  begin(vmId: string, running: boolean, sinceMs?: number): void {
    const key = vmId.toLowerCase();
    if (sinceMs === undefined) this.changes.set(key, { initial: running, steps: [] });
    else this.changes.set(key, { initial: false, steps: [{ atMs: sinceMs, running }] });
  }

  change(vmId: string, running: boolean, atMs: number): void {
    const key = vmId.toLowerCase();
    const entry = this.changes.get(key) ?? { initial: false, steps: [] };
    entry.steps.push({ atMs, running });
    entry.steps.sort((a, b) => a.atMs - b.atMs);
    this.changes.set(key, entry);
  }

  /** Whether the VM was running at the start of the minute `minuteStartMs`. */
  runningAt(vmId: string, minuteStartMs: number): boolean {
    const entry = this.changes.get(vmId.toLowerCase());
    if (!entry) return false;
    let running = entry.initial;
    for (const step of entry.steps) {
      if (step.atMs > minuteStartMs) break;
      running = step.running;
    }
    return running;
  }

  knows(vmId: string): boolean {
    return this.changes.has(vmId.toLowerCase());
  }
}

/** ISO 8601 durations the simulator serves, in minutes. */
const GRAINS: Record<string, number> = { PT1M: 1, PT5M: 5, PT15M: 15, PT30M: 30, PT1H: 60, PT6H: 360, PT12H: 720, P1D: 1440 };

export function grainMinutes(interval: string | undefined): number | undefined {
  return GRAINS[(interval ?? 'PT1M').toUpperCase()];
}

export interface SimMetricQuery {
  metrics: string[];
  fromMs: number;
  toMs: number;
  grainMinutes: number;
  interval: string;
  aggregations: SimAggregation[] | null;
}

/** A metric value object of the wire shape (`id`, `name`, `unit`, `timeseries[].data[]`). */
export function metricToWire(
  resourceId: string,
  metric: string,
  query: SimMetricQuery,
  nowMs: number,
  valueAt: (minuteStartMs: number) => number | null,
): Record<string, unknown> {
  const definition = SIM_VM_METRICS[metric];
  const aggregations = query.aggregations ?? [definition.primary];
  const grainMs = query.grainMinutes * MINUTE_MS;
  const data: Record<string, unknown>[] = [];
  for (let start = Math.floor(query.fromMs / grainMs) * grainMs; start < query.toMs; start += grainMs) {
    const values: number[] = [];
    for (let m = start; m < start + grainMs; m += MINUTE_MS) {
      // Only complete minutes have data.
      if (m + MINUTE_MS > nowMs || m < query.fromMs - (query.fromMs % MINUTE_MS) || m >= query.toMs) continue;
      const v = valueAt(m);
      if (v !== null) values.push(v);
    }
    const point: Record<string, unknown> = { timeStamp: new Date(start).toISOString().replace('.000Z', 'Z') };
    if (values.length > 0) {
      const sum = values.reduce((a, b) => a + b, 0);
      for (const aggregation of aggregations) {
        if (aggregation === 'average') point.average = sum / values.length;
        else if (aggregation === 'minimum') point.minimum = Math.min(...values);
        else if (aggregation === 'maximum') point.maximum = Math.max(...values);
        else if (aggregation === 'total') point.total = sum;
        else point.count = values.length;
      }
    } else if (aggregations.includes('count')) {
      // No data: every aggregation key is omitted; only a requested count says 0 (spec GetMetric.json).
      point.count = 0;
    }
    data.push(point);
  }
  return {
    id: `${resourceId}/providers/Microsoft.Insights/metrics/${metric}`,
    type: 'Microsoft.Insights/metrics',
    name: { value: metric, localizedValue: metric },
    displayDescription: definition.description,
    unit: definition.unit,
    timeseries: [{ metadatavalues: [], data }],
    errorCode: 'Success',
  };
}

/** Parses `aggregation=Average,Total` (case-insensitive); null when absent. Returns a message for an unknown one. */
export function parseAggregations(value: string | undefined): SimAggregation[] | null | string {
  if (value === undefined || value.trim() === '') return null;
  const known: SimAggregation[] = ['average', 'minimum', 'maximum', 'total', 'count'];
  const result: SimAggregation[] = [];
  for (const part of value.split(',')) {
    const a = part.trim().toLowerCase() as SimAggregation;
    if (!known.includes(a)) return `Invalid aggregation '${part.trim()}'. Valid values are Average, Minimum, Maximum, Total, Count.`;
    if (!result.includes(a)) result.push(a);
  }
  return result;
}
