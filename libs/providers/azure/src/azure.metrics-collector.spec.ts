import { RestError } from '@azure/core-rest-pipeline';
import { ProviderError, ProviderErrorCode, type ProviderLogger } from '@hybridforms/core';
import type { AzureClientSource } from './azure-client.factory.js';
import { AzureMetricsCollector } from './azure.metrics-collector.js';

const logger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };
const SECRET = 'fake~secret~0123456789';
const window = { from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T10:01:00Z') };

function targets(count: number, location = 'eastus') {
  return Array.from({ length: count }, (_, n) => ({
    vmNativeId: `/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm${n}`,
    location,
  }));
}

/** A metrics client per region that answers every VM with one CPU point, slowly, counting calls in flight. */
function source(state: { inFlight: number; peak: number; calls: string[][]; fail?: unknown }): AzureClientSource {
  return {
    getToken: () => Promise.reject(new Error('unused')),
    forSubscription: () => {
      throw new Error('unused');
    },
    metricsFor: () => ({
      queryResources: async (ids: string[]) => {
        state.calls.push(ids);
        state.inFlight++;
        state.peak = Math.max(state.peak, state.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        state.inFlight--;
        if (state.fail) throw state.fail;
        return ids.map((resourceId) => ({
          resourceId,
          metrics: [{ name: 'Percentage CPU', timeseries: [{ data: [{ timeStamp: window.from, average: 7 }] }] }],
        }));
      },
    }) as never,
  };
}

describe('AzureMetricsCollector', () => {
  it('keeps at most `concurrency` calls in flight and returns every sample', async () => {
    const state = { inFlight: 0, peak: 0, calls: [] as string[][] };
    const samples = await new AzureMetricsCollector(source(state), { concurrency: 2, secrets: [SECRET], logger }).collect(targets(420), window);
    expect(state.calls.map((c) => c.length)).toEqual([50, 50, 50, 50, 50, 50, 50, 50, 20]);
    expect(state.peak).toBe(2);
    expect(samples).toHaveLength(420);
  });

  it('throws the mapped error of a failed call, without the secret', async () => {
    const state = { inFlight: 0, peak: 0, calls: [] as string[][], fail: new RestError(`throttled ${SECRET}`, { statusCode: 429, code: 'TooManyRequests' }) };
    const error = await new AzureMetricsCollector(source(state), { concurrency: 4, secrets: [SECRET], logger }).collect(targets(3), window).catch((e: unknown) => e);
    expect(ProviderError.is(error) && error.code).toBe(ProviderErrorCode.Throttled);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('makes no call for no targets or an empty window', async () => {
    const state = { inFlight: 0, peak: 0, calls: [] as string[][] };
    const collector = new AzureMetricsCollector(source(state), { concurrency: 4, secrets: [], logger });
    expect(await collector.collect([], window)).toEqual([]);
    expect(await collector.collect(targets(2), { from: window.to, to: window.to })).toEqual([]);
    expect(state.calls).toEqual([]);
  });
});
