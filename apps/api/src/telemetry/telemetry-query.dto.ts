import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { BadInputError, METRIC_NAMES, PROVIDER_EVENT_TYPES, type MetricName } from '@hybridforms/core';
import { METRIC_INTERVALS, type MetricInterval } from '@hybridforms/persistence';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';
import { csvOf } from '../common/paging.js';
import { VmFilterQueryDto } from '../inventory/vm-list-query.dto.js';

/** Filters shared by the event list and the live stream. */
export class EventFilterQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Provider id' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'VM id (its events, including those from before it was inventoried)' })
  @IsOptional()
  @IsUUID()
  vm?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${PROVIDER_EVENT_TYPES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  type?: string;
}

export class EventTimeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class EventListQueryDto extends IntersectionType(EventFilterQueryDto, EventTimeQueryDto, PageQueryDto) {
  cursorKind(): CursorKind {
    return 'date';
  }
}

export class VmEventsQueryDto extends IntersectionType(EventTimeQueryDto, PageQueryDto) {
  @ApiPropertyOptional({ description: `Comma-separated: ${PROVIDER_EVENT_TYPES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  type?: string;

  cursorKind(): CursorKind {
    return 'date';
  }
}

/** A time window; `interval` picks the table (auto: the finest that still holds `from`). */
export class MetricWindowQueryDto {
  @ApiPropertyOptional({ description: `Comma-separated metric names (default: all): ${METRIC_NAMES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  name?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Start (default: one hour before `to`)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: [...METRIC_INTERVALS, 'auto'] })
  @IsOptional()
  @IsIn([...METRIC_INTERVALS, 'auto'])
  interval?: MetricInterval | 'auto';
}

export class MetricSummaryQueryDto extends IntersectionType(VmFilterQueryDto, MetricWindowQueryDto) {}

export function eventTypesOf(value: string | undefined) {
  return csvOf('type', value, PROVIDER_EVENT_TYPES);
}

export function metricNamesOf(value: string | undefined): MetricName[] {
  return csvOf('name', value, METRIC_NAMES) ?? [...METRIC_NAMES];
}

export function timeOf(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new BadInputError(`${name}: not a date-time`);
  return date;
}

/** The window of a metrics query: defaults, order and the table to read. */
export function metricWindowOf(query: MetricWindowQueryDto, intervalFor: (from: Date) => MetricInterval, now = new Date()) {
  const to = timeOf('to', query.to) ?? now;
  const from = timeOf('from', query.from) ?? new Date(to.getTime() - 3600_000);
  if (from >= to) throw new BadInputError('from: must be before to');
  const interval = !query.interval || query.interval === 'auto' ? intervalFor(from) : query.interval;
  return { from, to, interval };
}
