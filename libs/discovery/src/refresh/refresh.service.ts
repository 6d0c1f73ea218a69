import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotFoundError } from '@hybridforms/core';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { ProviderRepository, RefreshRepository, VmQueryRepository, type RefreshEntity } from '@hybridforms/persistence';
import { ProvidersService } from '../providers/providers.service.js';
import { RefreshRunner, type RefreshFinishedListener } from './refresh.runner.js';

/** The job kind that runs one refresh (payload: its id; see RefreshRunner). */
export const REFRESH_JOB = 'refresh';

export type RefreshTrigger = 'api' | 'schedule' | 'created' | 'event' | 'operation' | 'demo';

export interface RefreshRequest {
  /** Native ids of the VMs to refresh; omitted = a full refresh. */
  nativeIds?: string[];
  trigger: RefreshTrigger;
  /** Targeted: the operation that asked for each native id (recorded on the changes it finds). */
  causes?: Record<string, string>;
}

export interface RequestedRefresh {
  refresh: RefreshEntity;
  /** True when a refresh of this provider was already queued or running and is returned instead. */
  joined: boolean;
}

/**
 * Asking for refreshes and reading them. A requested refresh is a `refresh` job keyed by its id,
 * run by whichever process runs jobs; the database's one-active-refresh-per-provider index is what
 * makes a provider's refreshes exclusive, the key only stops one being queued twice. A refresh
 * whose job could not be enqueued (the broker down) stays queued in the database, and the
 * scheduler's tick enqueues it again.
 */
@Injectable()
export class RefreshService {
  private readonly logger = new Logger(RefreshService.name);

  constructor(
    private readonly refreshes: RefreshRepository,
    private readonly providerRows: ProviderRepository,
    private readonly vms: VmQueryRepository,
    private readonly providers: ProvidersService,
    private readonly runner: RefreshRunner,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async request(providerId: string, request: RefreshRequest): Promise<RequestedRefresh> {
    const provider = await this.providers.get(providerId);
    const active = await this.active(provider.id);
    if (active) return { refresh: active, joined: true };
    const now = new Date();
    const refresh: RefreshEntity = {
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
      causes: request.nativeIds && request.causes && Object.keys(request.causes).length > 0 ? request.causes : null,
    };
    if (!(await this.refreshes.insertQueued(refresh))) {
      // Lost a race with another request.
      const winner = await this.active(provider.id);
      if (winner) return { refresh: winner, joined: true };
      throw new Error(`refresh of provider ${provider.name} could not be queued: another was active and has ended`);
    }
    if (refresh.kind === 'full') await this.providerRows.markFullRefreshRequested(provider.id, now);
    this.logger.log(`refresh ${refresh.id} (${refresh.kind}, ${request.trigger}) queued for provider ${provider.name}`);
    this.enqueue(refresh.id);
    return { refresh, joined: false };
  }

  onFinished(listener: RefreshFinishedListener): void {
    this.runner.onFinished(listener);
  }

  async get(id: string): Promise<RefreshEntity> {
    const refresh = await this.refreshes.findById(id);
    if (!refresh) throw new NotFoundError(`refresh ${id} not found`);
    return refresh;
  }

  active(providerId: string): Promise<RefreshEntity | null> {
    return this.refreshes.active(providerId);
  }

  /** Queued refreshes that no runner holds (after a restart, or a failed enqueue) are enqueued again. */
  async redispatchQueued(): Promise<number> {
    const queued = await this.refreshes.queued();
    for (const refresh of queued) this.enqueue(refresh.id);
    return queued.length;
  }

  /** Resolves VM ids of our database to the native ids a targeted refresh needs. */
  async nativeIdsOfVms(providerId: string, vmIds: string[]): Promise<string[]> {
    const nativeIds = await this.vms.nativeIdsOf(providerId, vmIds);
    const missing = vmIds.filter((id) => !nativeIds.has(id));
    if (missing.length > 0) throw new NotFoundError(`vms not found for this provider: ${missing.join(', ')}`);
    return [...nativeIds.values()];
  }

  /** Resolves when no refresh is queued or running, in the database or the queue (tests, the demo's first refresh). */
  async idle(): Promise<void> {
    for (;;) {
      const counts = (await this.queue.counts())[REFRESH_JOB];
      const jobs = counts ? counts.waiting + counts.delayed + counts.active : 0;
      if (jobs === 0 && (await this.refreshes.countActive()) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private enqueue(refreshId: string): void {
    this.queue
      .enqueue(REFRESH_JOB, { refreshId }, { key: refreshId })
      .catch((error: Error) => this.logger.error(`refresh ${refreshId} could not be queued (${error.message}); the next scheduler tick retries`));
  }
}
