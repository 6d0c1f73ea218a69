import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import type { RefreshDispatcher } from './refresh.service.js';
import { RefreshService } from './refresh.service.js';

/**
 * Embedded mode: refreshes run in this process, at most `refresh.concurrency` at once, the rest
 * in request order. (The scaled-out job queue replaces this dispatcher.)
 */
@Injectable()
export class InProcessRefreshDispatcher implements RefreshDispatcher, OnApplicationShutdown {
  private readonly logger = new Logger(InProcessRefreshDispatcher.name);
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  dispatch(refreshId: string): void {
    if (this.stopping || this.running.has(refreshId) || this.waiting.includes(refreshId)) return;
    this.waiting.push(refreshId);
    this.pump();
  }

  /** Resolves when nothing is waiting or running (tests and the demo's first refresh). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.waiting.length > 0) {
      await Promise.race([...this.running.values()]);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.waiting.length = 0;
    await Promise.allSettled([...this.running.values()]);
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.config.refresh.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      // Resolved lazily: RefreshService depends on this dispatcher.
      const service = this.moduleRef.get(RefreshService, { strict: false });
      const work = service
        .run(id)
        .catch((error: Error) => this.logger.error(`refresh ${id} crashed: ${error.message}`))
        .finally(() => {
          this.running.delete(id);
          this.pump();
        });
      this.running.set(id, work);
    }
  }
}
