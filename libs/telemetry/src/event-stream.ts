import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { CLUSTER_BUS, type ClusterBus } from '@hybridforms/jobs';
import { EventRepository, type EventEntity } from '@hybridforms/persistence';

const STORED_CHANNEL = 'events.stored';

/**
 * Newly stored events, published after their transaction commits, for live watchers.
 * - `stored$`: the events this process stored (automation rules: each event fires them once, in
 *   the process that caught it);
 * - `events$`: the events stored anywhere in the cluster (SSE): other processes' are announced on
 *   the cluster bus by id and read back from the database.
 */
@Injectable()
export class EventStream implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EventStream.name);
  private readonly local = new Subject<EventEntity>();
  private readonly all = new Subject<EventEntity>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
    private readonly events: EventRepository,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe<{ ids: string[] }>(STORED_CHANNEL, (message) => void this.relay(message.ids));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  publish(events: EventEntity[]): void {
    for (const event of events) {
      this.local.next(event);
      this.all.next(event);
    }
    if (events.length > 0) {
      this.bus.publish(STORED_CHANNEL, { ids: events.map((event) => event.id) }).catch((error: Error) => this.logger.warn(`stored events not announced: ${error.message}`));
    }
  }

  get stored$(): Observable<EventEntity> {
    return this.local.asObservable();
  }

  get events$(): Observable<EventEntity> {
    return this.all.asObservable();
  }

  private async relay(ids: unknown): Promise<void> {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 10_000 || !ids.every((id) => typeof id === 'string')) return;
    try {
      const rows = await this.events.findByIds(ids);
      const order = new Map(ids.map((id, index) => [id, index]));
      rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      for (const row of rows) this.all.next(row);
    } catch (error) {
      this.logger.warn(`events stored elsewhere not relayed: ${(error as Error).message}`);
    }
  }
}
