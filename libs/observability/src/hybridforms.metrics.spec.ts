import { Subject } from 'rxjs';
import type { ProvidersService, RefreshFinishedListener, RefreshService } from '@hybridforms/discovery';
import type { JobCounts, JobEvent, JobQueue } from '@hybridforms/jobs';
import type { EventEntity, ProviderEntity, RefreshEntity } from '@hybridforms/persistence';
import type { EventStream } from '@hybridforms/telemetry';
import { HybridformsMetrics, QUEUE_COUNTS_TIMEOUT_MS } from './hybridforms.metrics.js';

const AZURE_ID = '7c1e4f0a-1b2c-4d3e-8f9a-0b1c2d3e4f5a';
const HYPERV_ID = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const VM_NATIVE_ID = '/subscriptions/0000/resourcegroups/rg/providers/microsoft.compute/virtualmachines/rhel-9-secret-vm';

/** A queue that only does what metrics use of it; the test drives its events and counts. */
class FakeQueue {
  readonly implementation = 'bullmq' as const;
  listeners: ((event: JobEvent) => void)[] = [];
  counts: () => Promise<Record<string, JobCounts>> = async () => ({});
  onEvent(listener: (event: JobEvent) => void) {
    this.listeners.push(listener);
  }
  emit(event: JobEvent) {
    for (const listener of this.listeners) listener(event);
  }
}

function setUp() {
  const queue = new FakeQueue();
  let refreshListener: RefreshFinishedListener | undefined;
  const refreshes = { onFinished: (listener: RefreshFinishedListener) => (refreshListener = listener) };
  const lookups: string[] = [];
  const names: Record<string, string> = { [AZURE_ID]: 'azure-prod', [HYPERV_ID]: 'hyperv lab "east"' };
  const providers = {
    get: async (id: string) => {
      lookups.push(id);
      if (!names[id]) throw new Error(`provider ${id} not found`);
      return { id, name: names[id] } as ProviderEntity;
    },
  };
  const stream = new Subject<EventEntity>();
  const metrics = new HybridformsMetrics(
    queue as unknown as JobQueue,
    refreshes as unknown as RefreshService,
    providers as unknown as ProvidersService,
    { stored$: stream.asObservable() } as unknown as EventStream,
  );
  metrics.onModuleInit();
  const finish = async (refresh: Partial<RefreshEntity>) => {
    await refreshListener!(refresh as RefreshEntity);
    await settle();
  };
  const store = async (...events: Partial<EventEntity>[]) => {
    for (const event of events) stream.next(event as EventEntity);
    await settle();
  };
  const text = async () => (await metrics.exposition()).body;
  return { queue, metrics, finish, store, lookups, text };
}

