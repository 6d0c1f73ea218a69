import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/;
const NAME_MESSAGE = 'name must be 1-128 characters: letters, digits, space, dot, underscore, hyphen; starting with a letter or digit';

export class CreateProviderDto {
  @ApiProperty({ example: 'azure-prod' })
  @IsString()
  @Matches(NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ example: 'azure', description: 'A registered provider type' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'type must be a provider type such as azure' })
  type: string;

  @ApiProperty({ description: 'Non-secret settings, checked by the provider type', type: Object })
  @IsObject()
  config: Record<string, unknown>;

  @ApiProperty({ description: 'Secrets (write-only: never returned)', type: Object })
  @IsObject()
  credentials: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Full refresh interval in seconds (default from configuration)', minimum: 60 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  refreshIntervalSeconds?: number;
}

export class UpdateProviderDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(NAME, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ type: Object })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ type: Object, description: 'Replaces the stored credentials' })
  @IsOptional()
  @IsObject()
  credentials?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 60 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  refreshIntervalSeconds?: number;
}

export class RefreshRequestDto {
  @ApiPropertyOptional({ description: 'Refresh only these VMs (our ids); omitted = full refresh', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Matches(/^[0-9a-f-]{36}$/i, { each: true, message: 'vmIds must be VM ids (UUIDs)' })
  vmIds?: string[];
}
