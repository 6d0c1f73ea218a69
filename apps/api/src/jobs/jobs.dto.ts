import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** What a job kind looks like (`refresh`, `event-poll`): also what keeps a filter out of the broker's key space. */
export const JOB_KIND_PATTERN = /^[a-z0-9-]{1,64}$/;
/** Job ids are the queue's own (UUIDs in-process, BullMQ's ids); anything else cannot name a job. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9:_-]{1,128}$/;
export const FAILED_JOBS_DEFAULT_LIMIT = 50;
export const FAILED_JOBS_MAX_LIMIT = 200;

export class FailedJobsQueryDto {
  @ApiPropertyOptional({ description: 'Only jobs of this kind', pattern: JOB_KIND_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(JOB_KIND_PATTERN, { message: 'kind: lower-case letters, digits and dashes, 1 to 64 of them' })
  kind?: string;

  @ApiPropertyOptional({ description: 'Newest first, this many at most', minimum: 1, maximum: FAILED_JOBS_MAX_LIMIT, default: FAILED_JOBS_DEFAULT_LIMIT, type: 'integer' })
  @IsOptional()
  // Decimal digits only: `1e3`, `0x10`, ` 5` are not counts.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(FAILED_JOBS_MAX_LIMIT)
  limit?: number;
}
