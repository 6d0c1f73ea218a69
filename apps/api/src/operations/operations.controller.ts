import { Body, Controller, Get, Headers, HttpCode, Inject, MessageEvent, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { concat, defer, filter, from, map, merge, takeWhile, type Observable } from 'rxjs';
import { APP_CONFIG, BadInputError, type AppConfig } from '@hybridforms/core';
import { OperationProgressStream, OperationQueries, RequestVmAction, RetireVm } from '@hybridforms/operations';
import { FINISHED_OPERATION_STATUSES } from '@hybridforms/persistence';
import { Audited, RequireRole } from '../auth/access.decorators.js';
import { requesterOf, type AuthenticatedRequest } from '../auth/request-context.js';
import { pageLimit } from '../common/paging.js';
import { writeSse } from '../common/sse-response.js';
import { vmFilterOf } from '../inventory/vm-list-query.dto.js';
import { BulkVmActionDto, OperationListQueryDto, RetireVmDto, UpdateVmDto, VmActionDto } from './operations.dto.js';
import { presentBatch, presentOperation } from './operation.presenter.js';

@ApiTags('operations')
@Controller()
export class OperationsController {
  constructor(
    private readonly actions: RequestVmAction,
    private readonly retirement: RetireVm,
    private readonly operations: OperationQueries,
    private readonly progress: OperationProgressStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A power action on one VM: 202 with the operation; 400 for an action its provider lacks, 409 when the VM cannot take it now. */
  @Post('vms/:id/actions')
  @RequireRole('operator')
  @Audited('vm.action', 'vm')
  @HttpCode(202)
  async act(@Param('id', ParseUUIDPipe) id: string, @Body() body: VmActionDto, @Req() request: AuthenticatedRequest) {
    return presentOperation(await this.actions.request(id, body, requesterOf(request)));
  }

  /** A power action on a selection: one operation per VM that can take it, the others listed as skipped with the reason. */
  @Post('vm-actions')
  @RequireRole('operator')
  @Audited('vm.action-batch')
  @HttpCode(202)
  async actOnMany(@Body() body: BulkVmActionDto, @Req() request: AuthenticatedRequest) {
    const { vmIds, selector } = body.targets;
    if (!vmIds === !selector) throw new BadInputError('targets: give exactly one of vmIds or selector');
    const batch = await this.actions.requestMany(vmIds ? { vmIds } : { selector: vmFilterOf(selector!) }, body, requesterOf(request));
    return presentBatch(batch);
  }

  /** Sets or clears the VM's retirement date (the only field of a VM that is ours to change). */
  @Patch('vms/:id')
  @RequireRole('admin')
  @Audited('vm.retirement-date', 'vm')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateVmDto, @Req() request: AuthenticatedRequest) {
    const retirement = await this.retirement.schedule(id, body.retiresAt, requesterOf(request));
    return { id, retiresAt: retirement?.retiresAt ?? null, warnedAt: retirement?.warnedAt ?? null, setBy: retirement?.setBy ?? null };
  }

  /** Retires the VM now: stop, delete it and what it owns, archive it as retired. A failed retirement is taken up where it stopped. */
  @Post('vms/:id/retire')
  @RequireRole('admin')
  @Audited('vm.retire', 'vm')
  @HttpCode(202)
  async retire(@Param('id', ParseUUIDPipe) id: string, @Body() body: RetireVmDto, @Req() request: AuthenticatedRequest) {
    return presentOperation(await this.retirement.retire(id, body.confirm, requesterOf(request)));
  }

  /** A failed operation again, from the step that failed (what is done stays done). */
  @Post('operations/:id/resume')
  @RequireRole('operator')
  @Audited('operation.resume', 'operation')
  @HttpCode(202)
  async resume(@Param('id', ParseUUIDPipe) id: string) {
    return presentOperation(await this.retirement.resume(await this.operations.get(id)));
  }

  @Get('operations')
  async list(@Query() query: OperationListQueryDto) {
    const page = await this.operations.list(
      { vmId: query.vm, status: query.status, kind: query.kind, batchId: query.batch },
      { limit: pageLimit(query, this.config), cursor: query.cursor },
    );
    return { items: page.items.map(presentOperation), nextCursor: page.nextCursor };
  }

  /** The operation; with `Accept: text/event-stream`, it now and at each change until it ends. */
  @Get('operations/:id')
  @ApiProduces('application/json', 'text/event-stream')
  async get(@Param('id', ParseUUIDPipe) id: string, @Headers('accept') accept: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const operation = await this.operations.get(id);
    if (!accept?.includes('text/event-stream')) {
      res.json(presentOperation(operation));
      return;
    }
    writeSse(req, res, this.follow$(id));
  }

  /** Subscribed before the first read: a change between the two is not lost. */
  private follow$(id: string): Observable<MessageEvent> {
    const live = this.progress.of(id);
    const current = defer(() => from(this.operations.get(id)));
    const unfinished = (status: string) => !FINISHED_OPERATION_STATUSES.includes(status as never);
    return concat(
      merge(current, live).pipe(
        takeWhile((operation) => unfinished(operation.status), true),
        filter(Boolean),
        map((operation): MessageEvent => ({ type: unfinished(operation.status) ? 'operation' : 'end', data: presentOperation(operation) })),
      ),
    );
  }
}
