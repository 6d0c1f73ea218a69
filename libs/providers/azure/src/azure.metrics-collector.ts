import { ProviderError, ProviderErrorCode, type MetricSample, type MetricTarget, type MetricWindow, type ProviderLogger } from '@hybridforms/core';
import type { MetricsQueryResourcesOptions } from '@azure/monitor-query-metrics';
import type { AzureClientSource } from './azure-client.factory.js';
import { toProviderError } from './azure-error.mapper.js';
import { normalizeLocation } from './azure-inventory.parser.js';
import { AZURE_VM_METRICS, parseAzureMetrics, type AzureMetricsResourceResult } from './azure-metrics.parser.js';

/** The data plane's limit of resource ids per metrics:getBatch call. */
export const METRICS_BATCH_SIZE = 50;
const VM_NAMESPACE = 'Microsoft.Compute/virtualMachines';
const VM_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/[^/]+\/providers\/microsoft\.compute\/virtualmachines\/[^/]+$/i;

export interface AzureMetricsCollectorOptions {
  concurrency: number;
  secrets: readonly unknown[];
  logger: ProviderLogger;
  signal?: AbortSignal;
}

/** One metrics:getBatch call: up to 50 VMs of one subscription in one region. */
export interface AzureMetricsBatch {
  subscriptionId: string;
  location: string;
  resourceIds: string[];
}

/**
 * Groups targets into metrics:getBatch calls: the data plane is regional and a batch names one
 * subscription, so by (subscription, location), at most {@link METRICS_BATCH_SIZE} ids each.
 * Targets without a location or without a VM id cannot be asked for; they are returned apart.
 */
export function planMetricsBatches(targets: readonly MetricTarget[]): { batches: AzureMetricsBatch[]; skipped: MetricTarget[] } {
  const groups = new Map<string, AzureMetricsBatch>();
  const skipped: MetricTarget[] = [];
  const seen = new Set<string>();
  for (const target of targets) {
    const match = VM_ID.exec(target.vmNativeId);
    if (!match || !target.location) {
      skipped.push(target);
      continue;
    }
    const id = target.vmNativeId.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id);
    const subscriptionId = match[1].toLowerCase();
    const location = normalizeLocation(target.location);
    const key = `${subscriptionId}|${location}`;
    const group = groups.get(key) ?? { subscriptionId, location, resourceIds: [] };
    group.resourceIds.push(target.vmNativeId);
    groups.set(key, group);
  }
  const batches: AzureMetricsBatch[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.resourceIds.length; i += METRICS_BATCH_SIZE) {
      batches.push({ ...group, resourceIds: group.resourceIds.slice(i, i + METRICS_BATCH_SIZE) });
    }
  }
  return { batches, skipped };
}

/** Captures VM metrics with metrics:getBatch, a bounded number of calls in flight. */
export class AzureMetricsCollector {
  constructor(
    private readonly clients: AzureClientSource,
    private readonly options: AzureMetricsCollectorOptions,
  ) {}

  async collect(targets: readonly MetricTarget[], window: MetricWindow): Promise<MetricSample[]> {
    if (targets.length === 0 || window.to.getTime() <= window.from.getTime()) return [];
    const { batches, skipped } = planMetricsBatches(targets);
    if (skipped.length > 0) {
      this.options.logger.warn(`azure: ${skipped.length} metric target(s) without a VM resource id or a location were skipped`);
    }
    const samples: MetricSample[] = [];
    const queue = [...batches];
    const worker = async () => {
      for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) samples.push(...(await this.query(batch, window)));
    };
    const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(this.options.concurrency, queue.length)) }, worker));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return samples;
  }

  private async query(batch: AzureMetricsBatch, window: MetricWindow): Promise<MetricSample[]> {
    const client = this.clients.metricsFor?.(batch.location);
    if (!client) throw new ProviderError(ProviderErrorCode.Unknown, 'this Azure client source cannot query metrics', false);
    // The public options type has no abortSignal, but the client hands its options to the
    // request (operationOptionsToRequestParameters reads abortSignal; read in the 1.0.0 source).
    const options: MetricsQueryResourcesOptions & { abortSignal?: AbortSignal } = {
      startTime: window.from,
      endTime: window.to,
      interval: 'PT1M',
      aggregation: 'average,total',
      abortSignal: this.options.signal,
    };
    let results: AzureMetricsResourceResult[];
    try {
      results = await client.queryResources(
        batch.resourceIds,
        AZURE_VM_METRICS.map((m) => m.azure),
        VM_NAMESPACE,
        options,
      );
    } catch (error) {
      throw toProviderError(error, {
        operation: `querying the metrics of ${batch.resourceIds.length} VM(s) in ${batch.location}`,
        subscriptionId: batch.subscriptionId,
        secrets: this.options.secrets,
      });
    }
    if (!Array.isArray(results)) {
      throw new ProviderError(ProviderErrorCode.MalformedResponse, `querying metrics in ${batch.location} failed: the response had no values`, false);
    }
    return parseAzureMetrics(results, window);
  }
}
