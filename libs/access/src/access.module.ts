import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { ApiTokenService } from './api-token.service.js';
import { AuditLogService } from './audit-log.service.js';
import { AUTH_FAILURE_COUNTER, LocalAuthFailureCounter, RedisAuthFailureCounter, type AuthFailureCounter } from './cluster-auth-failure.limiter.js';

@Injectable()
class AuthFailureCounterCloser implements OnApplicationShutdown {
  constructor(@Inject(AUTH_FAILURE_COUNTER) private readonly counter: AuthFailureCounter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}

/**
 * Who may do what, and what was done: API tokens, failed authentications (counted cluster-wide in
 * distributed mode) and the audit log. No routes: the API app puts its guard and controllers on it.
 */
@Module({
  providers: [
    ApiTokenService,
    AuditLogService,
    {
      provide: AUTH_FAILURE_COUNTER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): AuthFailureCounter =>
        config.queue.redisUrl === null
          ? new LocalAuthFailureCounter(config.auth.maxFailuresPerMinute)
          : new RedisAuthFailureCounter(config.queue.redisUrl, config.queue.prefix, config.auth.maxFailuresPerMinute),
    },
    AuthFailureCounterCloser,
  ],
  exports: [ApiTokenService, AuditLogService, AUTH_FAILURE_COUNTER],
})
export class AccessModule {}
