import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Min } from 'class-validator';

/** Paging every list takes; the largest limit is checked against the configuration. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Items per page (at most api.maxPageSize)', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  cursor?: string;
}

export class InventoryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ description: 'Substring of the name or native id' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  q?: string;

  @ApiPropertyOptional({ enum: ['false', 'true', 'all'], description: 'Archived records: hidden (default), only, or both' })
  @IsOptional()
  @IsIn(['false', 'true', 'all'])
  archived?: 'false' | 'true' | 'all';

  @ApiPropertyOptional({ enum: ['name', '-name', 'createdAt', '-createdAt'] })
  @IsOptional()
  @IsIn(['name', '-name', 'createdAt', '-createdAt'])
  sort?: string;
}
