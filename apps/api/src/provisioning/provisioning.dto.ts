import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PROVISION_SOURCE_KINDS, LICENSE_MODELS, OS_FAMILIES } from '@hybridforms/core';
import { PROVISION_REQUEST_STATUSES, type ProvisionRequestStatus } from '@hybridforms/persistence';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';

export class ProvisionSourceQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ enum: OS_FAMILIES })
  @IsOptional()
  @IsIn([...OS_FAMILIES])
  osFamily?: string;

  @ApiPropertyOptional({ description: 'A version or its major: 9 matches 9.4', maxLength: 32 })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  osVersion?: string;

  @ApiPropertyOptional({ enum: LICENSE_MODELS })
  @IsOptional()
  @IsIn([...LICENSE_MODELS])
  licenseModel?: string;
}

/**
 * The body of POST /provision-requests. Every field is checked by the provisioning rules, which
 * list every problem at once (the pipe would stop at the first nested one).
 */
export class CreateProvisionRequestDto {
  @ApiProperty({ format: 'uuid', description: 'The provider (GET /providers)' })
  @Allow()
  provider: unknown;

  @ApiProperty({ description: `A source ref of GET /provisioning/sources (kinds: ${PROVISION_SOURCE_KINDS.join(', ')})` })
  @Allow()
  source: unknown;

  @ApiPropertyOptional({ minimum: 1, description: 'VMs to make, default 1 (at most provisioning.maxVmsPerRequest)' })
  @Allow()
  count?: unknown;

  @ApiPropertyOptional({ description: 'The name of the one VM' })
  @Allow()
  name?: unknown;

  @ApiPropertyOptional({ description: 'Names of several VMs: {n} is 1, 2, …', example: 'web-{n}' })
  @Allow()
  namePattern?: unknown;

  @ApiProperty({ description: 'Azure { vmSize }; Hyper-V { cpuCount, memoryMB, generation }', example: { vmSize: 'Standard_D2s_v5' } })
  @Allow()
  size: unknown;

  @ApiProperty({
    description: 'Azure { resourceGroup, location, subnetId, publicIp, zone }; Hyper-V { hostNativeId, switchName, vhdFolder, copyVhd }',
    example: { resourceGroup: 'rg-web', location: 'westeurope', subnetId: '/subscriptions/…/subnets/default', publicIp: false },
  })
  @Allow()
  placement: unknown;

  @ApiProperty({ description: 'The admin account: { username, sshPublicKey } (never a password)' })
  @Allow()
  admin: unknown;

  @ApiPropertyOptional({ description: 'cloud-init user data (at most provisioning.maxUserDataBytes)' })
  @Allow()
  userData?: unknown;

  @ApiPropertyOptional({ description: 'Tags of the VM (Azure tags; Hyper-V keeps them in the Notes)' })
  @Allow()
  tags?: unknown;

  @ApiPropertyOptional({ enum: ['payg', 'byos'], description: 'Azure: byos uses licenseType RHEL_BYOS (Hybrid Benefit) where the image allows it' })
  @Allow()
  licenseModel?: unknown;

  @ApiPropertyOptional({ format: 'date-time', description: 'The retirement date the VMs get' })
  @Allow()
  retiresAt?: unknown;

  @ApiPropertyOptional({ description: '{ playbook, credentialId, extraVars }: run once the VM answers SSH' })
  @Allow()
  postProvision?: unknown;

  @ApiPropertyOptional({ description: 'Keep what a failed task made (for a look), instead of deleting it' })
  @Allow()
  keepOnFailure?: unknown;
}

export class DenyProvisionRequestDto {
  @ApiProperty({ description: 'Why it is denied: the requester reads it', maxLength: 1024 })
  @IsString()
  reason: string;
}

export class ProvisionRequestListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROVISION_REQUEST_STATUSES })
  @IsOptional()
  @IsIn([...PROVISION_REQUEST_STATUSES])
  status?: ProvisionRequestStatus;

  @ApiPropertyOptional({ description: 'The token name that made the request', maxLength: 128 })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  requester?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  cursorKind(): CursorKind {
    return 'date';
  }
}
