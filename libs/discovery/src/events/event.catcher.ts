import { setMaxListeners } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import { ProviderError, ProviderErrorCode, redactingLogger, redactSecrets, type ProviderContext } from '@hybridforms/core';
import { EventStore, type StoredEvents } from '@hybridforms/telemetry';
import { ProvidersService } from '../providers/providers.service.js';
import { TargetedRefreshQueue } from './targeted-refresh.queue.js';

export type EventPollOutcome =
  | { status: 'stored'; stored: number; duplicates: number; refreshTargets: number }
  | { status: 'unsupported' }
  | { status: 'busy' }
  | { status: 'failed'; code: string; message: string };

// A poll that hangs (a dead connection) must not hold the provider's next polls forever.
const POLL_TIMEOUT_MS = 5 * 60_000;

/**
 * Catches a provider's events: asks its plugin for what happened since the stored checkpoint,
 * stores the events and the new checkpoint together, and hands the VMs they name to the
 * targeted-refresh queue. A failure is recorded and leaves the checkpoint where it was.
 */
@Injectable()
export class EventCatcher {
  private readonly logger = new Logger(EventCatcher.name);
  private readonly polling = new Set<string>();

  constructor(
    private readonly providers: ProvidersService,
    private readonly store: EventStore,
    private readonly targeted: TargetedRefreshQueue,
  ) {}

  async poll(providerId: string): Promise<EventPollOutcome> {
    if (this.polling.has(providerId)) return { status: 'busy' };
    this.polling.add(providerId);
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(providerId);
      if (!plugin.collectEvents) return { status: 'unsupported' };
      secrets = [credentials];
      const abort = new AbortController();
      // One signal is shared by every concurrent call of the plugin (SDK requests add a listener each).
      setMaxListeners(256, abort.signal);
      const ctx: ProviderContext = {
        providerId,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`events:${provider.name}`), [credentials]),
        signal: abort.signal,
      };
      const since = await this.store.checkpointOf(providerId);
      const batch = await withTimeout(plugin.collectEvents(ctx, since), POLL_TIMEOUT_MS, abort);
      const result: StoredEvents = await this.store.store(providerId, batch);
      if (result.refreshTargets.length > 0) this.targeted.schedule(providerId);
      if (result.stored.length > 0) this.logger.log(`${result.stored.length} new event(s) from ${provider.name}, ${result.refreshTargets.length} vm(s) to refresh`);
      return { status: 'stored', stored: result.stored.length, duplicates: result.duplicates, refreshTargets: result.refreshTargets.length };
    } catch (error) {
      const code = ProviderError.is(error) ? error.code : 'internal';
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      this.logger.warn(`event poll of provider ${providerId} failed (${code}): ${message}`);
      await this.store.recordFailure(providerId, `${code}: ${message}`).catch(() => undefined);
      return { status: 'failed', code, message };
    } finally {
      this.polling.delete(providerId);
    }
  }
}

export function withTimeout<T>(work: Promise<T>, ms: number, abort: AbortController): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new ProviderError(ProviderErrorCode.Timeout, `no answer within ${Math.round(ms / 1000)} s`, true);
      abort.abort(error);
      reject(error);
    }, ms);
    timer.unref();
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
