import type { FullOperationResponse } from '@azure/core-client';
import { ProviderError, ProviderErrorCode, type EventBatch, type ProviderLogger } from '@hybridforms/core';
import { parseActivityLogEvents, type AzureActivityLogEvent } from './azure-activity-log.parser.js';
import type { AzureClientSource } from './azure-client.factory.js';
import { toProviderError } from './azure-error.mapper.js';

export interface AzureEventCatcherOptions {
  subscriptionIds: string[];
  subscriptionConcurrency: number;
  overlapMinutes: number;
  initialLookbackMinutes: number;
  secrets: readonly unknown[];
  logger: ProviderLogger;
  signal?: AbortSignal;
  now?: () => Date;
}

/**
 * The checkpoint of the Azure event catcher (serialized as JSON; opaque to the host): per
 * subscription (lower-cased id), the end of the last window read, as an ISO timestamp.
 */
export interface AzureEventCheckpoint {
  v: 1;
  subscriptions: Record<string, string>;
}

const MINUTE_MS = 60_000;

/** Reads a checkpoint; null for none, a ProviderError for one this plugin did not write. */
export function parseEventCheckpoint(since: string | null): AzureEventCheckpoint | null {
  if (since === null || since === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(since);
  } catch {
    parsed = null;
  }
  const subscriptions = (parsed as Partial<AzureEventCheckpoint> | null)?.subscriptions;
  if (
    (parsed as Partial<AzureEventCheckpoint> | null)?.v !== 1 ||
    typeof subscriptions !== 'object' ||
    subscriptions === null ||
    Object.values(subscriptions).some((mark) => typeof mark !== 'string' || Number.isNaN(Date.parse(mark)))
  ) {
    throw new ProviderError(ProviderErrorCode.InvalidConfig, 'the Azure event checkpoint is not one this plugin wrote', false);
  }
  return { v: 1, subscriptions: { ...subscriptions } };
}

/**
 * Catches the Activity Log events of the Compute provider for each subscription: the window runs
 * from the subscription's mark minus an overlap (the log is eventually consistent: late records
 * are re-read, and the host drops the ones it has) to now. A subscription's new mark is the end
 * of the window it read in full; one failing subscription fails the whole batch, so that no mark
 * moves past events that were not returned.
 */
export class AzureEventCatcher {
  private readonly now: () => Date;

  constructor(
    private readonly clients: AzureClientSource,
    private readonly options: AzureEventCatcherOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async collect(since: string | null): Promise<EventBatch> {
    const checkpoint = parseEventCheckpoint(since);
    const to = this.now();
    const results = new Map<string, AzureActivityLogEvent[]>();
    // Only the subscriptions configured now: a removed one's mark is dropped, an added one starts at the lookback.
    const marks: Record<string, string> = {};
    const queue = [...this.options.subscriptionIds];
    const worker = async () => {
      for (let subscriptionId = queue.shift(); subscriptionId !== undefined; subscriptionId = queue.shift()) {
        const key = subscriptionId.toLowerCase();
        const mark = checkpoint?.subscriptions[key];
        const from = mark
          ? new Date(Date.parse(mark) - this.options.overlapMinutes * MINUTE_MS)
          : new Date(to.getTime() - this.options.initialLookbackMinutes * MINUTE_MS);
        results.set(key, await this.read(subscriptionId, from, to));
        // Never backwards (a clock step back must not re-read everything, nor skip anything).
        marks[key] = mark && Date.parse(mark) > to.getTime() ? mark : to.toISOString();
      }
    };
    const workers = Array.from({ length: Math.max(1, Math.min(this.options.subscriptionConcurrency, queue.length)) }, worker);
    // allSettled: every read finishes before the first failure is thrown (no request left running).
    const settled = await Promise.allSettled(workers);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const seen = new Set<string>();
    const events = parseActivityLogEvents(this.options.subscriptionIds.flatMap((id) => results.get(id.toLowerCase()) ?? [])).filter((event) => {
      if (seen.has(event.nativeId)) return false;
      seen.add(event.nativeId);
      return true;
    });
    events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    const next: AzureEventCheckpoint = { v: 1, subscriptions: marks };
    return { events, checkpoint: JSON.stringify(next) };
  }

  /** Every Compute record of a subscription in [from, to], in the wire shape (all pages). */
  private async read(subscriptionId: string, from: Date, to: Date): Promise<AzureActivityLogEvent[]> {
    const client = this.clients.activityLogFor?.(subscriptionId);
    if (!client) throw new ProviderError(ProviderErrorCode.Unknown, 'this Azure client source cannot read the Activity Log', false);
    // resourceProvider is one of the filters the Activity Log combines with the time range (reference §3.2).
    const filter = `eventTimestamp ge '${from.toISOString()}' and eventTimestamp le '${to.toISOString()}' and resourceProvider eq 'Microsoft.Compute'`;
    const wire: AzureActivityLogEvent[] = [];
    let pagesWithoutBody = 0;
    // The SDK turns timestamps into Dates (losing the 7-digit fraction): keep the records as received.
    const onResponse = (raw: FullOperationResponse) => {
      if (raw.status !== 200) return;
      try {
        const body = JSON.parse(raw.bodyAsText ?? '') as { value?: unknown };
        if (Array.isArray(body.value)) wire.push(...(body.value as AzureActivityLogEvent[]));
        else pagesWithoutBody++;
      } catch {
        pagesWithoutBody++;
      }
    };
    const sdkEvents: unknown[] = [];
    try {
      for await (const event of client.activityLogs.list(filter, { onResponse, abortSignal: this.options.signal })) sdkEvents.push(event);
    } catch (error) {
      throw toProviderError(error, { operation: 'reading the Activity Log', subscriptionId, secrets: this.options.secrets });
    }
    if (pagesWithoutBody > 0 || wire.length !== sdkEvents.length) {
      throw new ProviderError(
        ProviderErrorCode.MalformedResponse,
        `reading the Activity Log in subscription ${subscriptionId} failed: a page could not be read as it was received`,
        false,
      );
    }
    this.options.logger.debug(`azure: ${wire.length} Activity Log record(s) in ${subscriptionId} from ${from.toISOString()}`);
    return wire;
  }
}
