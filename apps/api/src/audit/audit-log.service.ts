import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { AuditEntryEntity, paginate, type AuditOutcome, type Page } from '@hybridforms/persistence';
import type { Principal } from '../auth/api-token.service.js';

export interface AuditRecord {
  principal: Principal | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  method: string;
  path: string;
  clientIp: string | null;
  outcome: AuditOutcome;
  statusCode: number;
  message?: string | null;
  detail?: Record<string, unknown> | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  targetId?: string;
  since?: Date;
  until?: Date;
}

/** Writes and reads the audit log. A failed write is logged, never turned into a failed request. */
@Injectable()
export class AuditLogService {
  private readonly logger = new Logger('Audit');

  constructor(@InjectRepository(AuditEntryEntity) private readonly entries: Repository<AuditEntryEntity>) {}

  async record(record: AuditRecord): Promise<void> {
    const entry = this.entries.create({
      id: randomUUID(),
      at: new Date(),
      actor: record.principal?.name ?? 'anonymous',
      actorTokenId: record.principal?.tokenId ?? null,
      actorRole: record.principal?.role ?? null,
      action: record.action.slice(0, 64),
      targetType: record.targetType ?? null,
      targetId: record.targetId?.slice(0, 128) ?? null,
      method: record.method.slice(0, 8),
      path: record.path.slice(0, 512),
      clientIp: record.clientIp?.slice(0, 64) ?? null,
      outcome: record.outcome,
      statusCode: record.statusCode,
      message: record.message?.slice(0, 2000) ?? null,
      detail: record.detail ?? null,
    });
    try {
      // simple-json detail: TypeORM's insert typing does not follow JSON columns.
      await this.entries.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
    } catch (error) {
      this.logger.error(`could not record ${entry.action} by ${entry.actor}: ${(error as Error).message}`);
    }
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
