import type { HostSummary, RunnerEvent, RunnerOutcome } from './ansible-runner.types.js';
import { isRunnerNoise } from './runner-events.js';

const MAX_OUTPUT_LINES = 40;
const MAX_FAILURES = 5;

interface HostProblem {
  host: string;
  task: string | null;
  msg: string;
}

/**
 * What a run's events say, kept small while the run goes (never the events themselves: `res` can hold
 * whole fact sets). The result is derived from it together with runner's status and rc.
 */
export class RunSummary {
  playbookStarted = false;
  noHostsMatched = false;
  stats: Record<string, unknown> | null = null;
  readonly failures: HostProblem[] = [];
  readonly unreachable: HostProblem[] = [];
  /** The last lines of output that did not come through the callback (verbose events, plain lines). */
  readonly outputLines: string[] = [];

  add(event: RunnerEvent): void {
    switch (event.event) {
      case 'playbook_on_start':
        this.playbookStarted = true;
        break;
      case 'playbook_on_no_hosts_matched':
        this.noHostsMatched = true;
        break;
      case 'playbook_on_stats':
        this.stats = event.data;
        break;
      case 'runner_on_failed':
      case 'runner_item_on_failed':
      case 'runner_on_async_failed':
        if (event.data.ignore_errors !== true && this.failures.length < MAX_FAILURES) {
          this.failures.push(problem(event));
        }
        break;
      case 'runner_on_unreachable':
        if (this.unreachable.length < MAX_FAILURES) this.unreachable.push(problem(event));
        break;
      case 'verbose':
      case 'error':
        for (const line of event.stdout.split('\n')) this.addRawLine(line);
        break;
      default:
        break;
    }
  }

  addRawLine(line: string): void {
    const text = line.trimEnd();
    // ssh-add's line can come inside a verbose event too (when ansible-playbook dies): plumbing, not the play's output.
    if (text === '' || isRunnerNoise(text)) return;
    this.outputLines.push(text);
    if (this.outputLines.length > MAX_OUTPUT_LINES) this.outputLines.shift();
    if (/Could not match supplied host pattern|leaves us with no hosts to target|No hosts matched/i.test(text)) {
      this.noHostsMatched = true;
    }
  }

  /** Per host, from playbook_on_stats (failures → failed, dark → unreachable); empty without stats. */
  hosts(): Record<string, HostSummary> {
    const out: Record<string, HostSummary> = {};
    if (!this.stats) return out;
    const fields: [keyof HostSummary, string][] = [
      ['ok', 'ok'],
      ['changed', 'changed'],
      ['failed', 'failures'],
      ['unreachable', 'dark'],
      ['skipped', 'skipped'],
      ['rescued', 'rescued'],
      ['ignored', 'ignored'],
    ];
    const names = new Set<string>();
    for (const key of ['processed', ...fields.map(([, k]) => k)]) {
      for (const host of Object.keys(countMap(this.stats[key]))) names.add(host);
    }
    for (const host of [...names].sort()) {
      const summary: HostSummary = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 };
      for (const [field, key] of fields) summary[field] = countMap(this.stats[key])[host] ?? 0;
      out[host] = summary;
    }
    return out;
  }

  /** The ERROR! paragraph of the output, or its last lines. */
  errorText(): string | null {
    const lines = this.outputLines;
    const start = lines.findIndex((l) => l.startsWith('ERROR!'));
    const picked = start >= 0 ? lines.slice(start, start + 6) : lines.slice(-3);
    const text = picked.join(' ').replace(/\s+/g, ' ').trim();
    return text === '' ? null : text.slice(0, 600);
  }
}

function problem(event: RunnerEvent): HostProblem {
  const res = event.data.res;
  let msg = '';
  if (res !== null && typeof res === 'object') {
    const r = res as Record<string, unknown>;
    msg = typeof r.msg === 'string' ? r.msg : typeof r.stderr === 'string' ? r.stderr : '';
  }
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(msg)) {
    msg = 'host key verification failed: the host key does not match its known_hosts entry (possible man-in-the-middle)';
  }
  // ssh's warnings are framed in '@' lines: keep the words
  const text = msg.replace(/@{3,}/g, ' ').replace(/(^|\s)@(?=\s|$)/g, ' ').replace(/\s+/g, ' ').trim();
  return { host: event.host ?? '?', task: event.task, msg: text.slice(0, 300) };
}

