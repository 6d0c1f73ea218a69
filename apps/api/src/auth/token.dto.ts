import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ROLES, type Role } from '@hybridforms/core';

export class CreateTokenDto {
  @ApiProperty({ description: 'Who or what holds the token (shown in the audit log)', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(/^[\w.@:-][\w .@:-]*$/, { message: 'name: letters, digits, spaces and . _ - @ : only' })
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ description: 'ISO 8601; the token stops working then', format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string;
}
