import { Test } from '@nestjs/testing';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { ExecutePlaybookRun } from '@hybridforms/automation';
import { JOB_QUEUE, type JobCounts, type JobInfo, type JobQueue } from '@hybridforms/jobs';
import { HealthService, HybridformsMetrics } from '@hybridforms/observability';
import { DatabaseProbe } from '@hybridforms/persistence';
import { PUBLIC_ROUTE } from '../auth/access.decorators.js';
import { DeclaredInputInterceptor } from '../common/declared-input.interceptor.js';
import { DomainExceptionFilter } from '../common/domain-exception.filter.js';
import { HealthEndpointController } from '../observability/health-endpoint.controller.js';
import { MetricsEndpointController } from '../observability/metrics-endpoint.controller.js';
import { JobsController } from './jobs.controller.js';
import { JOB_ERROR_MAX_LENGTH, maskJobError } from './job.presenter.js';

/** The queue as the controllers see it; the test sets what it answers and sees what it was asked. */
class FakeQueue {
  implementation: 'in-process' | 'bullmq' = 'bullmq';
  counts: () => Promise<Record<string, JobCounts>> = async () => ({});
  jobs: JobInfo[] = [];
  failedCalls: [string | undefined, number | undefined][] = [];
  getCalls: string[] = [];
  ping: () => Promise<boolean> = async () => true;
  async failed(kind?: string, limit?: number) {
    this.failedCalls.push([kind, limit]);
    return this.jobs.filter((job) => job.state === 'failed' && (!kind || job.kind === kind)).slice(0, limit);
  }
  async get(id: string) {
    this.getCalls.push(id);
    return this.jobs.find((job) => job.id === id) ?? null;
  }
}

const job = (over: Partial<JobInfo>): JobInfo => ({
  id: 'f3a9c2d1-0b1e-4c5d-9e8f-7a6b5c4d3e2f',
  kind: 'refresh',
  key: 'provider:7c1e4f0a',
  state: 'failed',
  attempts: 3,
  progress: {},
  error: 'throttled by ARM',
  enqueuedAt: new Date('2026-12-01T10:00:00Z'),
  startedAt: new Date('2026-12-01T10:00:01Z'),
  finishedAt: new Date('2026-12-01T10:00:09Z'),
  ...over,
});

