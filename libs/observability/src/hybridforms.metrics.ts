import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import { ProvidersService, RefreshService } from '@hybridforms/discovery';
import { JOB_QUEUE, type JobCounts, type JobEvent, type JobQueue } from '@hybridforms/jobs';
import type { EventEntity, RefreshEntity } from '@hybridforms/persistence';
import { EventStream } from '@hybridforms/telemetry';
import { withTimeout } from './with-timeout.js';

/** A scrape must not hang on a slow broker: past this, the queue is reported down for that scrape. */
export const QUEUE_COUNTS_TIMEOUT_MS = 2_000;
/** Provider names are labels; a rename shows up in metrics within this long. */
const PROVIDER_NAME_TTL_MS = 5 * 60_000;
const UNKNOWN_PROVIDER = 'unknown';
const JOB_STATES = ['waiting', 'delayed', 'active', 'failed'] as const satisfies readonly (keyof JobCounts)[];

type QueueSample = { up: true; counts: Record<string, JobCounts> } | { up: false };

/**
 * The process's Prometheus metrics, in a registry of its own (not prom-client's global one, so tests
 * and several apps in one process never collide). Labels are provider names and job kinds only:
 * never VM ids (unbounded), never anything from a credential.
 *
 * Queue depths are read from the queue at scrape time (cluster-wide in BullMQ mode); job timings,
 * refreshes and caught events are what this process saw: sum them over processes.
 */
