import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { AuditEntryEntity, type AuditOutcome } from '../entities/audit-entry.entity.js';
import type { Page } from '../queries/cursor.js';
import { paginate } from '../queries/inventory-query.js';

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  targetId?: string;
  since?: Date;
  until?: Date;
}

/** The audit log's rows: appended, never updated; read newest first. */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditEntryEntity) private readonly entries: Repository<AuditEntryEntity>) {}

  async append(entry: AuditEntryEntity): Promise<void> {
    // simple-json detail: TypeORM's insert typing does not follow JSON columns.
    await this.entries.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
  }

  /** Newest first, keyset-paginated. */
  list(filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<Page<AuditEntryEntity>> {
    const qb = this.entries.createQueryBuilder('entry');
    if (filter.actor) qb.andWhere('entry.actor = :actor', { actor: filter.actor });
    if (filter.action) qb.andWhere('entry.action = :action', { action: filter.action });
    if (filter.outcome) qb.andWhere('entry.outcome = :outcome', { outcome: filter.outcome });
    if (filter.targetId) qb.andWhere('entry.targetId = :targetId', { targetId: filter.targetId });
    if (filter.since) qb.andWhere('entry.at >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('entry.at < :until', { until: filter.until });
    return paginate(qb, 'entry', { property: 'at', descending: true }, page.limit, page.cursor);
  }
}
