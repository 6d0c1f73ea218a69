import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { DecideProvisionRequest, ProvisionRequestQueries, ProvisionSources, SubmitProvisionRequest } from '@hybridforms/provisioning';
import { Audited, RequireRole } from '../auth/access.decorators.js';
import { requesterOf, type AuthenticatedRequest } from '../auth/request-context.js';
import { pageLimit } from '../common/paging.js';
import { CreateProvisionRequestDto, DenyProvisionRequestDto, ProvisionRequestListQueryDto, ProvisionSourceQueryDto } from './provisioning.dto.js';
import { presentProvisionRequest } from './provision-request.presenter.js';

@ApiTags('provisioning')
@Controller()
export class ProvisioningController {
  constructor(
    private readonly sources: ProvisionSources,
    private readonly submission: SubmitProvisionRequest,
    private readonly decisions: DecideProvisionRequest,
    private readonly requests: ProvisionRequestQueries,
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

  @Get('provision-requests/:id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const { request, tasks } = await this.requests.get(id);
    return presentProvisionRequest(request, tasks);
  }
}
