import { Controller, Get, Inject, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, NotFoundError, type AppConfig } from '@hybridforms/core';
import { OperationRepository, RetirementRepository, VmQueryRepository } from '@hybridforms/persistence';
import { pageLimit } from '../common/paging.js';
import { presentChange, presentDisk, presentHost, presentImage, presentNic, presentVm } from './inventory.presenter.js';
import { vmFilterOf, VmChangesQueryDto, VmFilterQueryDto, VmListQueryDto } from './vm-list-query.dto.js';

@ApiTags('vms')
@Controller('vms')
export class VmsController {
  constructor(
    private readonly vms: VmQueryRepository,
    private readonly operations: OperationRepository,
    private readonly retirements: RetirementRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@Query() query: VmListQueryDto) {
    const page = await this.vms.list(
      vmFilterOf(query),
      { limit: pageLimit(query, this.config), cursor: query.cursor, sort: query.sort },
    );
    return { items: page.items.map(presentVm), nextCursor: page.nextCursor };
  }

  /** How many VMs the same filters as `GET /vms` match (declared before `:id`, which would take `count` for an id). */
  @Get('count')
  async count(@Query() query: VmFilterQueryDto) {
    return { count: await this.vms.count(vmFilterOf(query)) };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const detail = await this.vms.detail(id);
    if (!detail) throw new NotFoundError(`vm ${id} not found`);
    const [retirement, active, provision] = await Promise.all([this.retirements.of(id), this.operations.activeOfVm(id), this.operations.provisionOf(id)]);
    return {
      ...presentVm(detail.vm),
      details: detail.vm.details,
      nics: detail.nics.map(presentNic),
      disks: detail.disks.map(presentDisk),
      host: detail.host ? presentHost(detail.host) : null,
      image: detail.image ? presentImage(detail.image) : null,
      retirement: retirement ? { retiresAt: retirement.retiresAt, warnedAt: retirement.warnedAt, setBy: retirement.setBy } : null,
      activeOperation: active ? { id: active.id, kind: active.kind, action: active.action, status: active.status } : null,
      // The provision request (and its task) that made the VM, when Hybridforms made it.
      provisionedBy: provision ? { requestId: provision.provisionRequestId, taskId: provision.id, requestedBy: provision.requestedBy, status: provision.status } : null,
    };
  }

  @Get(':id/changes')
  async changes(@Param('id', ParseUUIDPipe) id: string, @Query() query: VmChangesQueryDto) {
    if ((await this.vms.exists([id])).length === 0) throw new NotFoundError(`vm ${id} not found`);
    const page = await this.vms.changesOf(id, { limit: pageLimit(query, this.config), cursor: query.cursor, field: query.field });
    return { items: page.items.map(presentChange), nextCursor: page.nextCursor };
  }
}
