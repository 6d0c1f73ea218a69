import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, IsOptional, IsString, IsUUID, ValidateIf, ValidateNested } from 'class-validator';
import { VM_ACTIONS } from '@hybridforms/core';
import { OPERATION_KINDS, OPERATION_STATUSES, type OperationKind, type OperationStatus } from '@hybridforms/persistence';
import { RunTargetsDto } from '../automation/automation.dto.js';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';

const ACTION_DESCRIPTION =
  'start; stop (Azure: powerOff — the guest stops but the VM stays allocated and its compute is still billed; Hyper-V: a graceful shutdown through the ' +
  'shutdown integration service, or with force: true a turn-off); deallocate (Azure only: stops compute billing); restart; suspend and resume (Hyper-V only: Save-VM, ' +
  'and Start-VM/Resume-VM from saved or paused). An action a provider does not offer is a 400 naming those it does.';

export class VmActionDto {
  @ApiProperty({ enum: VM_ACTIONS, description: ACTION_DESCRIPTION })
  @IsString()
  action: string;

  @ApiPropertyOptional({ description: 'stop only: Hyper-V turns the VM off instead of shutting the guest down; Azure powers off without a graceful shutdown (skipShutdown)' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class BulkVmActionDto extends VmActionDto {
  @ApiProperty({ type: () => RunTargetsDto, description: 'VM ids, or the same filters as GET /vms (at most operations.maxTargets VMs)' })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RunTargetsDto)
  targets: RunTargetsDto;
}

export class OperationListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only operations on this VM' })
  @IsOptional()
  @IsUUID()
  vm?: string;

  @ApiPropertyOptional({ enum: OPERATION_STATUSES })
  @IsOptional()
  @IsIn([...OPERATION_STATUSES])
  status?: OperationStatus;

  @ApiPropertyOptional({ enum: OPERATION_KINDS })
  @IsOptional()
  @IsIn([...OPERATION_KINDS])
  kind?: OperationKind;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the operations of one POST /vm-actions' })
  @IsOptional()
  @IsUUID()
  batch?: string;

  cursorKind(): CursorKind {
    return 'date';
  }
}

export class RetireVmDto {
  @ApiProperty({ description: "The VM's name, to say which VM is to be stopped and deleted with what it owns" })
  @IsString()
  confirm: string;
}

export class UpdateVmDto {
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When the retirement job stops and deletes the VM (a warning event comes operations.retirementWarningDays before); null clears it' })
  @IsDefined({ message: 'retiresAt: give a date-time, or null to clear it' })
  @ValidateIf((_dto, value) => value !== null)
  @IsString()
  retiresAt: string | null;
}
