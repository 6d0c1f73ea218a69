import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, QueryFailedError, Repository } from 'typeorm';
import {
  APP_CONFIG,
  BoundedChannel,
  NotFoundError,
  ProviderError,
  ProviderErrorCode,
  redactSecrets,
  redactingLogger,
  chunkOfGraph,
  type AppConfig,
  type InventoryChunk,
  type InventoryScope,
  type PartError,
  type ProviderContext,
  type ProviderPlugin,
} from '@hybridforms/core';
import {
  ACTIVE_REFRESH_STATUSES,
  InventoryPersister,
  ProviderEntity,
  type PersistStats,
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

// Chunks collected ahead of the database: the bound on what a slow save lets pile up.
const CHUNK_BUFFER = 4;

export interface RunOptions {
  /**
   * Also claim a refresh that is `running`: its process died and the job queue delivers the job
   * again. It is run again from the start under this process (owner, heartbeat). A streamed full
   * refresh is safe to re-run: chunks are idempotent upserts and only a completed run archives.
   */
  takeOver?: boolean;
  /**
   * Aborted when this process hands the refresh back (a worker shutting down past its grace): the
   * collection stops and the row stays `running`, for the process the job goes to next to take over.
   */
  signal?: AbortSignal;
}

/** What a refresh collected and saved, whatever way its plugin delivered it. */
interface Collected {
  counts: Record<'vms' | 'nics' | 'disks' | 'images' | 'hosts' | 'networks', number>;
  partErrors: PartError[];
  stats: PersistStats;
  collectMs: number;
}

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

  /**
   * Runs a queued refresh (or, with `takeOver`, one left running by a dead process) to its end;
   * never throws (the outcome is recorded on the row).
   */
  async run(refreshId: string, options: RunOptions = {}): Promise<RefreshEntity> {
    const claimable: RefreshStatus[] = options.takeOver ? ['queued', 'running'] : ['queued'];
    const claimed = await this.refreshes.update(
      { id: refreshId, status: In(claimable) },
      { status: 'running', startedAt: new Date(), heartbeatAt: new Date(), owner: OWNER },
    );
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
    const handBack = () => abort.abort(new Error('handed back: this process is shutting down'));
    if (options.signal?.aborted) handBack();
    options.signal?.addEventListener('abort', handBack, { once: true });
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
      const collected =
        scope.kind === 'full'
          ? await this.collectAndSaveFull(provider.id, refreshId, plugin, ctx, abort.signal, progress)
          : await this.collectAndSaveTargeted(provider.id, refreshId, plugin, ctx, scope, abort.signal, progress);
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
      await this.finish(refreshId, status, counts, collected.partErrors.map((e) => ({ ...e, message: redactSecrets(e.message, secrets) })));
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

  private async collectAndSaveTargeted(
    providerId: string,
    refreshId: string,
    plugin: ProviderPlugin,
    ctx: ProviderContext,
    scope: InventoryScope,
    signal: AbortSignal,
    progress: ProgressReporter,
  ): Promise<Collected> {
    const started = Date.now();
    const graph = await abortable(plugin.collectInventory(ctx, scope), signal);
    const collectMs = Date.now() - started;
    await progress.flush();
    const stats = await this.persister.save(providerId, refreshId, graph, scope);
    const counts = { vms: graph.vms.length, nics: graph.nics.length, disks: graph.disks.length, images: graph.images.length, hosts: graph.hosts.length, networks: graph.networks.length };
    return { counts, partErrors: graph.partErrors, stats, collectMs };
  }

  /**
   * A full refresh: the plugin's chunks (or its whole graph as one) saved as they arrive, each in
   * its own transaction, collection running ahead by at most CHUNK_BUFFER chunks; then the
   * archives, only when no part failed. A failure or an abort before the end archives nothing.
   */
  private async collectAndSaveFull(
    providerId: string,
    refreshId: string,
    plugin: ProviderPlugin,
    ctx: ProviderContext,
    signal: AbortSignal,
    progress: ProgressReporter,
  ): Promise<Collected> {
    const started = Date.now();
    const stream: AsyncIterable<InventoryChunk> = plugin.streamInventory
      ? plugin.streamInventory(ctx)
      : (async function* () {
          yield chunkOfGraph(await abortable(plugin.collectInventory(ctx, { kind: 'full' }), signal));
        })();
    const session = this.persister.openFullRefresh(providerId, refreshId);
    const counts = { vms: 0, nics: 0, disks: 0, images: 0, hosts: 0, networks: 0 };
    const partErrors: PartError[] = [];
    let collectMs = 0;
    let chunks = 0;
    const buffer = new BoundedChannel<InventoryChunk>(CHUNK_BUFFER);
    const pump = (async () => {
      try {
        for await (const chunk of stream) {
          if (signal.aborted) break;
          if (!(await buffer.push(chunk))) break; // the saving side stopped
        }
        collectMs = Date.now() - started;
        buffer.close();
      } catch (error) {
        buffer.fail(error);
      }
    })();
    try {
      for (;;) {
        const chunk = await abortable(buffer.pull(), signal);
        if (chunk === undefined) break;
        partErrors.push(...(chunk.partErrors ?? []));
        await session.saveChunk(chunk);
        const saved = session.stats.collections.vms;
        progress.report({ savedVms: saved.created + saved.updated + saved.unchanged + saved.restored, savedChunks: ++chunks });
      }
      throwIfAborted(signal);
    } catch (error) {
      // Releases a push waiting for room; the run's abort (in its finally) stops the plugin.
      buffer.stop();
      throw error;
    }
    await pump;
    const stats = await session.finish(partErrors);
    // Distinct records, as a single graph would count them (a stream may repeat an image or a subnet).
    const distinct = (name: 'vms' | 'nics' | 'disks' | 'images' | 'hosts' | 'networks') => {
      const c = stats.collections[name];
      return c.created + c.updated + c.unchanged + c.restored;
    };
    for (const name of Object.keys(counts) as (keyof typeof counts)[]) counts[name] = distinct(name);
    return { counts, partErrors, stats, collectMs };
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
  private current: Record<string, number> = {};
  private lastWrite = 0;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly write: (counts: Record<string, number>) => Promise<unknown>) {}

  /** Counts reported by the plugin and by the saving side: each key keeps its latest value. */
  report(counts: Record<string, number>): void {
    this.current = { ...this.current, ...counts };
    this.latest = this.current;
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

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
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
