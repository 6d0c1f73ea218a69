import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '@hybridforms/access';
import { AuthGuard } from './auth.guard.js';
import { TokensController } from './tokens.controller.js';
import { WhoamiController } from './whoami.controller.js';

/** The global guard every route passes through, the token routes and the caller's own identity. */
@Module({
  imports: [AccessModule],
  controllers: [TokensController, WhoamiController],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
})
export class AccessHttpModule {}
