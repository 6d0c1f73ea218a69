import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import type { RefreshEntity } from '@hybridforms/persistence';
import { EventStore } from '@hybridforms/telemetry';
import { RefreshService } from '../refresh/refresh.service.js';

/**
 * Turns the refresh targets that events leave (table refresh_targets, written with the events)
 * into targeted refreshes. A burst of events about the same VMs waits `refreshCoalesceSeconds`
 * and then becomes one refresh of all of them; while a provider has a refresh queued or running
 * the targets wait for it to finish. Targets live in the database, so a restart loses none.
 */
@Injectable()
export class TargetedRefreshQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TargetedRefreshQueue.name);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly draining = new Map<string, Promise<string | null>>();

  constructor(
    private readonly refreshes: RefreshService,
    private readonly events: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.refreshes.onFinished((refresh) => this.afterRefresh(refresh));
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Drains the provider's targets after the coalescing delay (a pending delay is not extended). */
  schedule(providerId: string): void {
    if (this.timers.has(providerId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(providerId);
      void this.drain(providerId).catch((error: Error) => this.logger.error(`targeted refresh of provider ${providerId} could not start: ${error.message}`));
    }, this.config.events.refreshCoalesceSeconds * 1000);
    timer.unref();
    this.timers.set(providerId, timer);
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
    const { nativeIds, requestedUpTo } = await this.events.refreshTargets(providerId);
    if (nativeIds.length === 0 || !requestedUpTo) return null;
    const { refresh, joined } = await this.refreshes.request(providerId, { nativeIds, trigger: 'event' });
    if (joined) return null; // another request won the race; the targets wait for it to finish
    // Only now: had we crashed before, the targets would still be here for the next drain.
    await this.events.clearRefreshTargets(providerId, nativeIds, requestedUpTo);
    this.logger.log(`targeted refresh ${refresh.id} of ${nativeIds.length} vm(s) queued from events of provider ${providerId}`);
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
