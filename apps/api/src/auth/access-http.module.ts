import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '@hybridforms/access';
import { AuthGuard } from './auth.guard.js';
import { TokensController } from './tokens.controller.js';

/** The global guard every route passes through, and the token routes. */
@Module({
  imports: [AccessModule],
  controllers: [TokensController],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
})
export class AccessHttpModule {}