@Injectable()
export class HybridformsMetrics implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private readonly logger = new Logger(HybridformsMetrics.name);

  private readonly jobWait: Histogram<'kind'>;
  private readonly jobRun: Histogram<'kind'>;
  private readonly jobFailures: Counter<'kind' | 'final'>;
  private readonly refreshDuration: Histogram<'provider' | 'kind' | 'status'>;
  private readonly refreshFailures: Counter<'provider'>;
  private readonly eventLag: Histogram<'provider'>;
  private readonly eventLastCaught: Gauge<'provider'>;

  private readonly providerNames = new Map<string, { name: string; until: number }>();
  private readonly providerLookups = new Map<string, Promise<string>>();
  private readonly lastCaught = new Map<string, number>();
  private countsInFlight: Promise<Record<string, JobCounts>> | undefined;
  private scrape: Promise<QueueSample> | undefined;
  private queueWasUp = true;
  private subscription: Subscription | undefined;

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly refreshes: RefreshService,
    private readonly providers: ProvidersService,
    private readonly events: EventStream,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'hybridforms_' });

    const sample = () => this.sampleQueue();
    new Gauge({
      name: 'hybridforms_jobs_queued',
      help: 'Jobs in the queue by kind and state (cluster-wide in bullmq mode), read at scrape time',
      labelNames: ['kind', 'state'] as const,
      registers,
      async collect() {
        const result = await sample();
        this.reset();
        if (!result.up) return;
        for (const [kind, counts] of Object.entries(result.counts)) {
          for (const state of JOB_STATES) this.set({ kind, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'hybridforms_job_queue_up',
      help: `1 when the job queue answered its counts within ${QUEUE_COUNTS_TIMEOUT_MS} ms at this scrape, else 0`,
      registers,
      async collect() {
        this.set((await sample()).up ? 1 : 0);
      },
    });
    this.jobWait = new Histogram({
      name: 'hybridforms_job_wait_seconds',
      help: 'Time from enqueue (or the end of a retry delay) to start, of job tries this process started',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600],
      registers,
    });
    this.jobRun = new Histogram({
      name: 'hybridforms_job_run_seconds',
      help: 'Duration of job tries this process ran, whatever their outcome',
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.jobFailures = new Counter({
      name: 'hybridforms_job_failures_total',
      help: 'Failed job tries run by this process; final="true" when no retry is left',
      labelNames: ['kind', 'final'] as const,
      registers,
    });
    this.refreshDuration = new Histogram({
      name: 'hybridforms_refresh_duration_seconds',
      help: 'Duration of inventory refreshes this process ran, by provider, kind (full|targeted) and outcome',
      labelNames: ['provider', 'kind', 'status'] as const,
      buckets: [0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.refreshFailures = new Counter({
      name: 'hybridforms_refresh_failures_total',
      help: 'Inventory refreshes this process ran that failed (partial ones are not counted)',
      labelNames: ['provider'] as const,
      registers,
    });
    this.eventLag = new Histogram({
      name: 'hybridforms_event_catch_lag_seconds',
      help: 'Time from an event occurring at the provider to this process storing it',
      labelNames: ['provider'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.eventLastCaught = new Gauge({
      name: 'hybridforms_event_last_caught_timestamp_seconds',
      help: 'When this process last stored a new event of the provider (Unix time)',
      labelNames: ['provider'] as const,
      registers,
    });
  }

  onModuleInit(): void {
    this.queue.onEvent((event) => this.recordJob(event));
    // Not awaited: a refresh's end never waits for a provider-name lookup.
    this.refreshes.onFinished((refresh) => void this.recordRefresh(refresh));
    // The events this process stored: in a cluster each event is counted by one process.
    this.subscription = this.events.stored$.subscribe((event) => void this.recordEvent(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** The exposition, in the registry's content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private recordJob(event: JobEvent): void {
    const kind = event.kind;
    switch (event.type) {
      case 'started':
        this.jobWait.observe({ kind }, Math.max(0, event.waitMs) / 1000);
        break;
      case 'completed':
        this.jobRun.observe({ kind }, Math.max(0, event.runMs) / 1000);
        break;
      case 'failed':
        this.jobRun.observe({ kind }, Math.max(0, event.runMs) / 1000);
        this.jobFailures.inc({ kind, final: String(event.final) });
        break;
    }
  }

  private async recordRefresh(refresh: RefreshEntity): Promise<void> {
    try {
      const provider = await this.providerName(refresh.providerId);
      if (refresh.startedAt && refresh.finishedAt) {
        const seconds = (refresh.finishedAt.getTime() - refresh.startedAt.getTime()) / 1000;
        this.refreshDuration.observe({ provider, kind: refresh.kind, status: refresh.status }, Math.max(0, seconds));
      }
      if (refresh.status === 'failed') this.refreshFailures.inc({ provider });
    } catch (error) {
      this.logger.warn(`refresh ${refresh.id} not recorded in metrics: ${(error as Error).message}`);
    }
  }

  private async recordEvent(event: EventEntity): Promise<void> {
    try {
      const provider = await this.providerName(event.providerId);
      const stored = validTime(event.receivedAt) ?? Date.now();
      const occurred = validTime(event.occurredAt);
      if (occurred !== undefined) this.eventLag.observe({ provider }, Math.max(0, stored - occurred) / 1000);
      // Events of one batch can be published out of order: the gauge only moves forward.
      if (stored > (this.lastCaught.get(provider) ?? 0)) {
        this.lastCaught.set(provider, stored);
        this.eventLastCaught.set({ provider }, stored / 1000);
      }
    } catch (error) {
      this.logger.warn(`event ${event.id} not recorded in metrics: ${(error as Error).message}`);
    }
  }

  /** One read of the queue per scrape, shared by the gauges that need it; never more than one call to a hung broker. */
  private sampleQueue(): Promise<QueueSample> {
    this.scrape ??= (async (): Promise<QueueSample> => {
      try {
        this.countsInFlight ??= Promise.resolve()
          .then(() => this.queue.counts())
          .finally(() => (this.countsInFlight = undefined));
        const counts = await withTimeout(this.countsInFlight, QUEUE_COUNTS_TIMEOUT_MS, 'the job queue');
        if (!this.queueWasUp) this.logger.log('job queue counts available for metrics again');
        this.queueWasUp = true;
        return { up: true, counts };
      } catch (error) {
        // Once per outage, not once per scrape.
        if (this.queueWasUp) this.logger.warn(`job queue counts not available for metrics: ${(error as Error).message}`);
        this.queueWasUp = false;
        return { up: false };
      } finally {
        this.scrape = undefined;
      }
    })();
    return this.scrape;
  }

  /** The label of a provider: its name, cached; `unknown` when it cannot be read (deleted meanwhile). */
  private async providerName(id: string): Promise<string> {
    const cached = this.providerNames.get(id);
    if (cached && cached.until > Date.now()) return cached.name;
    let lookup = this.providerLookups.get(id);
    if (!lookup) {
      lookup = this.providers
        .get(id)
        .then((provider) => {
          this.providerNames.set(id, { name: provider.name, until: Date.now() + PROVIDER_NAME_TTL_MS });
          return provider.name;
        })
        .catch(() => cached?.name ?? UNKNOWN_PROVIDER)
        .finally(() => this.providerLookups.delete(id));
      this.providerLookups.set(id, lookup);
    }
    return lookup;
  }
}

function validTime(value: Date | string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
