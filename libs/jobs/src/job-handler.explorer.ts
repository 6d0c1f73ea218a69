import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { APP_CONFIG, jobLogFields, runWithLogFields, type AppConfig } from '@hybridforms/core';
import { JOB_HANDLER_METADATA, JOB_INTERRUPTED_METADATA, type JobHandlerMetadata } from './handles-job.decorator.js';
import { JOB_QUEUE, type JobContext, type JobKindDefinition, type JobQueue } from './job-queue.js';

type Method = (...args: unknown[]) => Promise<void>;

/** Defines the kind of every @HandlesJob method of the process's providers, before anything is enqueued. */
@Injectable()
export class JobHandlerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    // Absent where the queue runs without the application's configuration (the queue's own specs).
    @Optional() @Inject(APP_CONFIG) private readonly config: AppConfig | null,
  ) {}

  onModuleInit(): void {
    for (const definition of this.definitions()) this.queue.define(definition);
  }

  /**
   * Every marked handler, with its interruption hook when one is marked for the same kind; each call
   * runs in a log context of its own (job kind and id, the provider/refresh/run ids of its payload).
   */
  definitions(): JobKindDefinition[] {
    const handlers = new Map<string, JobKindDefinition>();
    const interrupted = new Map<string, JobKindDefinition['onInterrupted']>();
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, Method> | undefined;
      // A provider exported by several modules is one instance: visit it once.
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name];
        const handler = Reflect.getMetadata(JOB_HANDLER_METADATA, method) as JobHandlerMetadata | undefined;
        if (handler) {
          if (handlers.has(handler.kind)) throw new Error(`two job handlers for kind "${handler.kind}"`);
          if (typeof handler.options === 'function' && !this.config) throw new Error(`job kind "${handler.kind}" reads its options from APP_CONFIG, which this process lacks`);
          const options = typeof handler.options === 'function' ? handler.options(this.config!) : handler.options;
          handlers.set(handler.kind, { kind: handler.kind, options, handle: (job: JobContext) => runWithLogFields(jobLogFields(job), () => method.call(instance, job)) });
        }
        const kind = Reflect.getMetadata(JOB_INTERRUPTED_METADATA, method) as string | undefined;
        if (kind) interrupted.set(kind, (job: JobContext, reason: string) => runWithLogFields(jobLogFields(job), () => method.call(instance, job, reason)));
      }
    }
    for (const [kind, onInterrupted] of interrupted) {
      const handler = handlers.get(kind);
      if (!handler) throw new Error(`@OnJobInterrupted("${kind}") without a @HandlesJob of that kind`);
      handler.onInterrupted = onInterrupted;
    }
    return [...handlers.values()];
  }
}
