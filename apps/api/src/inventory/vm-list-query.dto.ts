import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, ArrayMaxSize } from 'class-validator';
import { LICENSE_MODELS, OS_FAMILIES, POWER_STATES } from '@hybridforms/core';
import type { VmFilter } from '@hybridforms/persistence';
import { csvOf } from '../common/paging.js';
import { cursorKindOfSort, PageQueryDto, type CursorKind } from '../common/list-query.dto.js';

/** The VM filters of `GET /vms`, shared by every route that selects VMs the same way. */
export class VmFilterQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Provider id' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${OS_FAMILIES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  osFamily?: string;

  @ApiPropertyOptional({ description: '`9` matches 9 and 9.x; `9.4` exactly', example: '9' })
  @IsOptional()
  @Matches(/^\d{1,3}(\.\d{1,3})?$/, { message: 'osVersion must be a major (9) or major.minor (9.4) version' })
  osVersion?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${LICENSE_MODELS.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  licenseModel?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${POWER_STATES.join(', ')}`, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  powerState?: string;

  @ApiPropertyOptional({ example: 'eastus' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9 _-]{1,64}$/, { message: 'location must be a location name such as eastus' })
  location?: string;

  @ApiPropertyOptional({ maxLength: 90 })
  @IsOptional()
  @IsString()
  @Length(1, 90)
  resourceGroup?: string;

  @ApiPropertyOptional({ example: 'Standard_D2s_v3' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'size must be a size name such as Standard_D2s_v3' })
  size?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  host?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  image?: string;

  @ApiPropertyOptional({ description: '`key` or `key=value`; repeat for several (all must match)', type: [String], maxItems: 10 })
  @IsOptional()
  @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @ArrayMaxSize(10)
  @Matches(/^[^=]{1,256}(=[\s\S]{0,256})?$/, { each: true, message: 'tag must be key or key=value (key 1-256 characters)' })
  tag?: string[];

  @ApiPropertyOptional({ description: 'Substring of the name, native id or an IP address', maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  q?: string;

  @ApiPropertyOptional({ enum: ['false', 'true', 'all'] })
  @IsOptional()
  @IsIn(['false', 'true', 'all'])
  archived?: 'false' | 'true' | 'all';
}

export class VmListQueryDto extends IntersectionType(VmFilterQueryDto, PageQueryDto) {
  @ApiPropertyOptional({ enum: ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'powerState', '-powerState', 'osFamily', '-osFamily'] })
  @IsOptional()
  @IsIn(['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'powerState', '-powerState', 'osFamily', '-osFamily'])
  sort?: string;

  cursorKind(): CursorKind {
    return cursorKindOfSort(this.sort);
  }
}

export function vmFilterOf(query: VmFilterQueryDto): VmFilter {
  return {
    provider: query.provider,
    osFamily: csvOf('osFamily', query.osFamily, OS_FAMILIES),
    osVersion: query.osVersion,
    licenseModel: csvOf('licenseModel', query.licenseModel, LICENSE_MODELS),
    powerState: csvOf('powerState', query.powerState, POWER_STATES),
    location: query.location,
    resourceGroup: query.resourceGroup,
    size: query.size,
    host: query.host,
    image: query.image,
    tags: query.tag,
    q: query.q,
    archived: query.archived,
  };
}

export class VmChangesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only changes of this field' })
  @IsOptional()
  @Matches(/^[A-Za-z]{1,64}$/, { message: 'field must be a field name such as powerState' })
  field?: string;

  cursorKind(): CursorKind {
    return 'date';
  }
}
