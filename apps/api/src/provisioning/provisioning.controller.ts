import { Body, Controller, Get, Headers, HttpCode, Inject, MessageEvent, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { concatMap, distinctUntilChanged, filter, from, interval, map, merge, of, takeWhile, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { OperationProgressStream } from '@hybridforms/operations';
import { FINISHED_OPERATION_STATUSES, FINISHED_PROVISION_REQUEST_STATUSES } from '@hybridforms/persistence';
import { DecideProvisionRequest, ProvisionRequestQueries, ProvisionSources, SubmitProvisionRequest } from '@hybridforms/provisioning';
import { Audited, RequireRole } from '../auth/access.decorators.js';
import { requesterOf, type AuthenticatedRequest } from '../auth/request-context.js';
import { pageLimit } from '../common/paging.js';
import { writeSse } from '../common/sse-response.js';
import { CreateProvisionRequestDto, DenyProvisionRequestDto, ProvisionRequestListQueryDto, ProvisionSourceQueryDto } from './provisioning.dto.js';
import { presentProvisionRequest } from './provision-request.presenter.js';

/** A request has ended once it is denied, or its status is final and its last task has ended. */
const PROVISION_ENDED = (view: ReturnType<typeof presentProvisionRequest>) =>
  FINISHED_PROVISION_REQUEST_STATUSES.includes(view.status) && (view.tasks ?? []).every((task) => FINISHED_OPERATION_STATUSES.includes(task.status));

@ApiTags('provisioning')
@Controller()
export class ProvisioningController {
  constructor(
    private readonly sources: ProvisionSources,
    private readonly submission: SubmitProvisionRequest,
    private readonly decisions: DecideProvisionRequest,
    private readonly requests: ProvisionRequestQueries,
    private readonly progress: OperationProgressStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** What VMs can be made from, with the classification a VM made from each gets; providers that could not say are listed in `errors`. */
  @Get('provisioning/sources')
  async listSources(@Query() query: ProvisionSourceQueryDto) {
    return this.sources.list({ providerId: query.provider, osFamily: query.osFamily, osVersion: query.osVersion, licenseModel: query.licenseModel });
  }

  /** 201 with the request: `approved` when the approval policy allows it, else `pending_approval`; 400 listing every problem. */
  @Post('provision-requests')
  @RequireRole('operator')
  @Audited('provision-request.create', 'provision-request')
  async create(@Body() body: CreateProvisionRequestDto, @Req() request: AuthenticatedRequest) {
    return presentProvisionRequest(await this.submission.submit({ ...body }, requesterOf(request)));
  }

  @Post('provision-requests/:id/approve')
  @RequireRole('admin')
  @Audited('provision-request.approve', 'provision-request')
  @HttpCode(200)
  async approve(@Param('id', ParseUUIDPipe) id: string, @Req() request: AuthenticatedRequest) {
    return presentProvisionRequest(await this.decisions.approve(id, requesterOf(request)));
  }

  @Post('provision-requests/:id/deny')
  @RequireRole('admin')
  @Audited('provision-request.deny', 'provision-request')
  @HttpCode(200)
  async deny(@Param('id', ParseUUIDPipe) id: string, @Body() body: DenyProvisionRequestDto, @Req() request: AuthenticatedRequest) {
    return presentProvisionRequest(await this.decisions.deny(id, body.reason, requesterOf(request)));
  }

  /** Canceled at once; a running request's tasks stop before their next step and delete what they made. */
  @Post('provision-requests/:id/cancel')
  @RequireRole('operator')
  @Audited('provision-request.cancel', 'provision-request')
  @HttpCode(200)
  async cancel(@Param('id', ParseUUIDPipe) id: string, @Req() request: AuthenticatedRequest) {
    return presentProvisionRequest(await this.decisions.cancel(id, requesterOf(request)));
  }

  @Get('provision-requests')
  async list(@Query() query: ProvisionRequestListQueryDto) {
    const page = await this.requests.list({ status: query.status, requester: query.requester, providerId: query.provider }, { limit: pageLimit(query, this.config), cursor: query.cursor });
    return { items: page.items.map((item) => presentProvisionRequest(item)), nextCursor: page.nextCursor };
  }

  /** The request with its tasks and their steps; with `Accept: text/event-stream`, it now and at each change until it has ended. */
  @Get('provision-requests/:id')
  @ApiProduces('application/json', 'text/event-stream')
  async get(@Param('id', ParseUUIDPipe) id: string, @Headers('accept') accept: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { request, tasks } = await this.requests.get(id);
    if (!accept?.includes('text/event-stream')) {
      res.json(presentProvisionRequest(request, tasks));
      return;
    }
    writeSse(req, res, this.follow$(id));
  }

  /**
   * Read again at each change of one of its tasks (a step begun or ended), and every few seconds
   * for what no task announces (an approval, a denial); each distinct state once.
   */
  private follow$(id: string): Observable<MessageEvent> {
    const taskChanged = this.progress.changes$.pipe(filter((operation) => operation.provisionRequestId === id));
    return merge(of(null), taskChanged, interval(2000)).pipe(
      concatMap(() => from(this.requests.get(id))),
      map(({ request, tasks }) => presentProvisionRequest(request, tasks)),
      distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
      takeWhile((view) => !PROVISION_ENDED(view), true),
      map((view): MessageEvent => ({ type: PROVISION_ENDED(view) ? 'end' : 'request', data: view })),
    );
  }
}
