import { Controller, Get, Headers, Inject, MessageEvent, Param, ParseUUIDPipe, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { concatMap, distinctUntilChanged, from, map, takeWhile, timer, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { RefreshService } from '@hybridforms/discovery';
import { ACTIVE_REFRESH_STATUSES, InventoryQueryRepository, REFRESH_STATUSES } from '@hybridforms/persistence';
import { csvOf, pageLimit } from '../common/paging.js';
import { writeSse } from '../common/sse-response.js';
import { RefreshListQueryDto } from './refresh-list-query.dto.js';
import { presentRefresh } from './refresh.presenter.js';

// The runner stores progress at most once a second (RefreshProgressReporter), in whichever process
// runs the refresh: a follower reads the stored row at that pace, so it works across processes.
const FOLLOW_MS = 1000;

type RefreshView = ReturnType<typeof presentRefresh>;
const ended = (view: RefreshView) => !ACTIVE_REFRESH_STATUSES.includes(view.status);

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

  /** The refresh; with `Accept: text/event-stream`, it now and at each change of its status or progress (`refresh` frames) until it ends (`end`). */
  @Get(':id')
  @ApiProduces('application/json', 'text/event-stream')
  async get(@Param('id', ParseUUIDPipe) id: string, @Headers('accept') accept: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const refresh = presentRefresh(await this.refreshes.get(id));
    if (!accept?.includes('text/event-stream')) {
      res.json(refresh);
      return;
    }
    writeSse(req, res, this.follow$(id));
  }

  private follow$(id: string): Observable<MessageEvent> {
    return timer(0, FOLLOW_MS).pipe(
      concatMap(() => from(this.refreshes.get(id))),
      map(presentRefresh),
      distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
      takeWhile((view) => !ended(view), true),
      map((view): MessageEvent => ({ type: ended(view) ? 'end' : 'refresh', data: view })),
    );
  }
}
