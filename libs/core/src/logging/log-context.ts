import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written inside a unit of work carries: a request id, a job's kind and ids. */
export type LogFields = Readonly<Record<string, string | number>>;

// One store for the process: the logger reads it, request middleware and the job explorer fill it;
// neither side needs to know the other (libs/jobs stays free of the logging library).
const storage = new AsyncLocalStorage<LogFields>();

/** The fields of the unit of work this code runs in (empty outside any). */
export function currentLogFields(): LogFields {
  return storage.getStore() ?? {};
}

/** Runs `fn` as a unit of work of its own: its log lines carry exactly `fields`. */
export function runWithLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run(fields, fn);
}

/** Runs `fn` with `fields` added to those of the current unit of work. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...currentLogFields(), ...fields }, fn);
}

/** Payload keys a job's log lines carry when the payload has them as strings or numbers. */
export const JOB_LOG_PAYLOAD_KEYS = ['providerId', 'refreshId', 'runId', 'operationId'] as const;

/** A job's log fields: `jobKind`, `jobId` and the ids its payload names (see JOB_LOG_PAYLOAD_KEYS). */
export function jobLogFields(job: { id: string; kind: string; payload: unknown }): LogFields {
  const fields: Record<string, string | number> = { jobKind: job.kind, jobId: job.id };
  const payload = job.payload && typeof job.payload === 'object' ? (job.payload as Record<string, unknown>) : {};
  for (const key of JOB_LOG_PAYLOAD_KEYS) {
    const value = payload[key];
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  return fields;
}
