import { setMaxListeners } from 'node:events';
import { Logger } from '@nestjs/common';
import {
  ProviderError,
  ProviderErrorCode,
  redactingLogger,
  redactSecrets,
  type ProviderContext,
  type ProviderPlugin,
} from '@hybridforms/core';
import type { ProviderEntity } from '@hybridforms/persistence';
import type { ProvidersService } from './providers.service.js';

/** Why a provider task did not do its work. */
export type ProviderTaskSkipped = { status: 'unsupported' } | { status: 'busy' } | { status: 'failed'; code: string; message: string };

export interface ProviderTask {
  provider: ProviderEntity;
  plugin: ProviderPlugin;
  ctx: ProviderContext;
  /** Bounds one plugin call: a call that hangs (a dead connection) is aborted and fails the task. */
  bounded<T>(call: Promise<T>): Promise<T>;
}

// A plugin call that hangs must not hold the provider's next tasks forever.
const CALL_TIMEOUT_MS = 5 * 60_000;

/**
 * Runs one kind of recurring work (an event poll, a metric capture) per provider: at most one at a
 * time per provider in this process, with the provider's decrypted credentials, a redacting
 * logger, an abort signal, and a failure turned into a recorded, redacted outcome.
 */
export class ProviderTasks {
  private readonly running = new Set<string>();

  constructor(
    private readonly providers: ProvidersService,
    private readonly kind: string,
    private readonly logger: Logger,
  ) {}

  async run<T>(
    providerId: string,
    supported: (plugin: ProviderPlugin) => boolean,
    work: (task: ProviderTask) => Promise<T>,
    recordFailure: (message: string) => Promise<void>,
  ): Promise<T | ProviderTaskSkipped> {
    if (this.running.has(providerId)) return { status: 'busy' };
    this.running.add(providerId);
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(providerId);
      if (!supported(plugin)) return { status: 'unsupported' };
      secrets = [credentials];
      const abort = new AbortController();
      // One signal is shared by every concurrent call of the plugin (SDK requests add a listener each).
      setMaxListeners(256, abort.signal);
      const ctx: ProviderContext = {
        providerId,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`${this.kind}:${provider.name}`), [credentials]),
        signal: abort.signal,
      };
      return await work({ provider, plugin, ctx, bounded: (call) => withTimeout(call, CALL_TIMEOUT_MS, abort) });
    } catch (error) {
      const code = ProviderError.is(error) ? error.code : 'internal';
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      this.logger.warn(`${this.kind} of provider ${providerId} failed (${code}): ${message}`);
      await recordFailure(`${code}: ${message}`).catch(() => undefined);
      return { status: 'failed', code, message };
    } finally {
      this.running.delete(providerId);
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, abort: AbortController): Promise<T> {
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
