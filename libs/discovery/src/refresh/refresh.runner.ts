import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  NotFoundError,
  ProviderError,
  ProviderErrorCode,
  redactSecrets,
  redactingLogger,
  type AppConfig,
  type InventoryScope,
  type ProviderContext,
} from '@hybridforms/core';
import { RefreshRepository, type RefreshEntity, type RefreshStatus } from '@hybridforms/persistence';
import { ProvidersService } from '../providers/providers.service.js';
import { RefreshInventoryPipeline } from './refresh-inventory.pipeline.js';
import { RefreshProgressReporter } from './refresh-progress.reporter.js';

/** Told about every refresh this process finishes (whatever its outcome). */
export type RefreshFinishedListener = (refresh: RefreshEntity) => void | Promise<void>;

const OWNER = `${hostname()}:${process.pid}`;

export interface RunOptions {
  /**
   * Also claim a refresh that is `running`: its process died and the job queue delivers the job
   * again. It is run again from the start under this process (owner, heartbeat). A refresh is
   * safe to re-run: chunks are idempotent upserts and only a completed run archives.
   */
  takeOver?: boolean;
  /**
   * Aborted when this process hands the refresh back (a worker shutting down past its grace): the
   * collection stops and the row stays `running`, for the process the job goes to next to take over.
   */
  signal?: AbortSignal;
}

/**
 * Executes one refresh as a job: claims its row, keeps its heartbeat, times it out, hands it back
 * at shutdown, and records its outcome; the inventory work is the pipeline's.
 */
@Injectable()
export class RefreshRunner {
  private readonly logger = new Logger(RefreshRunner.name);
  private readonly finishedListeners: RefreshFinishedListener[] = [];

