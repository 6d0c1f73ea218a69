import express from 'express';
import request from 'supertest';
import { currentLogFields } from '@hybridforms/core';
import { REQUEST_ID_HEADER, requestIdMiddleware, requestIdOf, requestLogContextMiddleware } from './request-id.middleware.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function app() {
  const server = express();
  server.use(requestIdMiddleware());
  server.use(express.json());
  server.use(requestLogContextMiddleware());
  server.post('/echo', async (_req, res) => {
    await new Promise((r) => setTimeout(r, 1));
    res.json(currentLogFields());
  });
  return server;
}

describe('request ids', () => {
  it('accepts a sane X-Request-Id, echoes it, and carries it in the log context past the body parser', async () => {
    const res = await request(app()).post('/echo').set(REQUEST_ID_HEADER, 'abc-123:x_y.z').send({ a: 1 });
    expect(res.headers['x-request-id']).toBe('abc-123:x_y.z');
    expect(res.body).toEqual({ requestId: 'abc-123:x_y.z' });
  });

  it('replaces a missing or unsafe one by a new UUID', async () => {
    const none = await request(app()).post('/echo').send({});
    expect(none.headers['x-request-id']).toMatch(UUID);
    expect(none.body).toEqual({ requestId: none.headers['x-request-id'] });
    for (const bad of ['has space', 'x'.repeat(129), 'quote"', 'new\\nline']) {
      const res = await request(app()).post('/echo').set(REQUEST_ID_HEADER, bad).send({});
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('checks the token shape', () => {
    expect(requestIdOf('a'.repeat(128))).toBe('a'.repeat(128));
    expect(requestIdOf('')).toMatch(UUID);
    expect(requestIdOf(['a', 'b'])).toMatch(UUID);
  });
});
