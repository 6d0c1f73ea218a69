import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { EventRepository, type RefreshEntity } from '@hybridforms/persistence';
import { RefreshService } from '../refresh/refresh.service.js';

/** The job kind that drains one provider's refresh targets (payload: its id). */
export const TARGETED_REFRESH_JOB = 'targeted-refresh';

/**
 * Turns the refresh targets that events leave (table refresh_targets, written with the events)
 * into targeted refreshes. A burst of events about the same VMs waits `refreshCoalesceSeconds`
 * and then becomes one refresh of all of them; while a provider has a refresh queued or running
 * the targets wait for it to finish. Targets live in the database, so a restart loses none; the
 * delay is a `targeted-refresh` job keyed by the provider, so it is one per cluster.
 */
@Injectable()
export class TargetedRefreshQueue implements OnModuleInit {
  private readonly logger = new Logger(TargetedRefreshQueue.name);
  private readonly draining = new Map<string, Promise<string | null>>();

  constructor(
    private readonly refreshes: RefreshService,
    private readonly events: EventRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.refreshes.onFinished((refresh) => this.afterRefresh(refresh));
  }

  /** Drains the provider's targets after the coalescing delay (a pending delay is not extended). */
  schedule(providerId: string): void {
    this.queue
      .enqueue(TARGETED_REFRESH_JOB, { providerId }, { key: providerId, delayMs: this.config.events.refreshCoalesceSeconds * 1000 })
      .catch((error: Error) => this.logger.warn(`targeted refresh of provider ${providerId} could not be queued (${error.message}); the next event tick drains it`));
  }

  /** Drains every provider with targets waiting (the scheduler's tick: after a restart, after a refresh elsewhere). */
  async drainAll(): Promise<void> {
    for (const providerId of await this.events.providersWithRefreshTargets()) {
      await this.drain(providerId).catch((error: Error) => this.logger.error(`targeted refresh of provider ${providerId} could not start: ${error.message}`));
    }
  }

  /**
   * Requests one targeted refresh of every waiting target of the provider, unless a refresh of it
   * is active (then the targets wait for it). Returns the refresh id, or null when none started.
   */
  drain(providerId: string): Promise<string | null> {
    let running = this.draining.get(providerId);
    if (!running) {
      running = this.drainOnce(providerId).finally(() => this.draining.delete(providerId));
      this.draining.set(providerId, running);
    }
    return running;
  }

  private async drainOnce(providerId: string): Promise<string | null> {
    if (await this.refreshes.active(providerId)) return null;
    const { nativeIds, requestedUpTo, causes } = await this.events.refreshTargets(providerId);
    if (nativeIds.length === 0 || !requestedUpTo) return null;
    const fromOperations = Object.keys(causes).length;
    const { refresh, joined } = await this.refreshes.request(providerId, { nativeIds, trigger: fromOperations === nativeIds.length ? 'operation' : 'event', causes });
    if (joined) return null; // another request won the race; the targets wait for it to finish
    // Only now: had we crashed before, the targets would still be here for the next drain.
    await this.events.clearRefreshTargets(providerId, nativeIds, requestedUpTo);
    this.logger.log(`targeted refresh ${refresh.id} of ${nativeIds.length} vm(s) queued from events and ${fromOperations} ended operation(s) of provider ${providerId}`);
    return refresh.id;
  }

  private async afterRefresh(refresh: RefreshEntity): Promise<void> {
    // Events that named VMs before they were inventoried now find their rows.
    await this.events.linkVms(refresh.providerId);
    if (refresh.kind === 'full' && refresh.status === 'completed' && refresh.startedAt) {
      // A full refresh that started after an event saw the VM's new state: that target is done.
      await this.events.clearRefreshTargetsBefore(refresh.providerId, refresh.startedAt);
    }
    this.schedule(refresh.providerId);
  }
}
