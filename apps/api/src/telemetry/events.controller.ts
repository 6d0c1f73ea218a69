import { Controller, Get, Headers, Inject, MessageEvent, Param, ParseUUIDPipe, Query, Sse } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import { filter, interval, map, merge, type Observable } from 'rxjs';
import { APP_CONFIG, NotFoundError, type AppConfig } from '@hybridforms/core';
import { OperationProgressStream } from '@hybridforms/operations';
import { EventRepository, matchesEventFilter, VmQueryRepository, type EventFilter, type OperationEntity } from '@hybridforms/persistence';
import { EventStream } from '@hybridforms/telemetry';
import { pageLimit } from '../common/paging.js';
import { presentOperation } from '../operations/operation.presenter.js';
import { replayThenFollow } from '../common/replay-then-follow.js';
import { EventFilterQueryDto, EventListQueryDto, eventTypesOf, timeOf, VmEventsQueryDto } from './telemetry-query.dto.js';
import { presentEvent } from './telemetry.presenter.js';

// Proxies drop an idle stream; a comment-free ping keeps it open and tells the client it is live.
const PING_MS = 15_000;
// A reconnecting client is sent at most this many missed events (then it should page /events).
const REPLAY_LIMIT = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('events')
@Controller()
export class EventsController {
  constructor(
    private readonly events: EventRepository,
    private readonly stream: EventStream,
    private readonly operations: OperationProgressStream,
    private readonly vms: VmQueryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('events')
  async list(@Query() query: EventListQueryDto) {
    const page = await this.events.list(
      { ...(await this.filterOf(query)), since: timeOf('since', query.since), until: timeOf('until', query.until) },
      { limit: pageLimit(query, this.config), cursor: query.cursor },
    );
    return { items: page.items.map((event) => presentEvent(event)), nextCursor: page.nextCursor };
  }

  /**
   * Server-sent events: every event stored from now on that passes the filters, as it is stored.
   * A client that reconnects with `Last-Event-ID` (EventSource does) first gets what it missed.
   * Frames of type `operation` carry each change of a lifecycle operation on the filter's
   * provider or VM (live only: GET /operations has the history).
   */
  @Sse('events/stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Replay the events stored since this one first' })
  async live(@Query() query: EventFilterQueryDto, @Headers('last-event-id') lastEventId?: string): Promise<Observable<MessageEvent>> {
    const eventFilter = await this.filterOf(query);
    const live$ = this.stream.events$.pipe(filter((event) => matchesEventFilter(event, eventFilter)));
    const replay = () => (lastEventId && UUID.test(lastEventId) ? this.events.storedSince(lastEventId, eventFilter, REPLAY_LIMIT) : Promise.resolve([]));
    const events = replayThenFollow(live$, replay, (event) => event.id).pipe(
      map((event): MessageEvent => ({ id: event.id, type: 'event', data: presentEvent(event) })),
    );
    const operations = this.operations.changes$.pipe(
      filter((operation) => operationMatches(operation, eventFilter)),
      map((operation): MessageEvent => ({ type: 'operation', data: presentOperation(operation) })),
    );
    const pings = interval(PING_MS).pipe(map((): MessageEvent => ({ type: 'ping', data: {} })));
    return merge(events, operations, pings);
  }

  @Get('events/:id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const event = await this.events.get(id);
    if (!event) throw new NotFoundError(`event ${id} not found`);
    return presentEvent(event, { raw: true });
  }

  @Get('vms/:id/events')
  async ofVm(@Param('id', ParseUUIDPipe) id: string, @Query() query: VmEventsQueryDto) {
    const page = await this.events.list(
      { ...(await this.filterOf({ vm: id, type: query.type })), since: timeOf('since', query.since), until: timeOf('until', query.until) },
      { limit: pageLimit(query, this.config), cursor: query.cursor },
    );
    return { items: page.items.map((event) => presentEvent(event)), nextCursor: page.nextCursor };
  }

  private async filterOf(query: EventFilterQueryDto): Promise<EventFilter & { vmId?: string }> {
    const result: EventFilter & { vmId?: string } = { provider: query.provider, type: eventTypesOf(query.type) };
    if (query.vm) {
      const detail = await this.vms.detail(query.vm);
      if (!detail) throw new NotFoundError(`vm ${query.vm} not found`);
      result.vm = { providerId: detail.vm.providerId, nativeId: detail.vm.nativeId };
      result.vmId = detail.vm.id;
    }
    return result;
  }
}

/** An operation belongs to a stream filtered by provider or VM when it acts on them; event types do not apply to it. */
function operationMatches(operation: OperationEntity, eventFilter: EventFilter & { vmId?: string }): boolean {
  if (eventFilter.provider && operation.providerId !== eventFilter.provider) return false;
  if (eventFilter.vmId && operation.vmId !== eventFilter.vmId) return false;
  return true;
}