describe('jobs API, /health queue check and /metrics', () => {
  let app: INestApplication;
  const queue = new FakeQueue();
  const database = { query: async () => [{ ok: 1 }], options: { type: 'sqlite' } };
  const metrics = { exposition: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'hybridforms_job_queue_up 1\n' }) };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [JobsController, HealthEndpointController, MetricsEndpointController],
      providers: [
        HealthService,
        DatabaseProbe,
        { provide: JOB_QUEUE, useValue: queue as unknown as JobQueue },
        { provide: getDataSourceToken(), useValue: database },
        { provide: ExecutePlaybookRun, useValue: { runnerAvailability: async () => ({ available: true, version: '2.4.0' }) } },
        { provide: HybridformsMetrics, useValue: metrics },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // As app.factory.ts does, with /metrics outside the prefix like /health.
    app.setGlobalPrefix('api/v1', { exclude: ['health', 'docs', 'metrics'] });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, transform: true, stopAtFirstError: false }));
    app.useGlobalInterceptors(new DeclaredInputInterceptor());
    app.useGlobalFilters(new DomainExceptionFilter());
    await app.init();
  });

  afterAll(() => app.close());

  beforeEach(() => {
    queue.implementation = 'bullmq';
    queue.ping = async () => true;
    queue.jobs = [];
    queue.failedCalls = [];
    queue.getCalls = [];
    database.query = async () => [{ ok: 1 }];
  });

  describe('GET /api/v1/jobs', () => {
    it('answers the implementation and the depths by kind', async () => {
      queue.counts = async () => ({ refresh: { waiting: 2, delayed: 1, active: 1, failed: 5 }, 'event-poll': { waiting: 0, delayed: 3, active: 0, failed: 0 } });
      const res = await request(app.getHttpServer()).get('/api/v1/jobs').expect(200);
      expect(res.body).toEqual({
        implementation: 'bullmq',
        counts: { 'event-poll': { waiting: 0, delayed: 3, active: 0, failed: 0 }, refresh: { waiting: 2, delayed: 1, active: 1, failed: 5 } },
      });
    });

    it('refuses query parameters it does not take', async () => {
      await request(app.getHttpServer()).get('/api/v1/jobs?kind=refresh').expect(400);
    });
  });

  describe('GET /api/v1/jobs/failed', () => {
    it('lists the newest failed jobs, 50 at most by default', async () => {
      queue.jobs = [job({}), job({ id: 'j-2', kind: 'event-poll', key: null, attempts: 1, error: null })];
      const res = await request(app.getHttpServer()).get('/api/v1/jobs/failed').expect(200);
      expect(queue.failedCalls).toEqual([[undefined, 50]]);
      expect(res.body.items).toHaveLength(2);
      expect(res.body.items[0]).toEqual({
        id: 'f3a9c2d1-0b1e-4c5d-9e8f-7a6b5c4d3e2f',
        kind: 'refresh',
        key: 'provider:7c1e4f0a',
        state: 'failed',
        attempts: 3,
        progress: {},
        error: 'throttled by ARM',
        enqueuedAt: '2026-12-01T10:00:00.000Z',
        startedAt: '2026-12-01T10:00:01.000Z',
        finishedAt: '2026-12-01T10:00:09.000Z',
      });
    });

    it('filters by kind and takes a limit of 1 to 200', async () => {
      await request(app.getHttpServer()).get('/api/v1/jobs/failed?kind=playbook-run&limit=200').expect(200);
      await request(app.getHttpServer()).get('/api/v1/jobs/failed?limit=1').expect(200);
      expect(queue.failedCalls).toEqual([
        ['playbook-run', 200],
        [undefined, 1],
      ]);
    });

    it.each([
      ['limit=0', /limit must not be less than 1/],
      ['limit=201', /limit must not be greater than 200/],
      ['limit=1e2', /limit must be an integer/],
      ['kind=Refresh', /kind: lower-case letters/],
      ['kind=a%3Ab', /kind: lower-case letters/],
      [`kind=${'a'.repeat(65)}`, /kind: lower-case letters/],
      ['kind=refresh&kind=event-poll', /kind/],
      ['state=failed', /property state should not exist/],
    ])('refuses %s with a 400 in our shape, without asking the queue', async (query, message) => {
      const res = await request(app.getHttpServer()).get(`/api/v1/jobs/failed?${query}`).expect(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(JSON.stringify(res.body.message)).toMatch(message);
      expect(queue.failedCalls).toEqual([]);
    });

    it('masks anything shaped like a credential in a job error, and caps its length', async () => {
      queue.jobs = [
        job({ error: 'POST https://login.example/token failed: {"client_secret":"s3cr3t-value","grant_type":"client_credentials"} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig' }),
        job({ id: 'j-2', error: `connect redis://:hunter22@redis.internal:6379 refused; password=hunter22 ${'x'.repeat(5_000)}` }),
      ];
      const res = await request(app.getHttpServer()).get('/api/v1/jobs/failed').expect(200);
      const [first, second] = res.body.items.map((item: { error: string }) => item.error);
      expect(first).not.toContain('s3cr3t-value');
      expect(first).not.toContain('eyJhbGciOiJIUzI1NiJ9');
      expect(first).toContain('"client_secret":***');
      expect(first).toContain('"grant_type":"client_credentials"');
      expect(second).not.toContain('hunter22');
      expect(second.length).toBeLessThanOrEqual(JOB_ERROR_MAX_LENGTH + 10);
      expect(second).toMatch(/… \(cut\)$/);
    });
  });

  describe('GET /api/v1/jobs/:id', () => {
    it('answers one job of any state', async () => {
      queue.jobs = [job({ id: 'abc-1', state: 'active', error: null, finishedAt: null, progress: { vms: 12 } })];
      const res = await request(app.getHttpServer()).get('/api/v1/jobs/abc-1').expect(200);
      expect(res.body).toMatchObject({ id: 'abc-1', state: 'active', progress: { vms: 12 }, finishedAt: null, error: null });
    });

    it('answers 404 in our shape for an unknown id', async () => {
      const res = await request(app.getHttpServer()).get('/api/v1/jobs/nope-1').expect(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'job nope-1 not found' });
    });

    it('answers 404 for a malformed id without asking the queue or echoing it', async () => {
      const res = await request(app.getHttpServer()).get(`/api/v1/jobs/${encodeURIComponent('<script>x</script>')}`).expect(404);
      expect(res.body.message).toBe('job (malformed id) not found');
      expect(queue.getCalls).toEqual([]);
    });
  });

  describe('GET /health', () => {
    it('reports the queue up with its latency, alongside the database and automation', async () => {
      const res = await request(app.getHttpServer()).get('/health').expect(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.checks.database).toMatchObject({ status: 'up', driver: 'sqlite' });
      expect(res.body.checks.automation).toEqual({ status: 'up', version: '2.4.0' });
      expect(res.body.checks.queue).toEqual({ status: 'up', implementation: 'bullmq', latencyMs: expect.any(Number) });
    });

    it('fails readiness when the bullmq broker is down, without leaking its URL', async () => {
      queue.ping = () => Promise.reject(new Error('connect ECONNREFUSED redis://default:hunter22@10.0.0.5:6379'));
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.checks.database.status).toBe('up');
      expect(res.body.checks.queue).toEqual({ status: 'down', implementation: 'bullmq', error: expect.stringContaining('ECONNREFUSED') });
      expect(JSON.stringify(res.body)).not.toContain('hunter22');
    });

    it('fails readiness when the broker says no', async () => {
      queue.ping = async () => false;
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(res.body.checks.queue).toMatchObject({ status: 'down', implementation: 'bullmq' });
    });

    it('fails readiness when the broker does not answer within 2 s', async () => {
      queue.ping = () => new Promise(() => {});
      const started = Date.now();
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(res.body.checks.queue).toMatchObject({ status: 'down', error: expect.stringMatching(/did not answer within 2000 ms/) });
    }, 10_000);

    it('in-process, the queue is always up and never pinged', async () => {
      queue.implementation = 'in-process';
      queue.ping = () => Promise.reject(new Error('must not be called'));
      const res = await request(app.getHttpServer()).get('/health').expect(200);
      expect(res.body.checks.queue).toEqual({ status: 'up', implementation: 'in-process' });
    });

    it('still fails readiness on a down database', async () => {
      database.query = () => Promise.reject(new Error('SQLITE_CANTOPEN'));
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(res.body.checks.database).toMatchObject({ status: 'down', error: 'SQLITE_CANTOPEN' });
      expect(res.body.checks.queue.status).toBe('up');
    });
  });

  describe('GET /metrics', () => {
    it('is served outside the api/v1 prefix, in the registry content type', async () => {
      const res = await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text).toBe('hybridforms_job_queue_up 1\n');
      await request(app.getHttpServer()).get('/api/v1/metrics').expect(404);
    });

    it('is public for the global guard (the same metadata @Public() sets)', () => {
      const reflector = new Reflector();
      const targets = [MetricsEndpointController.prototype.scrape, MetricsEndpointController];
      expect(reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)).toBe(true);
      // The jobs API is not: its reads take the guard's default (viewer).
      expect(reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [JobsController.prototype.summary, JobsController])).toBeUndefined();
    });

    it('/health is public as well: probes carry no token', () => {
      const reflector = new Reflector();
      expect(reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [HealthEndpointController.prototype.health, HealthEndpointController])).toBe(true);
    });
  });
});

describe('maskJobError', () => {
  it.each([
    ['password=hunter22 rejected', 'password=*** rejected'],
    ["token: 'abc.def' expired", 'token: *** expired'],
    ['api_key=AKIA1234&region=eu', 'api_key=***&region=eu'],
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic ***'],
    ['ssh://admin:pw1234@host failed', 'ssh://***@host failed'],
    ['refresh of provider azure-prod failed: throttled (retry in 30 s)', 'refresh of provider azure-prod failed: throttled (retry in 30 s)'],
  ])('%s → %s', (input, output) => {
    expect(maskJobError(input)).toBe(output);
  });

  it('keeps null', () => {
    expect(maskJobError(null)).toBeNull();
  });
});