  constructor(
    private readonly refreshes: RefreshRepository,
    private readonly providers: ProvidersService,
    private readonly pipeline: RefreshInventoryPipeline,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onFinished(listener: RefreshFinishedListener): void {
    this.finishedListeners.push(listener);
  }

  /**
   * Runs a queued refresh (or, with `takeOver`, one left running by a dead process) to its end;
   * never throws (the outcome is recorded on the row).
   */
  async run(refreshId: string, options: RunOptions = {}): Promise<RefreshEntity> {
    const claimable: RefreshStatus[] = options.takeOver ? ['queued', 'running'] : ['queued'];
    const claimed = await this.refreshes.claim(refreshId, claimable, OWNER);
    const refresh = await this.get(refreshId);
    if (!claimed) return refresh; // someone else took it, or it was already finished

    const heartbeat = setInterval(
      () => void this.refreshes.heartbeat(refreshId).catch(() => undefined),
      Math.min(30, this.config.refresh.staleAfterSeconds / 3) * 1000,
    );
    heartbeat.unref();
    const abort = new AbortController();
    // One signal is shared by every concurrent SDK call of the collection (each adds a listener).
    setMaxListeners(256, abort.signal);
    const timeout = setTimeout(
      () => abort.abort(new ProviderError(ProviderErrorCode.Timeout, `refresh timed out after ${this.config.refresh.timeoutSeconds}s`, true)),
      this.config.refresh.timeoutSeconds * 1000,
    );
    timeout.unref();
    const handBack = () => abort.abort(new Error('handed back: this process is shutting down'));
    if (options.signal?.aborted) handBack();
    options.signal?.addEventListener('abort', handBack, { once: true });
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(refresh.providerId);
      secrets = [credentials];
      const scope: InventoryScope = refresh.kind === 'full' ? { kind: 'full' } : { kind: 'targeted', nativeIds: refresh.targets ?? [] };
      const progress = new RefreshProgressReporter((counts) => this.refreshes.recordProgress(refreshId, counts));
      const ctx: ProviderContext = {
        providerId: provider.id,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`provider:${provider.name}`), [credentials]),
        signal: abort.signal,
        progress: (counts) => progress.report(counts),
      };
      const started = Date.now();
      const collected = await this.pipeline.run({ providerId: provider.id, refreshId, plugin, ctx, scope, signal: abort.signal, progress, causes: refresh.causes });
      const status: RefreshStatus = collected.partErrors.length > 0 ? 'partial' : 'completed';
      const { stats } = collected;
      const counts: Record<string, number> = {
        ...collected.counts,
        vmsCreated: stats.collections.vms.created,
        vmsUpdated: stats.collections.vms.updated,
        vmsUnchanged: stats.collections.vms.unchanged,
        vmsArchived: stats.collections.vms.archived,
        vmsRestored: stats.collections.vms.restored,
        changes: stats.changes,
        rowsWritten: stats.rowsWritten,
        collectMs: collected.collectMs,
        saveMs: Date.now() - started - collected.collectMs,
      };
      await progress.flush();
      await this.refreshes.finish(refreshId, status, counts, collected.partErrors.map((e) => ({ ...e, message: redactSecrets(e.message, secrets) })));
      this.logger.log(`refresh ${refreshId} of ${provider.name} ${status}: ${collected.counts.vms} vms, ${stats.changes} changes, ${stats.rowsWritten} rows written`);
    } catch (error) {
      if (options.signal?.aborted) {
        // Not a failure: the job queue gives the refresh to another process, which takes it over.
        this.logger.warn(`refresh ${refreshId} handed back unfinished (this process is shutting down)`);
        return this.get(refreshId);
      }
      const code = ProviderError.is(error) ? error.code : 'internal';
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      this.logger.warn(`refresh ${refreshId} failed (${code}): ${message}`);
      // The failure may be the database's (a restart, a lock): keep trying to record it for a while,
      // or the refresh would stay "running" (and hold the provider's one active slot) until it goes stale.
      await this.finishRetrying(refreshId, 'failed', refresh.progress, [{ scope: 'provider', code, message }]).catch((e: Error) =>
        this.logger.error(`could not record the failure of refresh ${refreshId}: ${e.message}`),
      );
    } finally {
      abort.abort(); // stops whatever of the collection still runs (a stream left early)
      options.signal?.removeEventListener('abort', handBack);
      clearInterval(heartbeat);
      clearTimeout(timeout);
    }
    const finished = await this.get(refreshId);
    for (const listener of this.finishedListeners) {
      try {
        await listener(finished);
      } catch (error) {
        this.logger.error(`a listener of finished refresh ${refreshId} failed: ${(error as Error).message}`);
      }
    }
    return finished;
  }

  /**
   * Refreshes left active by a process that died are failed, so nothing stays "running" forever.
   * `all` (embedded mode at start-up: this process is the only one) fails every active refresh
   * that has started; otherwise only those whose heartbeat is stale.
   */
  async failAbandoned(all: boolean): Promise<number> {
    const abandoned = await this.refreshes.running(all ? undefined : new Date(Date.now() - this.config.refresh.staleAfterSeconds * 1000));
    for (const refresh of abandoned) {
      await this.refreshes.finish(refresh.id, 'failed', refresh.progress, [
        { scope: 'provider', code: 'interrupted', message: `the process running this refresh (${refresh.owner ?? 'unknown'}) stopped before it finished` },
      ]);
    }
    if (abandoned.length > 0) this.logger.warn(`marked ${abandoned.length} abandoned refresh(es) failed`);
    return abandoned.length;
  }

  private async get(id: string): Promise<RefreshEntity> {
    const refresh = await this.refreshes.findById(id);
    if (!refresh) throw new NotFoundError(`refresh ${id} not found`);
    return refresh;
  }

  /** finish(), retried with backoff for up to a third of the stale delay (a database that is briefly unreachable). */
  private async finishRetrying(id: string, status: RefreshStatus, progress: Record<string, number>, errors: RefreshEntity['errors']): Promise<void> {
    const deadline = Date.now() + (this.config.refresh.staleAfterSeconds * 1000) / 3;
    for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await this.refreshes.finish(id, status, progress, errors);
        return;
      } catch (error) {
        if (Date.now() + delayMs > deadline) throw error;
        this.logger.warn(`recording the end of refresh ${id} failed (${(error as Error).message}); retrying in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