function countMap(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'number') out[k] = v;
  return out;
}

export interface ExitFacts {
  /** Content of artifacts/<ident>/status, null when runner never wrote it. */
  status: string | null;
  /** Content of artifacts/<ident>/rc or the process exit code. */
  rc: number | null;
  /** The signal that ended runner, if any. */
  signal: string | null;
  /** We asked the run to stop (cancel()). */
  cancelRequested: boolean;
  /** The configured limits, for the timeout reason. */
  timeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  /** Last line(s) of runner's stderr, for the reason when it died early. */
  stderrTail?: string;
}

/** Maps runner's status, rc and the events into our outcome and a one-sentence reason. */
export function mapOutcome(summary: RunSummary, facts: ExitFacts): { status: RunnerOutcome; reason: string | null } {
  if (facts.cancelRequested) return { status: 'canceled', reason: 'canceled on request' };
  const status = facts.status?.trim() ?? null;
  switch (status) {
    case 'successful':
      if (summary.noHostsMatched) return { status: 'failed', reason: 'no host matched the play pattern or limit' };
      return { status: 'successful', reason: null };
    case 'timeout': {
      const limits = [`the run exceeded its time limit (${facts.timeoutSeconds ?? '?'} s)`];
      if (facts.idleTimeoutSeconds) limits.push(`or produced no output for ${facts.idleTimeoutSeconds} s`);
      return { status: 'timed_out', reason: `${limits.join(' ')} and was stopped` };
    }
    case 'canceled':
      return { status: 'canceled', reason: 'ansible-runner was interrupted (signal from outside the service)' };
    case 'failed':
      return { status: 'failed', reason: failedReason(summary, facts.rc) };
    case null: {
      const how = facts.signal ? `killed by ${facts.signal}` : `exit code ${facts.rc ?? '?'}`;
      const tail = facts.stderrTail?.trim();
      return {
        status: 'error',
        reason: `ansible-runner ended without a result (${how})${tail ? `: ${tail.slice(-300)}` : ''}`,
      };
    }
    default:
      return { status: 'error', reason: `ansible-runner reported an unknown status "${status.slice(0, 40)}"` };
  }
}

function failedReason(summary: RunSummary, rc: number | null): string {
  if (summary.noHostsMatched && summary.failures.length === 0 && summary.unreachable.length === 0) {
    return 'no host matched the play pattern or limit';
  }
  const hosts = summary.hosts();
  const dark = Object.entries(hosts).filter(([, h]) => h.unreachable > 0).map(([name]) => name);
  const parts: string[] = [];
  if (dark.length > 0 || summary.unreachable.length > 0) {
    const first = summary.unreachable[0];
    const names = dark.length > 0 ? dark : summary.unreachable.map((p) => p.host);
    parts.push(`unreachable: ${names.join(', ')}${first?.msg ? ` (${first.msg})` : ''}`);
  }
  if (summary.failures.length > 0) {
    const first = summary.failures[0];
    const more = summary.failures.length > 1 ? ` and ${summary.failures.length - 1} more` : '';
    parts.push(`task "${first.task ?? '?'}" failed on ${first.host}${first.msg ? `: ${first.msg}` : ''}${more}`);
  }
  if (parts.length > 0) return parts.join('; ');
  if (!summary.playbookStarted) {
    const detail = summary.errorText();
    if (rc === 4) return `syntax or parse error in the playbook${detail ? `: ${detail}` : ''}`;
    return `ansible-playbook could not start the play (rc ${rc ?? '?'})${detail ? `: ${detail}` : ''}`;
  }
  const detail = summary.errorText();
  return `ansible-playbook failed (rc ${rc ?? '?'})${detail ? `: ${detail}` : ''}`;
}
