import type { JobQueue } from '@hybridforms/jobs';
import { withTimeout } from './with-timeout.js';

/** The queue's part of /health. */
export interface QueueHealth {
  status: 'up' | 'down';
  implementation: JobQueue['implementation'];
  latencyMs?: number;
  error?: string;
}

/** A probe must answer before the orchestrator's own probe timeout does. */
export const QUEUE_PING_TIMEOUT_MS = 2_000;

/**
 * Whether the queue's broker answers. In-process there is no broker: always up, not even asked.
 * The message of a failed ping names the failure, never the Redis URL (it may carry a password).
 */
export async function checkQueueHealth(queue: JobQueue, timeoutMs = QUEUE_PING_TIMEOUT_MS): Promise<QueueHealth> {
  const implementation = queue.implementation;
  if (implementation === 'in-process') return { status: 'up', implementation };
  const started = Date.now();
  try {
    const answered = await withTimeout(Promise.resolve().then(() => queue.ping()), timeoutMs, 'the job queue broker');
    if (!answered) return { status: 'down', implementation, error: 'the job queue broker did not answer' };
    return { status: 'up', implementation, latencyMs: Date.now() - started };
  } catch (error) {
    return { status: 'down', implementation, error: errorSummary(error) };
  }
}

// ioredis errors can quote the connection string (redis://:password@host): strip credentials, cap the length.
function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@').slice(0, 300);
}
