import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsBoundedJsonObject, type JsonObjectBounds } from '../common/bounded-json.validator.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/;
const NAME_MESSAGE = 'name must be 1-128 characters: letters, digits, space, dot, underscore, hyphen; starting with a letter or digit';
// The provider type checks what is inside; these only keep absurd documents out (a CA bundle fits).
const CONFIG_BOUNDS: JsonObjectBounds = { maxDepth: 6, maxEntries: 512, maxBytes: 64 * 1024 };
const CREDENTIALS_BOUNDS: JsonObjectBounds = { maxDepth: 4, maxEntries: 64, maxBytes: 32 * 1024 };

export class CreateProviderDto {
  @ApiProperty({ example: 'azure-prod', maxLength: 128 })
  @IsString()
  @Matches(NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ example: 'azure', description: 'A registered provider type', maxLength: 32 })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'type must be a provider type such as azure' })
  type: string;

  @ApiProperty({ description: 'Non-secret settings, checked by the provider type (at most 64 KB, 6 levels)', type: Object })
  @IsBoundedJsonObject(CONFIG_BOUNDS)
  config: Record<string, unknown>;

  @ApiProperty({ description: 'Secrets (write-only: never returned; at most 32 KB, 4 levels)', type: Object })
  @IsBoundedJsonObject(CREDENTIALS_BOUNDS)
  credentials: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Full refresh interval in seconds (default from configuration)', minimum: 60, maximum: 7 * 24 * 3600 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  refreshIntervalSeconds?: number;
}

export class UpdateProviderDto {
  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @Matches(NAME, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ type: Object, description: 'Replaces the stored config (at most 64 KB, 6 levels)' })
  @IsOptional()
  @IsBoundedJsonObject(CONFIG_BOUNDS)
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ type: Object, description: 'Replaces the stored credentials (at most 32 KB, 4 levels)' })
  @IsOptional()
  @IsBoundedJsonObject(CREDENTIALS_BOUNDS)
  credentials?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 60, maximum: 7 * 24 * 3600 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  refreshIntervalSeconds?: number;
}

export class RefreshRequestDto {
  @ApiPropertyOptional({ description: 'Refresh only these VMs (our ids); omitted = full refresh', type: [String], format: 'uuid', minItems: 1, maxItems: 500 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true, message: 'vmIds must be VM ids (UUIDs)' })
  vmIds?: string[];
}
