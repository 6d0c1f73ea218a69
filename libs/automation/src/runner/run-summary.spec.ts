import { readFileSync } from 'node:fs';
import { parseEventLine, toRunnerEvent } from './runner-events.js';
import { mapOutcome, RunSummary, type ExitFacts } from './run-summary.js';

/** Replays a recorded `ansible-runner run -j` stdout through the summary, as the runner does live. */
function replay(name: string): RunSummary {
  const summary = new RunSummary();
  for (const line of readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').split('\n')) {
    const parsed = parseEventLine(line);
    if (!parsed) continue;
    if ('event' in parsed) summary.add(parsed.event);
    else summary.addRawLine(parsed.raw);
  }
  return summary;
}

const facts = (status: string | null, rc: number | null, more: Partial<ExitFacts> = {}): ExitFacts => ({
  status,
  rc,
  signal: null,
  cancelRequested: false,
  timeoutSeconds: 60,
  ...more,
});

const zero = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 };

describe('run result mapping from recorded runs', () => {
  it('successful: per-host counts from playbook_on_stats', () => {
    const s = replay('successful.jsonl');
    expect(mapOutcome(s, facts('successful', 0))).toEqual({ status: 'successful', reason: null });
    expect(s.hosts()).toEqual({ h1: { ...zero, ok: 2, changed: 1 } });
  });

  it('failed task: the task, host and message in the reason', () => {
    const s = replay('failed.jsonl');
    const out = mapOutcome(s, facts('failed', 2));
    expect(out.status).toBe('failed');
    expect(out.reason).toBe('task "break on purpose" failed on h1: boom-on-purpose');
    expect(s.hosts()).toEqual({ h1: { ...zero, failed: 1 } });
  });

  it('rc 4 with stats.dark: unreachable, with the ssh message', () => {
    const s = replay('unreachable.jsonl');
    const out = mapOutcome(s, facts('failed', 4));
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/^unreachable: gone1 \(Failed to connect to the host via ssh: .*Connection refused\)$/);
    expect(s.hosts()).toEqual({ gone1: { ...zero, unreachable: 1 } });
  });

  it('rc 4 without playbook_on_start (only plain output): a syntax error, no host summary', () => {
    const s = replay('syntax-error.jsonl');
    const out = mapOutcome(s, facts('failed', 4));
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/^syntax or parse error in the playbook: ERROR! We were unable to read either as JSON nor YAML/);
    expect(s.hosts()).toEqual({});
  });

  it('the same syntax error seen only as verbose events (recovered from job_events) maps the same way', () => {
    const s = new RunSummary();
    const lines = readFileSync(new URL('./fixtures/syntax-error.job-events.jsonl', import.meta.url), 'utf8').split('\n');
    for (const line of lines.filter((l) => l !== '')) s.add(toRunnerEvent(JSON.parse(line))!);
    expect(mapOutcome(s, facts('failed', 4)).reason).toMatch(/^syntax or parse error in the playbook: ERROR!/);
  });

  it('a limit that matches no host (runner: failed, rc 1, plain output): no host matched', () => {
    const s = replay('limit-no-host.jsonl');
    expect(mapOutcome(s, facts('failed', 1))).toEqual({ status: 'failed', reason: 'no host matched the play pattern or limit' });
  });

  it('a play pattern that matches no host (runner: successful!): failed, no host matched', () => {
    const s = replay('pattern-no-host.jsonl');
    expect(mapOutcome(s, facts('successful', 0))).toEqual({ status: 'failed', reason: 'no host matched the play pattern or limit' });
    expect(s.hosts()).toEqual({});
  });

  it('timeout → timed_out naming the limits', () => {
    const s = replay('successful.jsonl');
    expect(mapOutcome(s, facts('timeout', 254, { timeoutSeconds: 2 }))).toEqual({
      status: 'timed_out',
      reason: 'the run exceeded its time limit (2 s) and was stopped',
    });
    expect(mapOutcome(s, facts('timeout', 254, { timeoutSeconds: 2, idleTimeoutSeconds: 30 })).reason).toContain('no output for 30 s');
  });

  it('a cancel we asked for is canceled whatever runner wrote (or did not write)', () => {
    const s = replay('successful.jsonl');
    for (const status of ['successful', 'failed', 'canceled', null]) {
      expect(mapOutcome(s, facts(status, null, { cancelRequested: true, signal: 'SIGKILL' }))).toEqual({
        status: 'canceled',
        reason: 'canceled on request',
      });
    }
    expect(mapOutcome(s, facts('canceled', 254)).status).toBe('canceled');
  });

  it('no status file: error naming the signal or exit code and the end of stderr', () => {
    const s = new RunSummary();
    expect(mapOutcome(s, facts(null, null, { signal: 'SIGKILL' }))).toEqual({
      status: 'error',
      reason: 'ansible-runner ended without a result (killed by SIGKILL)',
    });
    expect(mapOutcome(s, facts(null, 2, { stderrTail: 'ansible-runner: error: unrecognized arguments: --x' })).reason).toBe(
      'ansible-runner ended without a result (exit code 2): ansible-runner: error: unrecognized arguments: --x',
    );
    expect(mapOutcome(s, facts('weird', 0)).status).toBe('error');
  });

  it('says plainly when a host key did not match', () => {
    const s = new RunSummary();
    const msg = 'Data could not be sent: @@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n@@@@@@@@ IT IS POSSIBLE…';
    s.add({ uuid: 'u', created: new Date(), stdout: '', host: 'sim1', task: 'Gathering Facts', counter: 4, event: 'runner_on_unreachable', data: { res: { unreachable: true, msg } } });
    s.add({ uuid: 'v', created: new Date(), stdout: '', host: null, task: null, counter: 5, event: 'playbook_on_stats', data: { dark: { sim1: 1 }, processed: { sim1: 1 } } });
    expect(mapOutcome(s, facts('failed', 4)).reason).toBe(
      'unreachable: sim1 (host key verification failed: the host key does not match its known_hosts entry (possible man-in-the-middle))',
    );
  });

  it('ignores failures with ignore_errors and keeps the summary bounded', () => {
    const s = new RunSummary();
    const base = { uuid: 'u', created: new Date(), stdout: '', host: 'h', task: 't' };
    s.add({ ...base, counter: 1, event: 'runner_on_failed', data: { ignore_errors: true, res: { msg: 'x' } } });
    expect(s.failures).toHaveLength(0);
    for (let i = 0; i < 100; i += 1) s.addRawLine(`line ${i}`);
    expect(s.outputLines.length).toBeLessThanOrEqual(40);
    expect(s.outputLines.at(-1)).toBe('line 99');
  });
});
