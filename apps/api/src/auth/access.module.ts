import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { ApiTokenEntity } from '@hybridforms/persistence';
import { AuditModule } from '../audit/audit.module.js';
import { ApiTokenService } from './api-token.service.js';
import { AuthGuard } from './auth.guard.js';
import { AUTH_FAILURE_COUNTER, LocalAuthFailureCounter, RedisAuthFailureCounter, type AuthFailureCounter } from './cluster-auth-failure.limiter.js';
import { TokensController } from './tokens.controller.js';

@Injectable()
class AuthFailureCounterCloser implements OnApplicationShutdown {
  constructor(@Inject(AUTH_FAILURE_COUNTER) private readonly counter: AuthFailureCounter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}

/** API tokens and the global guard every route passes through (failed attempts counted cluster-wide in distributed mode). */
@Module({
  imports: [TypeOrmModule.forFeature([ApiTokenEntity]), AuditModule],
  controllers: [TokensController],
  providers: [
    ApiTokenService,
    {
      provide: AUTH_FAILURE_COUNTER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): AuthFailureCounter =>
        config.queue.redisUrl === null
          ? new LocalAuthFailureCounter(config.auth.maxFailuresPerMinute)
          : new RedisAuthFailureCounter(config.queue.redisUrl, config.queue.prefix, config.auth.maxFailuresPerMinute),
    },
    AuthFailureCounterCloser,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [ApiTokenService],
})
export class AccessModule {}
