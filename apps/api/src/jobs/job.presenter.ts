import { isSensitiveName, MASK } from '@hybridforms/core';
import type { JobCounts, JobInfo } from '@hybridforms/jobs';

/** Longer than this, a job's error is cut: a stack or an echoed response body helps no one in a list. */
export const JOB_ERROR_MAX_LENGTH = 1_000;

/**
 * The queue stores job errors masked already (the handlers redact known secrets). This is the second
 * line: anything shaped like a credential in the text (`Bearer …`, `password=…`, `"clientSecret": "…"`,
 * credentials in a URL) is masked, and the text is capped.
 */
export function maskJobError(error: string | null): string | null {
  if (error === null) return null;
  let out = error
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, `$1${MASK}@`)
    .replace(/("?)([A-Za-z_][A-Za-z0-9_.-]{0,63})\1(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}"']+)/g, (whole, quote: string, name: string, separator: string) =>
      isSensitiveName(name) ? `${quote}${name}${quote}${separator}${MASK}` : whole,
    );
  if (out.length > JOB_ERROR_MAX_LENGTH) out = `${out.slice(0, JOB_ERROR_MAX_LENGTH)}… (cut)`;
  return out;
}

export function presentJob(job: JobInfo) {
  return {
    id: job.id,
    kind: job.kind,
    key: job.key,
    state: job.state,
    attempts: job.attempts,
    progress: job.progress,
    error: maskJobError(job.error),
    enqueuedAt: job.enqueuedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export function presentCounts(counts: Record<string, JobCounts>) {
  const out: Record<string, JobCounts> = {};
  for (const kind of Object.keys(counts).sort()) {
    const { waiting, delayed, active, failed } = counts[kind];
    out[kind] = { waiting, delayed, active, failed };
  }
  return out;
}
