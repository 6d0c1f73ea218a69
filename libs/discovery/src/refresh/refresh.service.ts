import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, QueryFailedError, Repository } from 'typeorm';
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
import {
  ACTIVE_REFRESH_STATUSES,
  InventoryPersister,
  ProviderEntity,
  RefreshEntity,
  VmEntity,
  type RefreshStatus,
} from '@hybridforms/persistence';
import { ProvidersService } from '../providers/providers.service.js';

export type RefreshTrigger = 'api' | 'schedule' | 'created' | 'event' | 'startup' | 'demo';

export interface RefreshRequest {
  /** Native ids of the VMs to refresh; omitted = a full refresh. */
  nativeIds?: string[];
  trigger: RefreshTrigger;
}

export interface RequestedRefresh {
  refresh: RefreshEntity;
  /** True when a refresh of this provider was already queued or running and is returned instead. */
  joined: boolean;
}

/** Where queued refreshes go to be run (the in-process runner today, the job queue later). */
export interface RefreshDispatcher {
  dispatch(refreshId: string): void;
}
export const REFRESH_DISPATCHER = Symbol('REFRESH_DISPATCHER');

/** Told about every refresh this process finishes (whatever its outcome). */
export type RefreshFinishedListener = (refresh: RefreshEntity) => void | Promise<void>;

const OWNER = `${hostname()}:${process.pid}`;

/**
 * Refresh orchestration: one active refresh per provider (the database's partial unique index
 * enforces it, so it holds across processes), collection by the plugin, saving by the shared
 * persister, and a recorded outcome for every run.
 */
@Injectable()
export class RefreshService {
  private readonly logger = new Logger(RefreshService.name);
  private readonly finishedListeners: RefreshFinishedListener[] = [];

