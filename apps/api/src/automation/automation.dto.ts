import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { PLAYBOOK_RUN_STATUSES, type PlaybookRunStatus } from '@hybridforms/persistence';
import { EXTRA_VARS_MAX_BYTES, EXTRA_VARS_MAX_DEPTH } from '@hybridforms/automation';
import { OS_FAMILIES, PROVIDER_EVENT_TYPES, type OsFamily, type ProviderEventType } from '@hybridforms/core';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsBoundedJsonObject, type JsonObjectBounds } from '../common/bounded-json.validator.js';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';
import { VmFilterQueryDto } from '../inventory/vm-list-query.dto.js';

/** The run input validator (libs/automation) checks names and values; these bound the document first. */
const EXTRA_VARS_BOUNDS: JsonObjectBounds = { maxDepth: EXTRA_VARS_MAX_DEPTH, maxEntries: 4096, maxBytes: EXTRA_VARS_MAX_BYTES };
const EXTRA_VARS_DESCRIPTION = `A JSON object (at most ${EXTRA_VARS_MAX_BYTES} bytes, ${EXTRA_VARS_MAX_DEPTH} levels); every string reaches Ansible as unsafe (never templated); no ansible_* names`;

export class CreateMachineCredentialDto {
  @ApiProperty({ example: 'rhel-ops', maxLength: 128 })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, { message: 'name must be 1-128 letters, digits, spaces, dots, dashes or underscores' })
  name: string;

  @ApiProperty({ example: 'cloud-user', description: 'The SSH user runs log in as', maxLength: 65 })
  @IsString()
  @Matches(/^[a-z_][a-z0-9_.-]{0,63}\$?$/i, { message: 'username must be a POSIX user name' })
  username: string;

  @ApiProperty({ description: 'Unencrypted OpenSSH or PEM private key; write-only, never returned', writeOnly: true, minLength: 64, maxLength: 16_384 })
  @IsString()
  @Length(64, 16_384)
  privateKey: string;

  @ApiPropertyOptional({ description: 'known_hosts lines the runs check host keys against', maxLength: 262_144 })
  @IsOptional()
  @IsString()
  @Length(0, 262_144)
  knownHosts?: string;
}

export class UpdateMachineCredentialDto extends PartialType(CreateMachineCredentialDto) {}

/** The targets of a run: VM ids, or the same filters as GET /vms. */
export class RunTargetsDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', minItems: 1, maxItems: 10_000 })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  vmIds?: string[];

  @ApiPropertyOptional({ type: () => VmFilterQueryDto, description: 'The same filters as GET /vms' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VmFilterQueryDto)
  selector?: VmFilterQueryDto;
}

export class CreatePlaybookRunDto {
  @ApiProperty({ description: 'A playbook id of GET /playbooks', example: 'playbooks/rhel/gather-facts.yml', maxLength: 512 })
  @IsString()
  @Length(1, 512)
  playbook: string;

  @ApiProperty({ type: () => RunTargetsDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RunTargetsDto)
  targets: RunTargetsDto;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  credentialId: string;

  @ApiPropertyOptional({ description: EXTRA_VARS_DESCRIPTION, type: Object })
  @IsOptional()
  @IsBoundedJsonObject(EXTRA_VARS_BOUNDS)
  extraVars?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Host pattern (inventory names, groups, `!`/`&` prefixes)', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  limit?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 7 * 24 * 3600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  timeoutSeconds?: number;
}

/** A run's events page by event counter. */
export class RunEventsQueryDto extends PageQueryDto {
  cursorKind(): CursorKind {
    return 'counter';
  }
}

export class RunListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PLAYBOOK_RUN_STATUSES })
  @IsOptional()
  @IsIn([...PLAYBOOK_RUN_STATUSES])
  status?: PlaybookRunStatus;

  cursorKind(): CursorKind {
    return 'date';
  }
}

export class RuleTriggerDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only events of this provider' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiProperty({ enum: PROVIDER_EVENT_TYPES })
  @IsIn([...PROVIDER_EVENT_TYPES])
  type: ProviderEventType;

  @ApiPropertyOptional({ enum: OS_FAMILIES, description: 'Only events about VMs of this OS family' })
  @IsOptional()
  @IsIn([...OS_FAMILIES])
  osFamily?: OsFamily;
}

export class CreateAutomationRuleDto {
  @ApiProperty({ example: 'facts-on-start', maxLength: 128 })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, { message: 'name must be 1-128 letters, digits, spaces, dots, dashes or underscores' })
  name: string;

  @ApiProperty({ type: () => RuleTriggerDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RuleTriggerDto)
  on: RuleTriggerDto;

  @ApiProperty({ description: 'A playbook id of GET /playbooks', maxLength: 512 })
  @IsString()
  @Length(1, 512)
  playbook: string;

  @ApiPropertyOptional({ description: EXTRA_VARS_DESCRIPTION, type: Object })
  @IsOptional()
  @IsBoundedJsonObject(EXTRA_VARS_BOUNDS)
  extraVars?: Record<string, unknown>;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  credentialId: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'At most one run per VM within this many seconds (default 600)', minimum: 0, maximum: 7 * 24 * 3600 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(7 * 24 * 3600)
  cooldownSeconds?: number;

  @ApiPropertyOptional({ description: 'At most this many runs of the rule an hour (default 20)', minimum: 1, maximum: 10_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxRunsPerHour?: number;
}

export class UpdateAutomationRuleDto extends PartialType(CreateAutomationRuleDto) {}
