import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { ACTIVE_REFRESH_STATUSES, RefreshEntity } from '@hybridforms/persistence';
import type { RefreshDispatcher } from './refresh.service.js';

/** The job kind that runs one refresh (payload: its id). */
export const REFRESH_JOB = 'refresh';

/**
 * Queued refreshes become `refresh` jobs keyed by the refresh's id, run by whichever process runs
 * jobs (this one in embedded mode, a worker in a cluster). The database's one-active-refresh-per-
 * provider index is what makes a provider's refreshes exclusive; the key only stops a refresh
 * being queued twice. A refresh whose job could not be enqueued (the broker down) stays queued in
 * the database, and the scheduler's tick hands it over again.
 */
@Injectable()
export class JobQueueRefreshDispatcher implements RefreshDispatcher {
  private readonly logger = new Logger(JobQueueRefreshDispatcher.name);

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @InjectRepository(RefreshEntity) private readonly refreshes: Repository<RefreshEntity>,
  ) {}

  dispatch(refreshId: string): void {
    this.queue
      .enqueue(REFRESH_JOB, { refreshId }, { key: refreshId })
      .catch((error: Error) => this.logger.error(`refresh ${refreshId} could not be queued (${error.message}); the next scheduler tick retries`));
  }

  /** Resolves when no refresh is queued or running, in the database or the queue (tests, the demo's first refresh). */
  async idle(): Promise<void> {
    for (;;) {
      const counts = (await this.queue.counts())[REFRESH_JOB];
      const jobs = counts ? counts.waiting + counts.delayed + counts.active : 0;
      if (jobs === 0 && (await this.refreshes.countBy({ status: In([...ACTIVE_REFRESH_STATUSES]) })) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
