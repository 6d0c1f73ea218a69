import { ProviderError, ProviderErrorCode, type ProviderLogger } from '@hybridforms/core';
import { RestError } from '@azure/core-rest-pipeline';
import type { AzureActivityLogEvent } from './azure-activity-log.parser.js';
import type { AzureClientSource } from './azure-client.factory.js';
import { AzureEventCatcher, parseEventCheckpoint } from './azure.event-catcher.js';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-25T12:00:00.000Z');
const logger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

function record(sub: string, n: number, at: string): AzureActivityLogEvent {
  return {
    eventDataId: `${sub.slice(0, 8)}-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventTimestamp: at,
    operationName: { value: 'Microsoft.Compute/virtualMachines/start/action', localizedValue: 'Start Virtual Machine' },
    status: { value: 'Succeeded' },
    resourceId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm${n}`,
  };
}

/** An Activity Log client per subscription that records its filters and serves the records as one page. */
class FakeSource {
  readonly filters: Record<string, string[]> = {};
  failing = new Set<string>();
  constructor(private readonly records: Record<string, AzureActivityLogEvent[]>) {}

  asSource(): AzureClientSource {
    return {
      getToken: () => Promise.reject(new Error('unused')),
      forSubscription: () => {
        throw new Error('unused');
      },
      activityLogFor: (sub: string) => ({ activityLogs: { list: (filter: string, options?: { onResponse?: (r: unknown) => void }) => this.list(sub, filter, options) } }) as never,
    };
  }

  private list(sub: string, filter: string, options?: { onResponse?: (r: unknown) => void }) {
    (this.filters[sub] ??= []).push(filter);
    const failing = this.failing.has(sub);
    const records = this.records[sub] ?? [];
    return (async function* () {
      await Promise.resolve();
      if (failing) throw new RestError('Service Unavailable', { statusCode: 503, code: 'ServiceUnavailable' });
      options?.onResponse?.({ status: 200, bodyAsText: JSON.stringify({ value: records }) });
      yield* records;
    })();
  }
}

function catcher(source: FakeSource, subs = [SUB_A, SUB_B], overrides = {}) {
  return new AzureEventCatcher(source.asSource(), {
    subscriptionIds: subs,
    subscriptionConcurrency: 2,
    overlapMinutes: 10,
    initialLookbackMinutes: 60,
    secrets: ['s'],
    logger,
    now: () => NOW,
    ...overrides,
  });
}

describe('AzureEventCatcher', () => {
  it('asks each subscription for the Compute records of its window, and marks the window end', async () => {
    const source = new FakeSource({ [SUB_A]: [record(SUB_A, 2, '2026-11-25T11:50:00.1234567Z'), record(SUB_A, 1, '2026-11-25T11:10:00Z')], [SUB_B]: [] });
    const batch = await catcher(source).collect(null);
    expect(source.filters[SUB_A]).toEqual([
      "eventTimestamp ge '2026-11-25T11:00:00.000Z' and eventTimestamp le '2026-11-25T12:00:00.000Z' and resourceProvider eq 'Microsoft.Compute'",
    ]);
    expect(batch.events.map((e) => e.vmName)).toEqual(['vm1', 'vm2']);
    expect(JSON.parse(batch.checkpoint!)).toEqual({ v: 1, subscriptions: { [SUB_A]: NOW.toISOString(), [SUB_B]: NOW.toISOString() } });
  });

  it('re-reads the overlap before the mark, starts a new subscription at the lookback and drops a removed one', async () => {
    const source = new FakeSource({});
    const since = JSON.stringify({ v: 1, subscriptions: { [SUB_A]: '2026-11-25T11:55:00.000Z', '33333333-3333-4333-8333-333333333333': '2026-11-25T11:55:00.000Z' } });
    const batch = await catcher(source).collect(since);
    expect(source.filters[SUB_A][0]).toContain("eventTimestamp ge '2026-11-25T11:45:00.000Z'");
    expect(source.filters[SUB_B][0]).toContain("eventTimestamp ge '2026-11-25T11:00:00.000Z'");
    expect(Object.keys(parseEventCheckpoint(batch.checkpoint)!.subscriptions).sort()).toEqual([SUB_A, SUB_B]);
  });

  it('never moves a mark backwards when the clock steps back', async () => {
    const future = '2026-11-25T13:00:00.000Z';
    const batch = await catcher(new FakeSource({}), [SUB_A]).collect(JSON.stringify({ v: 1, subscriptions: { [SUB_A]: future } }));
    expect(parseEventCheckpoint(batch.checkpoint)!.subscriptions[SUB_A]).toBe(future);
  });

  it('throws the mapped error when one subscription fails, even though the other one was read', async () => {
    const source = new FakeSource({ [SUB_A]: [record(SUB_A, 1, '2026-11-25T11:50:00Z')] });
    source.failing.add(SUB_B);
    const error = await catcher(source).collect(null).catch((e: unknown) => e);
    expect(ProviderError.is(error) && error.code).toBe(ProviderErrorCode.Temporary);
    expect((error as Error).message).toContain(SUB_B);
  });

  it('drops duplicate records and rejects a foreign checkpoint', async () => {
    const twice = record(SUB_A, 1, '2026-11-25T11:50:00Z');
    const batch = await catcher(new FakeSource({ [SUB_A]: [twice, twice] }), [SUB_A]).collect(null);
    expect(batch.events).toHaveLength(1);
    expect(() => parseEventCheckpoint('{"v":2}')).toThrow(/checkpoint/);
    expect(() => parseEventCheckpoint('{"v":1,"subscriptions":{"a":"never"}}')).toThrow(/checkpoint/);
    expect(parseEventCheckpoint(null)).toBeNull();
  });
});
