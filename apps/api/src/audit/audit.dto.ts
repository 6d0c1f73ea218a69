import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { AUDIT_OUTCOMES, type AuditOutcome } from '@hybridforms/persistence';
import { PageQueryDto, type CursorKind } from '../common/list-query.dto.js';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Token name (env-admin for HYBRIDFORMS_ADMIN_TOKEN, anonymous for refused requests without a token)' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  actor?: string;

  @ApiPropertyOptional({ description: 'e.g. provider.create, playbook-run.cancel, token.revoke' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ description: 'The id the change was about' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  targetId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' })
  @IsOptional()
  @IsDateString({ strict: true })
  until?: string;

  cursorKind(): CursorKind {
    return 'date';
  }
}
