import { createScratchDatabase } from '../support/postgres.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const NO_ID = '00000000-0000-4000-8000-000000000000';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nestedArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObject = (depth: number): Record<string, unknown> => {
  let node: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < depth; i++) node = { n: node };
  return node;
};

/** Our error shape, for every refusal. */
function expectProblem(res: { status: number; body: unknown }, status: number, message?: RegExp) {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.anything() }) });
  if (message) expect(JSON.stringify((res.body as { message: unknown }).message)).toMatch(message);
}

describe.each([['sqlite'], ['postgresql']])('Input hardening on %s', (driver) => {
  let t: TestApp;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  const post = (path: string, body: string, type = 'application/json') => t.http().post(path).set('content-type', type).send(body);

  beforeAll(async () => {
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_harden') : null;
    t = await startTestApp(scratch ? { DATABASE_URL: scratch.url } : {});
  });

  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
  });

  it('sends security headers on the API and on /health, and none that name the framework', async () => {
    for (const path of ['/api/v1/vms', '/health', '/api/v1/nowhere']) {
      const res = await t.http().get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('still serves Swagger UI at /docs (its own scripts and styles allowed) and the OpenAPI document as JSON', async () => {
    const page = await t.anonymous().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = page.headers['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // Every script the page loads comes from /docs itself, so the policy lets it run.
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) await t.anonymous().get(new URL(src, 'http://x/docs').pathname).expect(200);
    const document = await t.anonymous().get('/docs/openapi.json').expect(200);
    expect(document.headers['content-type']).toMatch(/application\/json/);
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(['/api/v1/vms', '/api/v1/providers/{id}']));
  });

  it('sends no CORS headers by default, to a preflight or a request from any origin', async () => {
    const preflight = await t
      .anonymous()
      .options('/api/v1/vms')
      .set('origin', 'https://console.example.com')
      .set('access-control-request-method', 'GET')
      .set('access-control-request-headers', 'authorization');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-headers']).toBeUndefined();
    const res = await t.http().get('/api/v1/vms').set('origin', 'https://console.example.com').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers malformed JSON with 400 and says so', async () => {
    for (const body of ['{bad json', '{"name": "a",}', '{"a":1', '\u0000']) {
      expectProblem(await post('/api/v1/providers', body), 400, /malformed JSON|must be a JSON object/);
    }
  });

  it('refuses a body that is JSON but not an object', async () => {
    for (const body of ['null', '"text"', '42', 'true', '[]', '[{"name":"a"}]']) {
      expectProblem(await post('/api/v1/providers', body), 400, /request body must be a JSON object/);
    }
  });

  it('answers a body that is not JSON with 415, whatever the route', async () => {
    expectProblem(await post('/api/v1/providers', 'name=a&type=azure', 'application/x-www-form-urlencoded'), 415, /must be JSON/);
    expectProblem(await post('/api/v1/providers', 'hello', 'text/plain'), 415, /must be JSON/);
    expectProblem(await post('/api/v1/providers', '<a/>', 'application/xml'), 415);
    expectProblem(await post(`/api/v1/playbook-runs/${NO_ID}/cancel`, 'x', 'application/octet-stream'), 415);
    const noType = await t.http().post('/api/v1/providers').set('content-type', '').send(Buffer.from('{"name":"a"}'));
    expectProblem(noType, 415);
    // A structured +json type is JSON; a route without a body is still fine without one.
    expectProblem(await t.http().patch(`/api/v1/providers/${NO_ID}`).set('content-type', 'application/merge-patch+json').send('{"name":"ok"}'), 404);
    expectProblem(await t.http().post(`/api/v1/playbook-runs/${NO_ID}/cancel`), 404);
  });

  it('answers a body over http.maxBodyBytes with 413', async () => {
    const big = JSON.stringify({ name: 'a', type: 'azure', config: { blob: 'x'.repeat(t.config.http.maxBodyBytes) }, credentials: {} });
    expectProblem(await post('/api/v1/providers', big), 413, new RegExp(`larger than ${t.config.http.maxBodyBytes} bytes`));
  });

  it('refuses unknown fields in bodies and queries, on every route (those without a DTO too)', async () => {
    expectProblem(await t.http().post('/api/v1/tokens').send({ name: 'ci', role: 'viewer', admin: true }), 400, /property admin should not exist/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ playbook: 'p', targets: { vmIds: [NO_ID], extra: 1 }, credentialId: NO_ID }), 400, /extra should not exist/);
    expectProblem(await t.http().get('/api/v1/vms?colour=red'), 400, /property colour should not exist/);
    expectProblem(await t.http().get('/api/v1/providers?colour=red'), 400, /property colour should not exist/);
    expectProblem(await t.http().get('/api/v1/playbooks?x=1'), 400, /property x should not exist/);
    expectProblem(await t.http().get(`/api/v1/providers/${NO_ID}?expand=all`), 400, /property expand should not exist/);
    expectProblem(await t.http().delete(`/api/v1/automation-rules/${NO_ID}?force=1`), 400, /property force should not exist/);
    expectProblem(await t.http().post(`/api/v1/playbook-runs/${NO_ID}/cancel`).send({ reason: 'x' }), 400, /this route takes no body/);
    expectProblem(await t.anonymous().get('/health?verbose=1'), 400, /property verbose should not exist/);
    // An empty object where no body is taken is what some clients always send: allowed.
    expectProblem(await t.http().post(`/api/v1/playbook-runs/${NO_ID}/cancel`).send({}), 404);
  });

  it('refuses ids that are not UUIDs with 400, hostile ones included', async () => {
    for (const id of ['1', 'abc', "'%20OR%201=1--", '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(5000), '%E2%80%AE', `${NO_ID}x`]) {
      for (const path of [`/api/v1/vms/${id}`, `/api/v1/providers/${id}`, `/api/v1/playbook-runs/${id}/events`, `/api/v1/tokens/${id}`]) {
        const res = await t.http().get(path);
        expectProblem(res, 400);
      }
    }
    expectProblem(await t.http().delete('/api/v1/providers/not-a-uuid'), 400, /uuid is expected/);
    expectProblem(await t.http().get('/api/v1/vms/%E0%A4%A'), 400);
  });

  it('refuses over-long strings and out-of-range numbers', async () => {
    expectProblem(await t.http().get(`/api/v1/vms?q=${'a'.repeat(257)}`), 400, /q must be/);
    expectProblem(await t.http().get(`/api/v1/vms?osFamily=${'rhel,'.repeat(60)}rhel`), 400, /osFamily/);
    expectProblem(await t.http().get(`/api/v1/audit?actor=${'a'.repeat(129)}`), 400, /actor/);
    expectProblem(await t.http().post('/api/v1/tokens').send({ name: 'a'.repeat(129), role: 'viewer' }), 400, /name/);
    expectProblem(await t.http().post('/api/v1/providers').send({ name: 'a'.repeat(129), type: 'azure', config: {}, credentials: {} }), 400, /name must be 1-128/);
    const run = { playbook: 'p', targets: { vmIds: [NO_ID] }, credentialId: NO_ID };
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, playbook: 'p'.repeat(513) }), 400, /playbook/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, limit: 'a'.repeat(1025) }), 400, /limit/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, timeoutSeconds: 1e12 }), 400, /timeoutSeconds/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, targets: { vmIds: Array.from({ length: 10_001 }, () => NO_ID) } }), 400, /10000/);
    expectProblem(await t.http().post(`/api/v1/providers/${NO_ID}/refresh`).send({ vmIds: Array.from({ length: 501 }, () => NO_ID) }), 400, /500/);
    expectProblem(await t.http().post('/api/v1/machine-credentials').send({ name: 'k', username: 'u'.repeat(100), privateKey: 'k'.repeat(100) }), 400, /username/);
  });

  it('caps the page size and takes only decimal page sizes', async () => {
    expectProblem(await t.http().get(`/api/v1/vms?limit=${t.config.api.maxPageSize + 1}`), 400, /must not exceed/);
    for (const limit of ['0', '-1', '1e3', '0x10', '1.5', 'abc', '99999999999999999999']) {
      expectProblem(await t.http().get(`/api/v1/events?limit=${limit}`), 400, /limit/);
    }
    expectProblem(await t.http().get('/api/v1/vms?limit=1&limit=2'), 400, /limit/);
    await t.http().get(`/api/v1/vms?limit=${t.config.api.maxPageSize}`).expect(200);
  });

  it('refuses deep, wide or huge extra vars and provider settings, without a 500', async () => {
    const run = { playbook: 'p', targets: { vmIds: [NO_ID] }, credentialId: NO_ID };
    const rule = { name: 'r', on: { type: 'vm.started' }, playbook: 'p', credentialId: NO_ID };
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, extraVars: nestedObject(11) }), 400, /extraVars must not be nested deeper than 10/);
    expectProblem(await t.http().post('/api/v1/automation-rules').send({ ...rule, extraVars: nestedObject(11) }), 400, /extraVars must not be nested deeper than 10/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, extraVars: { blob: 'x'.repeat(70_000) } }), 400, /extraVars must not be larger than 65536 bytes/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, extraVars: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`v${i}`, i])) }), 400, /4096 keys/);
    expectProblem(await t.http().post('/api/v1/playbook-runs').send({ ...run, extraVars: [1, 2] }), 400, /extraVars must be a JSON object/);
    // Far deeper than any check: refused before anything recurses into it.
    const body = `{"playbook":"p","targets":{"vmIds":["${NO_ID}"]},"credentialId":"${NO_ID}","extraVars":{"a":${nestedArray(200_000)}}}`;
    expectProblem(await post('/api/v1/playbook-runs', body), 400, /nested deeper than 32 levels/);
    const deepConfig = `{"name":"a","type":"azure","config":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},"credentials":{}}`;
    expectProblem(await post('/api/v1/providers', deepConfig), 400, /nested deeper than 32 levels/);
    expectProblem(await t.http().post('/api/v1/providers').send({ name: 'a', type: 'azure', config: nestedObject(7), credentials: {} }), 400, /config must not be nested deeper than 6/);
    expectProblem(await t.http().post('/api/v1/providers').send({ name: 'a', type: 'azure', config: {}, credentials: { secret: 's'.repeat(40_000) } }), 400, /credentials must not be larger/);
    expectProblem(await t.http().patch(`/api/v1/providers/${NO_ID}`).send({ config: 'text' }), 400, /config must be a JSON object/);
  });

  it('refuses the keys JavaScript treats specially, anywhere in a body', async () => {
    for (const body of [
      '{"__proto__":{"admin":true},"name":"ci","role":"viewer"}',
      '{"name":"ci","role":"viewer","constructor":{"prototype":{"admin":true}}}',
      `{"playbook":"p","targets":{"vmIds":["${NO_ID}"]},"credentialId":"${NO_ID}","extraVars":{"a":{"__proto__":{"x":1}}}}`,
      '{"name":"a","type":"azure","config":{"prototype":1},"credentials":{}}',
    ]) {
      const path = body.includes('playbook') ? '/api/v1/playbook-runs' : body.includes('azure') ? '/api/v1/providers' : '/api/v1/tokens';
      expectProblem(await post(path, body), 400, /is not allowed/);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expectProblem(await t.http().get('/api/v1/vms?__proto__=1'), 400);
  });

  it('refuses NUL characters and lone surrogates in queries and bodies (PostgreSQL cannot store them)', async () => {
    expectProblem(await t.http().get('/api/v1/vms?q=a%00b'), 400, /NUL/);
    expectProblem(await t.http().get('/api/v1/audit?actor=%00'), 400, /NUL/);
    expectProblem(await t.http().get('/api/v1/vms?resourceGroup=rg%00'), 400, /NUL/);
    const key = { name: 'k', username: 'root', privateKey: 'k'.repeat(100) };
    expectProblem(await t.http().post('/api/v1/machine-credentials').send({ ...key, knownHosts: 'a\u0000b' }), 400, /NUL/);
    expectProblem(await post('/api/v1/machine-credentials', `{"name":"k","username":"root","privateKey":"${'k'.repeat(100)}","knownHosts":"a\\ud800b"}`), 400, /lone surrogate/);
    expectProblem(await post('/api/v1/automation-rules', `{"name":"r","on":{"type":"vm.started"},"playbook":"p","credentialId":"${NO_ID}","extraVars":{"a\\u0000":1}}`), 400, /NUL/);
  });

  it('refuses cursors this API did not hand out, on every list', async () => {
    const forged = ['abc', cursorOf(['x', 'y']), cursorOf(['x', NO_ID]), cursorOf([1, NO_ID]), cursorOf(['a\u0000', NO_ID]), cursorOf({ a: 1 }), '%00', 'x'.repeat(1025)];
    for (const path of ['/api/v1/events', '/api/v1/audit', '/api/v1/refreshes', '/api/v1/playbook-runs', '/api/v1/vms?sort=-createdAt&', '/api/v1/hosts?sort=createdAt&', '/api/v1/images?sort=-createdAt&', '/api/v1/networks?sort=createdAt&', '/api/v1/vms?', `/api/v1/playbook-runs/${NO_ID}/events`]) {
      for (const cursor of forged.filter((c) => !(path.endsWith('?') && c === cursorOf(['x', NO_ID])) && !(path.endsWith('?') && c === cursorOf([1, NO_ID])))) {
        const url = path.includes('?') ? `${path}${path.endsWith('&') || path.endsWith('?') ? '' : '&'}cursor=${cursor}` : `${path}?cursor=${cursor}`;
        expectProblem(await t.http().get(url), 400);
      }
    }
    // A name-sorted list's position may be any name.
    await t.http().get(`/api/v1/vms?cursor=${cursorOf(['x', NO_ID])}`).expect(200);
    await t.http().get(`/api/v1/events?cursor=${cursorOf(['2026-01-01T00:00:00.000Z', NO_ID])}`).expect(200);
  });

  it('answers methods and routes that do not exist with 404 in the error shape', async () => {
    expectProblem(await t.http().put('/api/v1/providers').send({}), 404, /Cannot PUT/);
    expectProblem(await t.http().patch('/api/v1/vms').send({}), 404);
    expectProblem(await t.http().get('/api/v1/../../etc/passwd'), 404);
    expectProblem(await t.http().get('/api/v2/vms'), 404, /Cannot GET \/api\/v2\/vms/);
    expectProblem(await t.anonymous().get('/favicon.ico'), 404);
    expectProblem(await t.anonymous().get('/docs/%E0%A4%A'), 404);
    const head = await t.http().head('/api/v1/vms');
    expect(head.status).toBe(200);
  });

  it('refuses dates that are not ISO 8601 date-times', async () => {
    for (const since of ['yesterday', '2020-13-45T00:00:00Z', '99999-01-01T00:00:00Z', '1700000000', '2020-01-01T00:00:00Z%00']) {
      expectProblem(await t.http().get(`/api/v1/events?since=${since}`), 400);
    }
    expectProblem(await t.http().get('/api/v1/metrics/summary?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'), 400, /from: must be before to/);
    expectProblem(await t.http().post('/api/v1/tokens').send({ name: 'ci', role: 'viewer', expiresAt: 'tomorrow' }), 400, /expiresAt/);
  });
});

describe('CORS for configured origins', () => {
  let t: TestApp;
  const allowed = 'https://console.example.com';

  beforeAll(async () => {
    t = await startTestApp({ HYBRIDFORMS_CORS_ORIGINS: `${allowed}, http://localhost:5173` });
  });

  afterAll(async () => t?.close());

  it('answers a preflight from a configured origin, allowing the Authorization header', async () => {
    const res = await t
      .anonymous()
      .options('/api/v1/providers')
      .set('origin', allowed)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/i);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await t.http().get('/api/v1/vms').set('origin', allowed).expect(200);
    expect(get.headers['access-control-allow-origin']).toBe(allowed);
    expect(get.headers.vary).toMatch(/Origin/i);
  });

  it('sends nothing to other origins', async () => {
    for (const origin of ['https://evil.example.com', 'https://console.example.com.evil.com', 'null']) {
      const preflight = await t.anonymous().options('/api/v1/providers').set('origin', origin).set('access-control-request-method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const get = await t.http().get('/api/v1/vms').set('origin', origin).expect(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('still requires a token from an allowed origin', async () => {
    const res = await t.anonymous().get('/api/v1/vms').set('origin', allowed).expect(401);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
  });
});
