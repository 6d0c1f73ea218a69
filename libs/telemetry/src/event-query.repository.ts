import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type SelectQueryBuilder } from 'typeorm';
import type { ProviderEventType } from '@hybridforms/core';
import { EventEntity, paginate, type Page } from '@hybridforms/persistence';

/** The filters of `GET /events`; a VM is named by its provider and native id (see forVm). */
export interface EventFilter {
  provider?: string;
  vm?: { providerId: string; nativeId: string };
  type?: ProviderEventType[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

@Injectable()
export class EventQueryRepository {
  constructor(@InjectRepository(EventEntity) private readonly events: Repository<EventEntity>) {}

  /** Newest first, keyset-paginated. */
  list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<Page<EventEntity>> {
    const qb = this.filtered(filter);
    return paginate(qb, 'event', { property: 'occurredAt', descending: true }, page.limit, page.cursor);
  }

  /**
   * Events stored since the given one (a live client's Last-Event-ID), oldest first, at most
   * `limit`. Events stored in the same batch as it are included (but it): a reconnecting client
   * may see one again, never miss one.
   */
  async storedSince(lastId: string, filter: EventFilter, limit: number): Promise<EventEntity[]> {
    const last = await this.events.findOneBy({ id: lastId });
    if (!last) return [];
    return this.filtered(filter)
      .andWhere('event.receivedAt >= :receivedAt', { receivedAt: last.receivedAt })
      .andWhere('event.id <> :lastId', { lastId }).orderBy('event.receivedAt', 'ASC').addOrderBy('event.occurredAt', 'ASC').limit(limit).getMany();
  }

  get(id: string): Promise<EventEntity | null> {
    return this.events.findOneBy({ id });
  }

  private filtered(filter: EventFilter): SelectQueryBuilder<EventEntity> {
    const qb = this.events.createQueryBuilder('event');
    if (filter.provider) qb.andWhere('event.providerId = :provider', { provider: filter.provider });
    // By native id, so events from before the VM was inventoried (its creation) belong to it too.
    if (filter.vm) qb.andWhere('event.providerId = :vmProvider AND event.vmNativeId = :vmNativeId', { vmProvider: filter.vm.providerId, vmNativeId: filter.vm.nativeId });
    if (filter.type?.length) qb.andWhere('event.type IN (:...types)', { types: filter.type });
    if (filter.since) qb.andWhere('event.occurredAt >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('event.occurredAt < :until', { until: filter.until });
    return qb;
  }

  /** Whether a live event passes a filter (the SSE stream applies the list's filters). */
  static matches(event: EventEntity, filter: EventFilter): boolean {
    if (filter.provider && event.providerId !== filter.provider) return false;
    if (filter.vm && (event.providerId !== filter.vm.providerId || event.vmNativeId !== filter.vm.nativeId)) return false;
    if (filter.type?.length && !filter.type.includes(event.type)) return false;
    if (filter.since && event.occurredAt < filter.since) return false;
    if (filter.until && event.occurredAt >= filter.until) return false;
    return true;
  }
}
