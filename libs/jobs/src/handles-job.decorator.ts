import type { AppConfig } from '@hybridforms/core';
import type { JobKindOptions } from './job-queue.js';

export const JOB_HANDLER_METADATA = 'hybridforms:job-handler';
export const JOB_INTERRUPTED_METADATA = 'hybridforms:job-interrupted';

/** A kind's options, fixed or read from the configuration at start-up. */
export type JobKindOptionsSpec = JobKindOptions | ((config: AppConfig) => JobKindOptions);

export interface JobHandlerMetadata {
  kind: string;
  options: JobKindOptionsSpec;
}

/**
 * Marks a method of a provider as the handler of a job kind: `(job: JobContext<P>) => Promise<void>`.
 * The job queue finds every marked method at start-up and defines its kind, so a module that runs
 * jobs only declares them; no service registers kinds itself.
 */
export function HandlesJob(kind: string, options: JobKindOptionsSpec): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(JOB_HANDLER_METADATA, { kind, options } satisfies JobHandlerMetadata, descriptor.value as object);
    return descriptor;
  };
}

/**
 * Marks the method called when a job of `kind` (whose options say `interrupted: 'fail'`) was left
 * running by a process that died: `(job: JobContext<P>, reason: string) => Promise<void>`.
 */
export function OnJobInterrupted(kind: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(JOB_INTERRUPTED_METADATA, kind, descriptor.value as object);
    return descriptor;
  };
}

/** A schedule of the cluster: every `everyMs` one job of `kind` (fired once per cluster). */
export interface JobSchedule {
  kind: string;
  everyMs: (config: AppConfig) => number;
  payload?: unknown;
}

/** The cluster's schedules, one table, bound by the process's composition. */
export const JOB_SCHEDULES = Symbol('JOB_SCHEDULES');