  constructor(
    @InjectRepository(RefreshEntity) private readonly refreshes: Repository<RefreshEntity>,
    @InjectRepository(ProviderEntity) private readonly providerRows: Repository<ProviderEntity>,
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
    private readonly providers: ProvidersService,
    private readonly persister: InventoryPersister,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REFRESH_DISPATCHER) private readonly dispatcher: RefreshDispatcher,
  ) {}

  async request(providerId: string, request: RefreshRequest): Promise<RequestedRefresh> {
    const provider = await this.providers.get(providerId);
    const active = await this.active(provider.id);
    if (active) return { refresh: active, joined: true };
    const now = new Date();
    const refresh = this.refreshes.create({
      id: randomUUID(),
      providerId: provider.id,
      kind: request.nativeIds ? 'targeted' : 'full',
      targets: request.nativeIds ?? null,
      trigger: request.trigger,
      status: 'queued',
      progress: {},
      errors: [],
      requestedAt: now,
      startedAt: null,
      finishedAt: null,
      heartbeatAt: null,
      owner: null,
    });
    try {
      await this.refreshes.insert(refresh);
    } catch (error) {
      // Lost a race with another request: the unique index on active refreshes said no.
      if (isUniqueViolation(error)) {
        const winner = await this.active(provider.id);
        if (winner) return { refresh: winner, joined: true };
      }
      throw error;
    }
    if (refresh.kind === 'full') await this.providerRows.update({ id: provider.id }, { lastFullRefreshAt: now });
    this.logger.log(`refresh ${refresh.id} (${refresh.kind}, ${request.trigger}) queued for provider ${provider.name}`);
    this.dispatcher.dispatch(refresh.id);
    return { refresh, joined: false };
  }

  onFinished(listener: RefreshFinishedListener): void {
    this.finishedListeners.push(listener);
  }

  async get(id: string): Promise<RefreshEntity> {
    const refresh = await this.refreshes.findOneBy({ id });
    if (!refresh) throw new NotFoundError(`refresh ${id} not found`);
    return refresh;
  }

  active(providerId: string): Promise<RefreshEntity | null> {
    return this.refreshes.findOneBy({ providerId, status: In([...ACTIVE_REFRESH_STATUSES]) });
  }

  /** Runs a queued refresh to its end; never throws (the outcome is recorded on the row). */
  async run(refreshId: string): Promise<RefreshEntity> {
    const claimed = await this.refreshes.update({ id: refreshId, status: 'queued' }, { status: 'running', startedAt: new Date(), heartbeatAt: new Date(), owner: OWNER });
    const refresh = await this.get(refreshId);
    if (!claimed.affected) return refresh; // someone else took it, or it was already finished

    const heartbeat = setInterval(() => void this.touch(refreshId), Math.min(30, this.config.refresh.staleAfterSeconds / 3) * 1000);
    heartbeat.unref();
    const abort = new AbortController();
    // One signal is shared by every concurrent SDK call of the collection (each adds a listener).
    setMaxListeners(256, abort.signal);
    const timeout = setTimeout(
      () => abort.abort(new ProviderError(ProviderErrorCode.Timeout, `refresh timed out after ${this.config.refresh.timeoutSeconds}s`, true)),
      this.config.refresh.timeoutSeconds * 1000,
    );
    timeout.unref();
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(refresh.providerId);
      secrets = [credentials];
      const scope: InventoryScope = refresh.kind === 'full' ? { kind: 'full' } : { kind: 'targeted', nativeIds: refresh.targets ?? [] };
      const progress = new ProgressReporter((counts) => this.refreshes.update({ id: refreshId }, { progress: counts, heartbeatAt: new Date() }));
      const ctx: ProviderContext = {
        providerId: provider.id,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`provider:${provider.name}`), [credentials]),
        signal: abort.signal,
        progress: (counts) => progress.report(counts),
      };
      const started = Date.now();
      const graph = await abortable(plugin.collectInventory(ctx, scope), abort.signal);
      const collectedMs = Date.now() - started;
      await progress.flush();
      const stats = await this.persister.save(provider.id, refreshId, graph, scope);
      const status: RefreshStatus = graph.partErrors.length > 0 ? 'partial' : 'completed';
      const counts: Record<string, number> = {
        vms: graph.vms.length,
        nics: graph.nics.length,
        disks: graph.disks.length,
        images: graph.images.length,
        hosts: graph.hosts.length,
        networks: graph.networks.length,
        vmsCreated: stats.collections.vms.created,
        vmsUpdated: stats.collections.vms.updated,
        vmsUnchanged: stats.collections.vms.unchanged,
        vmsArchived: stats.collections.vms.archived,
        vmsRestored: stats.collections.vms.restored,
        changes: stats.changes,
        rowsWritten: stats.rowsWritten,
        collectMs: collectedMs,
        saveMs: Date.now() - started - collectedMs,
      };
      await this.finish(refreshId, status, counts, graph.partErrors.map((e) => ({ ...e, message: redactSecrets(e.message, secrets) })));
      this.logger.log(`refresh ${refreshId} of ${provider.name} ${status}: ${graph.vms.length} vms, ${stats.changes} changes, ${stats.rowsWritten} rows written`);
    } catch (error) {
      const code = ProviderError.is(error) ? error.code : 'internal';
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      this.logger.warn(`refresh ${refreshId} failed (${code}): ${message}`);
      // The failure may be the database's (a restart, a lock): keep trying to record it for a while,
      // or the refresh would stay "running" (and hold the provider's one active slot) until it goes stale.
      await this.finishRetrying(refreshId, 'failed', refresh.progress, [{ scope: 'provider', code, message }]).catch((e: Error) =>
        this.logger.error(`could not record the failure of refresh ${refreshId}: ${e.message}`),
      );
    } finally {
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
    const staleBefore = new Date(Date.now() - this.config.refresh.staleAfterSeconds * 1000);
    const abandoned = await this.refreshes.find({
      where: all ? { status: 'running' } : { status: 'running', heartbeatAt: LessThan(staleBefore) },
    });
    for (const refresh of abandoned) {
      await this.finish(refresh.id, 'failed', refresh.progress, [
        { scope: 'provider', code: 'interrupted', message: `the process running this refresh (${refresh.owner ?? 'unknown'}) stopped before it finished` },
      ]);
    }
    if (abandoned.length > 0) this.logger.warn(`marked ${abandoned.length} abandoned refresh(es) failed`);
    return abandoned.length;
  }

  /** Queued refreshes that no runner holds (after a restart) are handed to the dispatcher again. */
  async redispatchQueued(): Promise<number> {
    const queued = await this.refreshes.find({ where: { status: 'queued' }, order: { requestedAt: 'ASC' } });
    for (const refresh of queued) this.dispatcher.dispatch(refresh.id);
    return queued.length;
  }

  /** Resolves VM ids of our database to the native ids a targeted refresh needs. */
  async nativeIdsOfVms(providerId: string, vmIds: string[]): Promise<string[]> {
    const rows = await this.vms.find({ select: { id: true, nativeId: true }, where: { providerId, id: In(vmIds) } });
    const missing = vmIds.filter((id) => !rows.some((row) => row.id === id));
    if (missing.length > 0) throw new NotFoundError(`vms not found for this provider: ${missing.join(', ')}`);
    return rows.map((row) => row.nativeId);
  }

  private async finish(id: string, status: RefreshStatus, progress: Record<string, number>, errors: RefreshEntity['errors']): Promise<void> {
    await this.refreshes.update({ id }, { status, progress, errors, finishedAt: new Date(), heartbeatAt: new Date() });
  }

  /** finish(), retried with backoff for up to a third of the stale delay (a database that is briefly unreachable). */
  private async finishRetrying(id: string, status: RefreshStatus, progress: Record<string, number>, errors: RefreshEntity['errors']): Promise<void> {
    const deadline = Date.now() + (this.config.refresh.staleAfterSeconds * 1000) / 3;
    for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await this.finish(id, status, progress, errors);
        return;
      } catch (error) {
        if (Date.now() + delayMs > deadline) throw error;
        this.logger.warn(`recording the end of refresh ${id} failed (${(error as Error).message}); retrying in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async touch(id: string): Promise<void> {
    await this.refreshes.update({ id, status: 'running' }, { heartbeatAt: new Date() }).catch(() => undefined);
  }
}

/** Coalesces progress reports into at most one database write a second. */
class ProgressReporter {
  private latest: Record<string, number> | null = null;
  private lastWrite = 0;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly write: (counts: Record<string, number>) => Promise<unknown>) {}

  report(counts: Record<string, number>): void {
    this.latest = counts;
    if (Date.now() - this.lastWrite >= 1000) void this.flush();
  }

  flush(): Promise<unknown> {
    if (!this.latest) return this.pending;
    const counts = this.latest;
    this.latest = null;
    this.lastWrite = Date.now();
    this.pending = this.pending.then(() => this.write(counts)).catch(() => undefined);
    return this.pending;
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string } | undefined;
  return driverError?.code === '23505' || driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
