import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditRepository, type AuditEntryEntity, type AuditFilter, type AuditOutcome, type Page } from '@hybridforms/persistence';
import type { Principal } from './api-token.service.js';

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

/** Writes and reads the audit log. A failed write is logged, never turned into a failed request. */
@Injectable()
export class AuditLogService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly entries: AuditRepository) {}

  async record(record: AuditRecord): Promise<void> {
    const entry: AuditEntryEntity = {
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
    };
    try {
      await this.entries.append(entry);
    } catch (error) {
      this.logger.error(`could not record ${entry.action} by ${entry.actor}: ${(error as Error).message}`);
    }
  }

  /** Newest first, keyset-paginated. */
  list(filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<Page<AuditEntryEntity>> {
    return this.entries.list(filter, page);
  }
}
