import { hostname } from 'node:os';
import {
  ProviderError,
  ProviderErrorCode,
  type CloudRequestProgress,
  type ProviderContext,
  type ProviderPlugin,
} from '@hybridforms/core';
import { OperationRepository, type OperationEntity, type OperationStep } from '@hybridforms/persistence';
import type { OperationProgressStream } from './operation-progress.stream.js';

/** The process running an operation (host:pid), recorded when it claims one. */
export const OPERATION_OWNER = `${hostname()}:${process.pid}`;

// A request to the cloud that failed retryably is sent this many times in all, RETRY_DELAY_MS × n apart.
const REQUEST_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1000;

/** The job was handed back (shutdown past its grace): the operation stays running for the next process. */
export class HandedBack extends Error {}

/**
 * The steps of one try of an operation, and their record: each change is stored and announced
 * before the run goes on, so a watcher (and a resumed try) sees where it stood.
 */
export class OperationStepLog {
  constructor(
    private readonly operations: OperationRepository,
    private readonly progress: OperationProgressStream,
    readonly operation: OperationEntity,
    readonly steps: OperationStep[],
  ) {}

  async begin(step: OperationStep): Promise<void> {
    Object.assign(step, { status: 'running', startedAt: step.startedAt ?? new Date().toISOString(), finishedAt: null });
    await this.save();
  }

  async end(step: OperationStep, status: OperationStep['status'], detail: string): Promise<void> {
    Object.assign(step, { status, startedAt: step.startedAt ?? new Date().toISOString(), finishedAt: new Date().toISOString(), detail });
    await this.save();
  }

  async save(): Promise<void> {
    await this.operations.saveSteps(this.operation.id, this.steps);
    this.progress.publish({ ...this.operation, status: 'running', steps: this.steps });
  }
}

/**
 * A request that failed in a way that may pass (a dropped connection, throttling, a 5xx) is sent
 * again, twice at most, a little later each time; anything else fails at once.
 */
export async function withRetries<T>(ctx: ProviderContext, label: string, call: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!ProviderError.is(error) || !error.retryable || attempt >= REQUEST_ATTEMPTS || ctx.signal?.aborted) throw error;
      ctx.logger.warn(`${label}: ${error.message}; asking again (${attempt + 1} of ${REQUEST_ATTEMPTS})`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
    }
  }
}

/**
 * One request to the cloud and its wait. Recorded before the call (a crash from then on resumes
 * at this step) and again once the cloud has accepted it, with the continuation: a resumed step
 * that has one only polls. A request begun before without an answer on record (a crash, a
 * dropped connection) is sent as `resumed`: the provider checks the live state before acting.
 * `onAnswer` sees the cloud's first answer once it is stored (the optimistic state of an action,
 * what a create made).
 */
export async function requestAndSettle<P extends CloudRequestProgress>(
  log: OperationStepLog,
  plugin: ProviderPlugin,
  ctx: ProviderContext,
  step: OperationStep,
  request: (resumed: boolean) => Promise<P>,
  doneDetail: string,
  onAnswer?: (answer: P) => Promise<void>,
): Promise<void> {
  if (!step.continuation) {
    const begunBefore = step.status === 'running';
    await log.begin(step);
    const answer = await withRetries(ctx, `operation ${log.operation.id}`, (attempt) => request(begunBefore || attempt > 1));
    if (answer.state === 'done') {
      await onAnswer?.(answer);
      await log.end(step, 'done', doneDetail);
      return;
    }
    step.continuation = answer.continuation;
    step.detail = 'accepted by the provider; waiting for it to settle';
    await log.save();
    await onAnswer?.(answer);
  }
  if (!plugin.awaitSettled) throw new ProviderError(ProviderErrorCode.InvalidConfig, `provider type ${plugin.type} accepted a request it cannot follow`);
  await plugin.awaitSettled(ctx, step.continuation!);
  await log.end(step, 'done', `${doneDetail} (settled by the provider)`);
}
