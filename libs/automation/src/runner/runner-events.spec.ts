import { readFileSync } from 'node:fs';
import { isRunnerNoise, parseCreated, parseEventLine, stripAnsi, toRunnerEvent } from './runner-events.js';

const fixture = (name: string): string[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').split('\n').filter((l) => l !== '');

describe('runner event lines', () => {
  it('parses a recorded runner_on_ok line into a RunnerEvent (UTC created, host, task, ANSI-free stdout, data)', () => {
    const line = fixture('successful.jsonl').find((l) => l.includes('"runner_on_ok"'))!;
    const parsed = parseEventLine(line);
    expect(parsed && 'event' in parsed).toBe(true);
    const event = (parsed as { event: ReturnType<typeof toRunnerEvent> }).event!;
    expect(event.event).toBe('runner_on_ok');
    expect(event.counter).toBe(5);
    expect(event.host).toBe('h1');
    expect(event.task).toBe('debug');
    expect(event.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.stdout).not.toContain('\r');
    expect(event.stdout).toMatch(/^ok: \[h1\]/);
    expect(event.data.res).toMatchObject({ changed: false });
    // "2026-11-25T12:44:26.180594" has no zone: it is UTC
    const raw = JSON.parse(line) as { created: string };
    expect(event.created.toISOString()).toBe(`${raw.created.slice(0, 23)}Z`);
  });

  it('gives every line of a recorded successful run as an event, in counter order', () => {
    const events = fixture('successful.jsonl').map((l) => parseEventLine(l));
    expect(events.every((e) => e && 'event' in e)).toBe(true);
    const counters = events.map((e) => (e as { event: { counter: number } }).event.counter);
    expect(counters).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('returns plain lines (what bypassed the callback in -j mode) as raw, and blank lines as nothing', () => {
    const [first] = fixture('syntax-error.jsonl');
    expect(parseEventLine(first)).toEqual({ raw: first.trimEnd() });
    expect(first.trimEnd()).toMatch(/^ERROR! We were unable to read/);
    expect(parseEventLine('   ')).toBeNull();
    expect(parseEventLine('{"not": "an event"}')).toEqual({ raw: '{"not": "an event"}' });
    expect(parseEventLine('{broken json')).toEqual({ raw: '{broken json' });
    expect(parseEventLine('\u001b[0;31mERROR!\u001b[0m bad\r')).toEqual({ raw: 'ERROR! bad' });
  });

  it('reads verbose events as runner stores them in job_events (no event_data)', () => {
    const [line] = fixture('syntax-error.job-events.jsonl');
    const event = toRunnerEvent(JSON.parse(line))!;
    expect(event).toMatchObject({ event: 'verbose', counter: 1, host: null, task: null, data: {} });
    expect(event.stdout).toMatch(/^ERROR!/);
  });

  it('tells ssh-add announcing the run key (runner plumbing) from output', () => {
    expect(isRunnerNoise('Identity added: /tmp/r/rAbc/artifacts/id/ssh_key_data (hf-test-client)')).toBe(true);
    expect(isRunnerNoise('ERROR! Identity added: something else')).toBe(false);
  });

  it('keeps explicit zones and strips ANSI', () => {
    expect(parseCreated('2026-01-02T03:04:05.5+01:00').toISOString()).toBe('2026-01-02T02:04:05.500Z');
    expect(parseCreated('2026-01-02T03:04:05Z').toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(Number.isNaN(parseCreated(undefined).getTime())).toBe(true);
    expect(stripAnsi('\u001b[1;32mok\u001b[0m\r\nnext')).toBe('ok\nnext');
  });
});
