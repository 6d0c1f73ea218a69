import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfigModule, currentLogFields, SecretBox, type AppConfig, type LogFields } from '@hybridforms/core';
import { HandlesJob, OnJobInterrupted, type JobSchedule } from './handles-job.decorator.js';
import { JobQueueLifecycle } from './job-queue.lifecycle.js';
import { JOB_QUEUE, type JobContext, type JobKindDefinition, type JobQueue } from './job-queue.js';
import { JobHandlerExplorer } from './job-handler.explorer.js';
import { JobsModule } from './jobs.module.js';

const config = { refresh: { concurrency: 3 }, queue: { shutdownGraceSeconds: 1 } } as unknown as AppConfig;

@Injectable()
class Greeter {
  readonly greeted: string[] = [];
  readonly interrupted: string[] = [];
  private readonly prefix = 'hello';

  @HandlesJob('greet', (c) => ({ concurrency: c.refresh.concurrency, attempts: 1, backoffMs: 0, interrupted: 'fail' }))
  async greet(job: JobContext<{ name: string }>): Promise<void> {
    this.greeted.push(`${this.prefix} ${job.payload.name}`);
  }

  @OnJobInterrupted('greet')
  async greetInterrupted(job: JobContext<{ name: string }>, reason: string): Promise<void> {
    this.interrupted.push(`${job.payload.name}: ${reason}`);
  }

  @HandlesJob('tick', { concurrency: 1, attempts: 2, backoffMs: 10, interrupted: 'retry' })
  async tick(): Promise<void> {
    this.greeted.push('tick');
  }

  /** Not a handler: left alone. */
  async other(): Promise<void> {}
}

@Injectable()
class ContextRecorder {
  readonly seen: LogFields[] = [];

  @HandlesJob('run-something', { concurrency: 1, attempts: 1, backoffMs: 0, interrupted: 'retry' })
  async handle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    this.seen.push(currentLogFields());
  }
}

@Injectable()
class Rival {
  @HandlesJob('greet', { concurrency: 1, attempts: 1, backoffMs: 0, interrupted: 'retry' })
  async greet(): Promise<void> {}
}

async function moduleWith(providers: unknown[]) {
  @Module({ providers: providers as never[], exports: providers as never[] })
  class FeatureModule {}
  return Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config, SecretBox.fromEncoded(SecretBox.generateEncodedKey()), true), JobsModule.forRoot({ redisUrl: null, prefix: 'hf-test', lockMs: 1000, stalledCheckMs: 1000 }), FeatureModule],
  }).compile();
}

describe('JobHandlerExplorer', () => {
  it('defines the kind of every @HandlesJob method, bound to its instance, with options from the configuration', async () => {
    const moduleRef = await moduleWith([Greeter]);
    const definitions = moduleRef.get(JobHandlerExplorer).definitions();
    const byKind = new Map(definitions.map((d): [string, JobKindDefinition] => [d.kind, d]));
    expect([...byKind.keys()].sort()).toEqual(['greet', 'tick']);
    expect(byKind.get('greet')!.options).toEqual({ concurrency: 3, attempts: 1, backoffMs: 0, interrupted: 'fail' });
    expect(byKind.get('tick')!.options.attempts).toBe(2);
    expect(byKind.get('tick')!.onInterrupted).toBeUndefined();

    // The module's init defined them on the queue: a job runs through the instance's method.
    await moduleRef.init();
    const queue = moduleRef.get<JobQueue>(JOB_QUEUE);
    await queue.start();
    await queue.enqueue('greet', { name: 'rhel' });
    await queue.idle();
    const greeter = moduleRef.get(Greeter);
    expect(greeter.greeted).toEqual(['hello rhel']);
    await byKind.get('greet')!.onInterrupted!({ payload: { name: 'vm-1' } } as JobContext, 'its worker died');
    expect(greeter.interrupted).toEqual(['vm-1: its worker died']);
    await moduleRef.close();
  });

  it("runs each job in a log context of its own: job kind and id, and the ids of its payload", async () => {
    const moduleRef = await moduleWith([ContextRecorder]);
    await moduleRef.init();
    const queue = moduleRef.get<JobQueue>(JOB_QUEUE);
    await queue.start();
    const { id } = await queue.enqueue('run-something', { runId: 'run-1', providerId: 'prov-1', secret: 'not-a-field' });
    await queue.idle();
    expect(moduleRef.get(ContextRecorder).seen).toEqual([{ jobKind: 'run-something', jobId: id, runId: 'run-1', providerId: 'prov-1' }]);
    expect(currentLogFields()).toEqual({});
    await moduleRef.close();
  });

  it('refuses two handlers of one kind', async () => {
    const moduleRef = await moduleWith([Greeter, Rival]);
    expect(() => moduleRef.get(JobHandlerExplorer).definitions()).toThrow('two job handlers for kind "greet"');
  });
});

describe('JobQueueLifecycle', () => {
  it('declares the schedules of JOB_SCHEDULES before starting the queue', async () => {
    const calls: string[] = [];
    const queue = {
      implementation: 'in-process',
      schedule: async (name: string, everyMs: number, kind: string, payload: unknown) => void calls.push(`schedule ${name} ${everyMs} ${kind} ${JSON.stringify(payload)}`),
      start: async () => void calls.push('start'),
    } as unknown as JobQueue;
    const schedules: JobSchedule[] = [
      { kind: 'tick', everyMs: (c) => c.refresh.concurrency * 1000 },
      { kind: 'purge', everyMs: () => 500, payload: { all: true } },
    ];
    await new JobQueueLifecycle(queue, true, config, schedules).onApplicationBootstrap();
    expect(calls).toEqual(['schedule tick 3000 tick {}', 'schedule purge 500 purge {"all":true}', 'start']);
    calls.length = 0;
    await new JobQueueLifecycle(queue, false, config, schedules).onApplicationBootstrap();
    expect(calls).toEqual([]); // an API process of a cluster neither schedules nor runs
  });
});
