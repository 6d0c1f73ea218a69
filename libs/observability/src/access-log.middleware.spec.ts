import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { accessLogMiddleware } from './access-log.middleware.js';
import { createPinoLogger } from './pino-logger.js';
import { requestIdMiddleware } from './request-id.middleware.js';

describe('the access log', () => {
  it('writes one line per request with its request id, status and time, and the Authorization header redacted', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const server = express();
    server.use(requestIdMiddleware());
    server.use(accessLogMiddleware(createPinoLogger({ level: 'log', format: 'json', destination: stream })));
    server.get('/ok', (_req, res) => res.json({ ok: true }));
    server.get('/boom', (_req, res) => res.status(500).json({}));

    await request(server).get('/ok').set('X-Request-Id', 'req-ok').set('Authorization', 'Bearer hf_very_secret_token');
    await request(server).get('/boom').set('X-Request-Id', 'req-boom');
    type Line = { req: { headers: Record<string, string> } } & Record<string, unknown>;
    const [ok, boom] = lines.map((line) => JSON.parse(line) as Line);
    expect(lines).toHaveLength(2);
    expect(ok).toMatchObject({ level: 'info', context: 'HTTP', requestId: 'req-ok', message: expect.stringMatching(/^GET \/ok 200 \d+ ms$/), res: { statusCode: 200 } });
    expect(ok.req.headers.authorization).toBe('***');
    expect(lines[0]).not.toContain('hf_very_secret_token');
    // One requestId key per line, not pino-http's own as well.
    expect(lines[0].match(/"requestId"/g)).toHaveLength(1);
    expect(boom).toMatchObject({ level: 'error', requestId: 'req-boom', res: { statusCode: 500 } });
  });
});
