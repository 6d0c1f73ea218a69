import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { ProviderRepository, type ProviderEntity } from '@hybridforms/persistence';
import { RefreshRunner } from './refresh.runner.js';
import { RefreshService } from './refresh.service.js';

/**
 * Scheduled discovery: the body of the `refresh-tick` job (fired once per cluster per tick). The
 * tick only fans out: it lists the providers whose interval has run out and asks for one full
 * refresh each, each with its own error handling, so one failing provider never stops the others.
 */
@Injectable()
export class RefreshScheduler {
  private readonly logger = new Logger(RefreshScheduler.name);
  private ticking = false;

  constructor(
    private readonly providers: ProviderRepository,
    private readonly refreshes: RefreshService,
    private readonly runner: RefreshRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * One pass: fail abandoned refreshes, hand queued ones whose job was lost to the queue again,
   * then request a full refresh of every provider that is due.
   */
  async tick(now = new Date()): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const started: string[] = [];
    try {
      await this.runner.failAbandoned(false);
      await this.refreshes.redispatchQueued();
      for (const provider of await this.providers.list()) {
        if (!this.isDue(provider, now)) continue;
        try {
          const { refresh, joined } = await this.refreshes.request(provider.id, { trigger: 'schedule' });
          if (!joined) started.push(refresh.id);
        } catch (error) {
          this.logger.error(`scheduled refresh of provider ${provider.name} could not start: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      this.logger.error(`scheduler tick failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
    return started;
  }

  isDue(provider: ProviderEntity, now: Date): boolean {
    const interval = (provider.refreshIntervalSeconds ?? this.config.refresh.defaultIntervalSeconds) * 1000;
    return !provider.lastFullRefreshAt || provider.lastFullRefreshAt.getTime() + interval <= now.getTime();
  }
}
