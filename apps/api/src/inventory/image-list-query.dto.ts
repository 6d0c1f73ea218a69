import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { OS_FAMILIES } from '@hybridforms/core';
import { InventoryListQueryDto } from '../common/list-query.dto.js';

export class ImageListQueryDto extends InventoryListQueryDto {
  @ApiPropertyOptional({ description: `Comma-separated: ${OS_FAMILIES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  osFamily?: string;
}
