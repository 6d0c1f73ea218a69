import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiTokenEntity } from '@hybridforms/persistence';
import { AuditModule } from '../audit/audit.module.js';
import { ApiTokenService } from './api-token.service.js';
import { AuthGuard } from './auth.guard.js';
import { TokensController } from './tokens.controller.js';

/** API tokens and the global guard every route passes through. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiTokenEntity]), AuditModule],
  controllers: [TokensController],
  providers: [ApiTokenService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiTokenService],
})
export class AccessModule {}
