import type { RunnerEvent } from './ansible-runner.types.js';

// CSI sequences (colours, cursor moves) and the few two-character escapes a terminal writer may emit.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

/** Removes ANSI escape sequences and carriage returns (runner's pty writes CRLF). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n');
}

/** ansible-runner writes `created` as UTC without a zone suffix; read it as UTC. */
export function parseCreated(created: unknown): Date {
  if (typeof created !== 'string' || created === '') return new Date(Number.NaN);
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(created);
  return new Date(hasZone ? created : `${created}Z`);
}

/** Normalizes one decoded runner event; null when it is not an event (no counter or no event name). */
export function toRunnerEvent(raw: unknown): RunnerEvent | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const counter = r.counter;
  if (typeof counter !== 'number' || !Number.isInteger(counter) || typeof r.event !== 'string') return null;
  const data =
    r.event_data !== null && typeof r.event_data === 'object' && !Array.isArray(r.event_data)
      ? (r.event_data as Record<string, unknown>)
      : {};
  return {
    counter,
    uuid: typeof r.uuid === 'string' ? r.uuid : '',
    event: r.event,
    created: parseCreated(r.created),
    host: typeof data.host === 'string' ? data.host : null,
    task: typeof data.task === 'string' ? data.task : null,
    stdout: typeof r.stdout === 'string' ? stripAnsi(r.stdout) : '',
    data,
  };
}

/**
 * One line of `ansible-runner run -j` stdout. Events are JSON objects; output that did not go through the
 * callback (parse errors, "no hosts to target") arrives as plain text lines: those give `{ raw }`.
 */
export function parseEventLine(line: string): { event: RunnerEvent } | { raw: string } | null {
  const trimmed = line.trim();
  if (trimmed === '') return null;
  if (trimmed.startsWith('{')) {
    try {
      const event = toRunnerEvent(JSON.parse(trimmed));
      if (event) return { event };
    } catch {
      // not JSON after all: plain output
    }
  }
  return { raw: stripAnsi(line).trimEnd() };
}

/** Plain lines that are runner's plumbing, not the run's output (ssh-add announcing the run's key). */
export function isRunnerNoise(raw: string): boolean {
  return /^Identity added: \S*ssh_key_data\b/.test(raw);
}