/** Lets the fire-and-forget recorders (provider-name lookups) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** The value of one sample line of the exposition, by its exact name and labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('HybridformsMetrics', () => {
  it('keeps its own registry, with the default process metrics under the hybridforms_ prefix', async () => {
    const { metrics, text } = setUp();
    const body = await text();
    expect(body).toContain('# TYPE hybridforms_process_cpu_user_seconds_total counter');
    expect(body).toContain('hybridforms_nodejs_heap_size_total_bytes');
    expect((await metrics.exposition()).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // A second instance (a second app in one process, the next test) does not collide with the first.
    expect(() => setUp()).not.toThrow();
  });

  it('times job waits and runs by kind and counts failures by finality', async () => {
    const { queue, text } = setUp();
    queue.emit({ type: 'started', kind: 'refresh', id: 'j1', waitMs: 1500 });
    queue.emit({ type: 'completed', kind: 'refresh', id: 'j1', runMs: 2000 });
    queue.emit({ type: 'started', kind: 'refresh', id: 'j2', waitMs: 500 });
    queue.emit({ type: 'failed', kind: 'refresh', id: 'j2', runMs: 250, final: false, error: 'throttled' });
    queue.emit({ type: 'failed', kind: 'event-poll', id: 'j3', runMs: 100, final: true, error: 'unreachable' });
    const body = await text();
    expect(sample(body, 'hybridforms_job_wait_seconds_count{kind="refresh"}')).toBe(2);
    expect(sample(body, 'hybridforms_job_wait_seconds_sum{kind="refresh"}')).toBe(2);
    expect(sample(body, 'hybridforms_job_wait_seconds_bucket{le="1",kind="refresh"}')).toBe(1);
    expect(sample(body, 'hybridforms_job_run_seconds_count{kind="refresh"}')).toBe(2);
    expect(sample(body, 'hybridforms_job_run_seconds_sum{kind="refresh"}')).toBe(2.25);
    expect(sample(body, 'hybridforms_job_run_seconds_count{kind="event-poll"}')).toBe(1);
    expect(sample(body, 'hybridforms_job_failures_total{kind="refresh",final="false"}')).toBe(1);
    expect(sample(body, 'hybridforms_job_failures_total{kind="event-poll",final="true"}')).toBe(1);
    expect(sample(body, 'hybridforms_job_failures_total{kind="refresh",final="true"}')).toBeUndefined();
  });

  it('times finished refreshes by provider name, kind and status, and counts the failed ones', async () => {
    const { finish, lookups, text } = setUp();
    const startedAt = new Date('2026-12-01T10:00:00Z');
    await finish({ id: 'r1', providerId: AZURE_ID, kind: 'full', status: 'completed', startedAt, finishedAt: new Date(startedAt.getTime() + 42_000) });
    await finish({ id: 'r2', providerId: AZURE_ID, kind: 'targeted', status: 'failed', startedAt, finishedAt: new Date(startedAt.getTime() + 3_000) });
    await finish({ id: 'r3', providerId: HYPERV_ID, kind: 'full', status: 'partial', startedAt, finishedAt: new Date(startedAt.getTime() + 7_500) });
    const body = await text();
    expect(sample(body, 'hybridforms_refresh_duration_seconds_sum{provider="azure-prod",kind="full",status="completed"}')).toBe(42);
    expect(sample(body, 'hybridforms_refresh_duration_seconds_count{provider="azure-prod",kind="targeted",status="failed"}')).toBe(1);
    // Label values are escaped, not mangled.
    expect(sample(body, 'hybridforms_refresh_duration_seconds_sum{provider="hyperv lab \\"east\\"",kind="full",status="partial"}')).toBe(7.5);
    expect(sample(body, 'hybridforms_refresh_failures_total{provider="azure-prod"}')).toBe(1);
    expect(body).not.toMatch(/hybridforms_refresh_failures_total\{provider="hyperv/);
    // The provider's name is looked up once, then cached.
    expect(lookups.filter((id) => id === AZURE_ID)).toHaveLength(1);
    expect(body).not.toContain(AZURE_ID);
  });

  it('labels a refresh of a provider that no longer exists as unknown', async () => {
    const { finish, text } = setUp();
    const startedAt = new Date();
    await finish({ id: 'r1', providerId: 'b4d1d000-0000-4000-8000-000000000000', kind: 'full', status: 'failed', startedAt, finishedAt: startedAt });
    expect(sample(await text(), 'hybridforms_refresh_failures_total{provider="unknown"}')).toBe(1);
  });

  it('observes the catch lag of each stored event and the last catch time, by provider only', async () => {
    const { store, text } = setUp();
    const receivedAt = new Date('2026-12-01T10:05:00Z');
    const event = (occurredSecondsBefore: number, at = receivedAt): Partial<EventEntity> => ({
      id: `e-${occurredSecondsBefore}`,
      providerId: AZURE_ID,
      nativeId: `native-${occurredSecondsBefore}`,
      vmNativeId: VM_NATIVE_ID,
      occurredAt: new Date(at.getTime() - occurredSecondsBefore * 1000),
      receivedAt: at,
    });
    await store(event(30), event(90), event(5, new Date(receivedAt.getTime() - 60_000)));
    const body = await text();
    expect(sample(body, 'hybridforms_event_catch_lag_seconds_count{provider="azure-prod"}')).toBe(3);
    expect(sample(body, 'hybridforms_event_catch_lag_seconds_sum{provider="azure-prod"}')).toBe(125);
    expect(sample(body, 'hybridforms_event_catch_lag_seconds_bucket{le="60",provider="azure-prod"}')).toBe(2);
    // The newest of them, not the last published.
    expect(sample(body, 'hybridforms_event_last_caught_timestamp_seconds{provider="azure-prod"}')).toBe(receivedAt.getTime() / 1000);
    expect(body).not.toContain('rhel-9-secret-vm');
    expect(body).not.toMatch(/native-/);
  });

  it('reads queue depths at scrape time, once per scrape, and reports the queue up', async () => {
    const { queue, text } = setUp();
    let calls = 0;
    queue.counts = async () => {
      calls++;
      return { refresh: { waiting: 3, delayed: 1, active: 2, failed: 4 }, 'playbook-run': { waiting: 0, delayed: 0, active: 1, failed: 0 } };
    };
    const body = await text();
    expect(calls).toBe(1);
    expect(sample(body, 'hybridforms_jobs_queued{kind="refresh",state="waiting"}')).toBe(3);
    expect(sample(body, 'hybridforms_jobs_queued{kind="refresh",state="delayed"}')).toBe(1);
    expect(sample(body, 'hybridforms_jobs_queued{kind="refresh",state="active"}')).toBe(2);
    expect(sample(body, 'hybridforms_jobs_queued{kind="refresh",state="failed"}')).toBe(4);
    expect(sample(body, 'hybridforms_jobs_queued{kind="playbook-run",state="active"}')).toBe(1);
    expect(sample(body, 'hybridforms_job_queue_up')).toBe(1);

    // A kind that has emptied out of the queue's answer is not reported with stale numbers.
    queue.counts = async () => ({ refresh: { waiting: 0, delayed: 0, active: 0, failed: 4 } });
    const next = await text();
    expect(sample(next, 'hybridforms_jobs_queued{kind="playbook-run",state="active"}')).toBeUndefined();
    expect(sample(next, 'hybridforms_jobs_queued{kind="refresh",state="waiting"}')).toBe(0);
  });

  it('reports the queue down and no depths when counts() fails, and the scrape still answers', async () => {
    const { queue, text } = setUp();
    queue.counts = async () => ({ refresh: { waiting: 3, delayed: 0, active: 0, failed: 0 } });
    await text();
    queue.counts = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:6379'));
    const body = await text();
    expect(sample(body, 'hybridforms_job_queue_up')).toBe(0);
    expect(body).not.toMatch(/^hybridforms_jobs_queued\{/m);
    expect(body).toContain('hybridforms_process_cpu_user_seconds_total');

    // Thrown synchronously, too.
    queue.counts = () => {
      throw new Error('not connected');
    };
    expect(sample(await text(), 'hybridforms_job_queue_up')).toBe(0);

    queue.counts = async () => ({ refresh: { waiting: 1, delayed: 0, active: 0, failed: 0 } });
    expect(sample(await text(), 'hybridforms_job_queue_up')).toBe(1);
  });

  it(`reports the queue down when counts() takes longer than ${QUEUE_COUNTS_TIMEOUT_MS} ms, without piling calls on the broker`, async () => {
    const { queue, text } = setUp();
    let calls = 0;
    let answer: ((counts: Record<string, JobCounts>) => void) | undefined;
    queue.counts = () => {
      calls++;
      return new Promise((resolve) => (answer = resolve));
    };
    const started = Date.now();
    const body = await text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(QUEUE_COUNTS_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(QUEUE_COUNTS_TIMEOUT_MS + 1_000);
    expect(sample(body, 'hybridforms_job_queue_up')).toBe(0);
    expect(body).not.toMatch(/^hybridforms_jobs_queued\{/m);

    // The hung call is still in flight: the next scrape waits on it rather than asking again.
    const second = text();
    answer!({ refresh: { waiting: 5, delayed: 0, active: 0, failed: 0 } });
    const after = await second;
    expect(calls).toBe(1);
    expect(sample(after, 'hybridforms_job_queue_up')).toBe(1);
    expect(sample(after, 'hybridforms_jobs_queued{kind="refresh",state="waiting"}')).toBe(5);
  }, 10_000);
});
