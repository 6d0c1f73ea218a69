import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { MetricCapture, ProvidersService, RefreshService } from '@hybridforms/discovery';
import { EventStore } from '@hybridforms/telemetry';
import type { ProviderEntity } from '@hybridforms/persistence';
import { CreateProviderDto, RefreshRequestDto, UpdateProviderDto } from './provider.dto.js';
import { presentRefresh } from '../refreshes/refresh.presenter.js';
import { Audited, RequireRole } from '../auth/access.decorators.js';

/** What the API shows of a provider: never its credentials. */
export function presentProvider(provider: ProviderEntity) {
  return {
    id: provider.id,
    name: provider.name,
    type: provider.type,
    config: provider.config,
    refreshIntervalSeconds: provider.refreshIntervalSeconds,
    lastFullRefreshAt: provider.lastFullRefreshAt,
    createdAt: provider.createdAt,
    updatedAt: provider.updatedAt,
  };
}

@ApiTags('providers')
@Controller('providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProvidersService,
    private readonly refreshes: RefreshService,
    private readonly events: EventStore,
    private readonly metrics: MetricCapture,
  ) {}

  @Post()
  @Audited('provider.create', 'provider')
  async create(@Body() body: CreateProviderDto) {
    const provider = await this.providers.create(body);
    // Like CloudForms, a new provider is inventoried right away.
    const { refresh } = await this.refreshes.request(provider.id, { trigger: 'created' });
    return { ...presentProvider(provider), refreshId: refresh.id };
  }

  @Get()
  async list() {
    const providers = await this.providers.list();
    return { items: providers.map(presentProvider), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentProvider(await this.providers.get(id));
  }

  /** Where event catching and metric capture stand for this provider, and their last error. */
  @Get(':id/telemetry')
  async telemetry(@Param('id', ParseUUIDPipe) id: string) {
    await this.providers.get(id);
    const [events, metrics] = await Promise.all([this.events.state(id), this.metrics.state(id)]);
    return {
      events: {
        polledAt: events?.polledAt ?? null,
        succeededAt: events?.succeededAt ?? null,
        lastError: events?.lastError ?? null,
        eventsStored: events?.eventsStored ?? 0,
      },
      metrics: {
        capturedAt: metrics?.capturedAt ?? null,
        capturedUntil: metrics?.capturedUntil ?? null,
        lastError: metrics?.lastError ?? null,
        samplesStored: metrics?.samplesStored ?? 0,
      },
    };
  }

  @Patch(':id')
  @Audited('provider.update', 'provider')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateProviderDto) {
    return presentProvider(await this.providers.update(id, body));
  }

  @Delete(':id')
  @Audited('provider.delete', 'provider')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.providers.remove(id);
  }

  @Post(':id/refresh')
  @RequireRole('operator')
  @Audited('refresh.request', 'provider')
  @HttpCode(202)
  async refresh(@Param('id', ParseUUIDPipe) id: string, @Body() body: RefreshRequestDto = {}) {
    const nativeIds = body?.vmIds?.length ? await this.refreshes.nativeIdsOfVms(id, body.vmIds) : undefined;
    const { refresh, joined } = await this.refreshes.request(id, { trigger: 'api', nativeIds });
    return { ...presentRefresh(refresh), joined };
  }
}
