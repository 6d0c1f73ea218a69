import { Controller, Get, Inject, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, NotFoundError, OS_FAMILIES, type AppConfig } from '@hybridforms/core';
import { InventoryQueryRepository } from '@hybridforms/persistence';
import { InventoryListQueryDto } from '../common/list-query.dto.js';
import { csvOf, pageLimit } from '../common/paging.js';
import { ImageListQueryDto } from './image-list-query.dto.js';
import { presentHost, presentImage, presentNetwork } from './inventory.presenter.js';

@ApiTags('inventory')
@Controller()
export class InventoryController {
  constructor(
    private readonly queries: InventoryQueryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('hosts')
  async hosts(@Query() query: InventoryListQueryDto) {
    const page = await this.queries.listHosts(query, { limit: pageLimit(query, this.config), cursor: query.cursor, sort: query.sort });
    return { items: page.items.map(presentHost), nextCursor: page.nextCursor };
  }

  @Get('hosts/:id')
  async host(@Param('id', ParseUUIDPipe) id: string) {
    const host = await this.queries.findHost(id);
    if (!host) throw new NotFoundError(`host ${id} not found`);
    return presentHost(host);
  }

  @Get('images')
  async images(@Query() query: ImageListQueryDto) {
    const page = await this.queries.listImages(
      { ...query, osFamily: csvOf('osFamily', query.osFamily, OS_FAMILIES) },
      { limit: pageLimit(query, this.config), cursor: query.cursor, sort: query.sort },
    );
    return { items: page.items.map(presentImage), nextCursor: page.nextCursor };
  }

  @Get('images/:id')
  async image(@Param('id', ParseUUIDPipe) id: string) {
    const image = await this.queries.findImage(id);
    if (!image) throw new NotFoundError(`image ${id} not found`);
    return presentImage(image);
  }

  @Get('networks')
  async networks(@Query() query: InventoryListQueryDto) {
    const page = await this.queries.listNetworks(query, { limit: pageLimit(query, this.config), cursor: query.cursor, sort: query.sort });
    return { items: page.items.map(presentNetwork), nextCursor: page.nextCursor };
  }
}
