import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { runWithLogFields } from '@hybridforms/core';
import { createLoggerService, createPinoLogger } from './pino-logger.js';

function capture() {
  const lines: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!;
      lines.push(...parts);
      done();
    },
  });
  return { stream, lines, json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the pino logger', () => {
  it('writes one JSON object a line: level name, ISO time, message, context and the unit of work fields', () => {
    const out = capture();
    const logger = createLoggerService({ level: 'log', format: 'json', destination: out.stream });
    runWithLogFields({ requestId: 'req-1', runId: 'run-9' }, () => logger.log('playbook run queued', 'Runs'));
    logger.warn('outside');
    logger.debug('below the level');
    const [first, second] = out.json();
    expect(out.lines).toHaveLength(2);
    expect(first).toMatchObject({ level: 'info', message: 'playbook run queued', context: 'Runs', requestId: 'req-1', runId: 'run-9' });
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
    expect(second).toMatchObject({ level: 'warn', message: 'outside' });
    expect(second).not.toHaveProperty('requestId');
  });

  it("takes Nest's error arguments: the stack and the context", () => {
    const out = capture();
    const logger = createLoggerService({ level: 'error', format: 'json', destination: out.stream });
    logger.error('it broke', 'Error: it broke\n    at here', 'HTTP');
    logger.error('no stack', undefined, 'HTTP');
    expect(out.json()).toEqual([
      expect.objectContaining({ level: 'error', message: 'it broke', stack: 'Error: it broke\n    at here', context: 'HTTP' }),
      expect.objectContaining({ level: 'error', message: 'no stack', context: 'HTTP' }),
    ]);
  });

  it("serves every Nest Logger once it is the app's logger (verbose as trace)", () => {
    const out = capture();
    const service = createLoggerService({ level: 'verbose', format: 'json', destination: out.stream });
    Logger.overrideLogger(service);
    try {
      new Logger('Refresh').verbose('details');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(out.json()[0]).toMatchObject({ level: 'trace', message: 'details', context: 'Refresh' });
  });

  it('redacts authorization and cookie headers and the credential fields by its redact paths', () => {
    const out = capture();
    const logger = createPinoLogger({ level: 'log', format: 'json', destination: out.stream });
    logger
      .child({ req: { method: 'GET', headers: { authorization: 'Bearer hf_secret_value', cookie: 'sid=abc', accept: 'application/json' } } })
      .info({ credentials: { clientSecret: 'cs-123456' }, tokenCount: 3 }, 'done');
    const line = out.lines[0];
    expect(line).not.toMatch(/hf_secret_value|sid=abc|cs-123456/);
    expect(JSON.parse(line)).toMatchObject({ req: { headers: { authorization: '***', cookie: '***', accept: 'application/json' } }, credentials: '***', tokenCount: 3 });
  });

  it('masks secret-like names in data handed to a Nest logger', () => {
    const out = capture();
    const logger = createLoggerService({ level: 'log', format: 'json', destination: out.stream });
    logger.log({ provider: 'p1', config: { db_password: 'pw-123456', apiKey: 'k-123456', port: 22 } }, 'Providers');
    expect(out.lines[0]).not.toMatch(/pw-123456|k-123456/);
    expect(out.json()[0]).toMatchObject({ context: 'Providers', details: { provider: 'p1', config: { db_password: '***', apiKey: '***', port: 22 } } });
  });

  it('writes readable lines in the pretty format', async () => {
    const out = capture();
    const logger = createLoggerService({ level: 'log', format: 'pretty', destination: out.stream });
    runWithLogFields({ requestId: 'req-2' }, () => logger.log('API listening on http://localhost:3000', 'Hybridforms'));
    await new Promise((r) => setTimeout(r, 50));
    expect(out.lines).toHaveLength(1);
    const plain = out.lines[0].replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Hybridforms\] API listening on http:\/\/localhost:3000 .*"requestId":"req-2"/);
    expect(() => JSON.parse(out.lines[0])).toThrow();
  });
});
