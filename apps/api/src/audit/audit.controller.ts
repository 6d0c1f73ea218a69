import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import type { AuditEntryEntity } from '@hybridforms/persistence';
import { RequireRole } from '../auth/access.decorators.js';
import { pageLimit } from '../common/paging.js';
import { AuditQueryDto } from './audit.dto.js';
import { AuditLogService } from '@hybridforms/access';

function presentAuditEntry(entry: AuditEntryEntity) {
  return {
    id: entry.id,
    at: entry.at,
    actor: entry.actor,
    actorTokenId: entry.actorTokenId,
    actorRole: entry.actorRole,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    method: entry.method,
    path: entry.path,
    clientIp: entry.clientIp,
    outcome: entry.outcome,
    statusCode: entry.statusCode,
    message: entry.message,
    detail: entry.detail,
  };
}

@ApiTags('audit')
@RequireRole('admin')
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditLogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Newest first. */
  @Get()
  async list(@Query() query: AuditQueryDto) {
    const page = await this.audit.list(
      {
        actor: query.actor,
        action: query.action,
        outcome: query.outcome,
        targetId: query.targetId,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
      },
      { limit: pageLimit(query, this.config), cursor: query.cursor },
    );
    return { items: page.items.map(presentAuditEntry), nextCursor: page.nextCursor };
  }
}
