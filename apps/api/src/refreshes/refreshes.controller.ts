import { Controller, Get, Inject, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { RefreshService } from '@hybridforms/discovery';
import { InventoryQueryRepository, REFRESH_STATUSES } from '@hybridforms/persistence';
import { csvOf, pageLimit } from '../common/paging.js';
import { RefreshListQueryDto } from './refresh-list-query.dto.js';
import { presentRefresh } from './refresh.presenter.js';

@ApiTags('refreshes')
@Controller('refreshes')
export class RefreshesController {
  constructor(
    private readonly refreshes: RefreshService,
    private readonly queries: InventoryQueryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@Query() query: RefreshListQueryDto) {
    const page = await this.queries.listRefreshes(
      { provider: query.provider, status: csvOf('status', query.status, REFRESH_STATUSES) },
      { limit: pageLimit(query, this.config), cursor: query.cursor },
    );
    return { items: page.items.map(presentRefresh), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentRefresh(await this.refreshes.get(id));
  }
}
