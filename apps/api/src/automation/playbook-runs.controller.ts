import { Body, Controller, Get, Header, Headers, HttpCode, Inject, MessageEvent, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { concat, defer, from, map, type Observable } from 'rxjs';
import { APP_CONFIG, BadInputError, type AppConfig } from '@hybridforms/core';
import { CancelPlaybookRun, PlaybookRunQueries, RunEventStream, StartPlaybookRun } from '@hybridforms/automation';
import { FINISHED_RUN_STATUSES } from '@hybridforms/persistence';
import { pageLimit } from '../common/paging.js';
import { replayThenFollow } from '../common/replay-then-follow.js';
import { writeSse } from '../common/sse-response.js';
import { vmFilterOf } from '../inventory/vm-list-query.dto.js';
import { CreatePlaybookRunDto, RunEventsQueryDto, RunListQueryDto } from './automation.dto.js';
import { presentRun, presentRunEvent } from './automation.presenter.js';
import { Audited, RequireRole } from '../auth/access.decorators.js';

@ApiTags('playbook-runs')
@Controller('playbook-runs')
export class PlaybookRunsController {
  constructor(
    private readonly start: StartPlaybookRun,
    private readonly runs: PlaybookRunQueries,
    private readonly cancelRun: CancelPlaybookRun,
    private readonly stream: RunEventStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Queues a run (202); it starts when a slot of `automation.concurrency` is free. */
  @Post()
  @RequireRole('operator')
  @Audited('playbook-run.start', 'playbook-run')
  @HttpCode(202)
  async create(@Body() body: CreatePlaybookRunDto) {
    const { vmIds, selector } = body.targets;
    if (!vmIds === !selector) throw new BadInputError('targets: give exactly one of vmIds or selector');
    const run = await this.start.request({
      playbook: body.playbook,
      targets: vmIds ? { vmIds } : { selector: vmFilterOf(selector!) },
      credentialId: body.credentialId,
      extraVars: body.extraVars,
      limit: body.limit,
      timeoutSeconds: body.timeoutSeconds,
    });
    return presentRun(run);
  }

  @Get()
  async list(@Query() query: RunListQueryDto) {
    const page = await this.runs.list({ limit: pageLimit(query, this.config), cursor: query.cursor, status: query.status });
    return { items: page.items.map(presentRun), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentRun(await this.runs.get(id));
  }

  /**
   * The run's job events: a JSON page (cursor = the last counter), or with
   * `Accept: text/event-stream` a live stream that replays from the start (or from Last-Event-ID)
   * and follows until the run ends.
   */
  @Get(':id/events')
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'SSE: replay after this event counter' })
  async events(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: RunEventsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (accept?.includes('text/event-stream')) {
      await this.runs.get(id);
      writeSse(req, res, this.stream$(id, counterOf('Last-Event-ID', lastEventId) ?? 0));
      return;
    }
    // @Res() without passthrough (the stream writes the response itself): the JSON page is sent here.
    const page = await this.runs.eventsOf(id, { limit: pageLimit(query, this.config), afterCounter: counterOf('cursor', query.cursor) });
    res.json({ items: page.items.map(presentRunEvent), nextCursor: page.nextCursor });
  }

  @Get(':id/stdout')
  @Header('content-type', 'text/plain; charset=utf-8')
  async stdout(@Param('id', ParseUUIDPipe) id: string) {
    const run = await this.runs.get(id);
    if (!FINISHED_RUN_STATUSES.includes(run.status)) return `(run ${run.status}: the output is kept when it ends; follow /events meanwhile)\n`;
    return run.stdout ?? '';
  }

  @Post(':id/cancel')
  @RequireRole('operator')
  @Audited('playbook-run.cancel', 'playbook-run')
  @HttpCode(202)
  async cancel(@Param('id', ParseUUIDPipe) id: string) {
    return presentRun(await this.cancelRun.cancel(id));
  }

  /** Stored events after `after`, then live ones until the run ends; an `end` frame closes it. */
  private stream$(id: string, after: number): Observable<MessageEvent> {
    let ended = false;
    const replay = async () => {
      const rows = await this.runs.eventsAfter(id, after);
      // Read after the events: a run that ends later still signals its end to the live part.
      ended = FINISHED_RUN_STATUSES.includes((await this.runs.get(id)).status);
      return rows;
    };
    const events = replayThenFollow(this.stream.eventsOf(id), replay, (event) => String(event.counter), () => ended);
    return concat(
      events.pipe(map((event): MessageEvent => ({ id: String(event.counter), type: 'event', data: presentRunEvent(event) }))),
      defer(() => from(this.runs.get(id))).pipe(map((run): MessageEvent => ({ type: 'end', data: presentRun(run) }))),
    );
  }
}

function counterOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new BadInputError(`${name}: not a cursor this API returned`);
  return Number(value);
}
