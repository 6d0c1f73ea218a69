import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { REFRESH_STATUSES } from '@hybridforms/persistence';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';

export class RefreshListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${REFRESH_STATUSES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  status?: string;

  /** Newest first, by request time. */
  cursorKind(): CursorKind {
    return 'date';
  }
}
