import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '@hybridforms/core';
import { VmQueryRepository } from '@hybridforms/persistence';
import { MetricQueryService } from '@hybridforms/telemetry';
import { vmFilterOf } from '../inventory/vm-list-query.dto.js';
import { MetricSummaryQueryDto, metricNamesOf, MetricWindowQueryDto, metricWindowOf } from './telemetry-query.dto.js';

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricQueryService,
    private readonly vms: VmQueryRepository,
  ) {}

  /** A VM's series: raw PT1M samples, or hourly/daily rollups (mean, min, max, count per bucket). */
  @Get('vms/:id/metrics')
  async ofVm(@Param('id', ParseUUIDPipe) id: string, @Query() query: MetricWindowQueryDto) {
    const names = metricNamesOf(query.name);
    const window = metricWindowOf(query, (from) => this.metrics.intervalFor(from));
    if ((await this.vms.exists([id])).length === 0) throw new NotFoundError(`vm ${id} not found`);
    return { vmId: id, ...window, series: await this.metrics.series(id, names, window) };
  }

  /** Fleet averages per metric over the VMs that match the `/vms` filters. */
  @Get('metrics/summary')
  async summary(@Query() query: MetricSummaryQueryDto) {
    const names = metricNamesOf(query.name);
    const window = metricWindowOf(query, (from) => this.metrics.intervalFor(from));
    return { ...window, ...(await this.metrics.summary(vmFilterOf(query), window, names)) };
  }
}
