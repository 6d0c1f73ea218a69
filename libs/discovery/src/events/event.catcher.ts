import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '@hybridforms/telemetry';
import { ProviderTasks, type ProviderTaskSkipped } from '../providers/provider-tasks.js';
import { ProvidersService } from '../providers/providers.service.js';
import { TargetedRefreshQueue } from './targeted-refresh.queue.js';

export type EventPollOutcome = { status: 'stored'; stored: number; duplicates: number; refreshTargets: number } | ProviderTaskSkipped;

/**
 * Catches a provider's events: asks its plugin for what happened since the stored checkpoint,
 * stores the events and the new checkpoint together, and hands the VMs they name to the
 * targeted-refresh queue. A failure is recorded and leaves the checkpoint where it was.
 */
@Injectable()
export class EventCatcher {
  private readonly logger = new Logger(EventCatcher.name);
  private readonly tasks: ProviderTasks;

  constructor(
    providers: ProvidersService,
    private readonly store: EventStore,
    private readonly targeted: TargetedRefreshQueue,
  ) {
    this.tasks = new ProviderTasks(providers, 'event poll', this.logger);
  }

  poll(providerId: string): Promise<EventPollOutcome> {
    return this.tasks.run(
      providerId,
      (plugin) => typeof plugin.collectEvents === 'function',
      async ({ provider, plugin, ctx, bounded }): Promise<EventPollOutcome> => {
        const since = await this.store.checkpointOf(providerId);
        const batch = await bounded(plugin.collectEvents!(ctx, since));
        const result = await this.store.store(providerId, batch);
        if (result.refreshTargets.length > 0) this.targeted.schedule(providerId);
        if (result.stored.length > 0) this.logger.log(`${result.stored.length} new event(s) from ${provider.name}, ${result.refreshTargets.length} vm(s) to refresh`);
        return { status: 'stored', stored: result.stored.length, duplicates: result.duplicates, refreshTargets: result.refreshTargets.length };
      },
      (message) => this.store.recordFailure(providerId, message),
    );
  }
}
