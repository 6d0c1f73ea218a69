import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullMqJobQueue } from './bullmq.job-queue.js';
import { CLUSTER_BUS, LocalClusterBus, RedisClusterBus, type ClusterBus } from './cluster-bus.js';
import { InProcessJobQueue } from './in-process.job-queue.js';
import { JobHandlerExplorer } from './job-handler.explorer.js';
import { JOB_QUEUE, type JobQueue } from './job-queue.js';

export interface JobsModuleOptions {
  /** null = embedded mode (in-process queue); else the Redis of the scaled-out BullMQ queue. */
  redisUrl: string | null;
  prefix: string;
  lockMs: number;
  stalledCheckMs: number;
}

/** Grace of the shutdown hook, for a queue nobody closed (apps close theirs with their own grace first). */
const SHUTDOWN_GRACE_MS = 5_000;

@Injectable()
class JobQueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // close() is idempotent in both implementations: a second call returns the first one's outcome.
    await this.queue.close(SHUTDOWN_GRACE_MS);
    await this.bus.close();
  }
}

/**
 * Provides JOB_QUEUE and CLUSTER_BUS (global): in-process when `redisUrl` is null, on Redis
 * otherwise; defines the kind of every @HandlesJob method found among the process's providers.
 */
@Global()
@Module({})
export class JobsModule {
  static forRoot(options: JobsModuleOptions): DynamicModule {
    return {
      module: JobsModule,
      imports: [DiscoveryModule],
      providers: [
        {
          provide: JOB_QUEUE,
          useFactory: (): JobQueue =>
            options.redisUrl === null
              ? new InProcessJobQueue()
              : new BullMqJobQueue({ redisUrl: options.redisUrl, prefix: options.prefix, lockMs: options.lockMs, stalledCheckMs: options.stalledCheckMs }),
        },
        {
          provide: CLUSTER_BUS,
          useFactory: (): ClusterBus => (options.redisUrl === null ? new LocalClusterBus() : new RedisClusterBus(options.redisUrl, options.prefix)),
        },
        JobQueueCloser,
        JobHandlerExplorer,
      ],
      exports: [JOB_QUEUE, CLUSTER_BUS],
    };
  }
}
