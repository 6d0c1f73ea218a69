import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Created = { id: string; name: string; role: string; token: string };

describe.each([['sqlite'], ['postgresql']])('API access on %s: tokens, roles, audit', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let providerId: string;
  const tokens: Record<'viewer' | 'operator' | 'admin', Created> = {} as never;

  const as = (token: string) => ({
    get: (path: string) => t.anonymous().get(path).set('authorization', `Bearer ${token}`),
    post: (path: string) => t.anonymous().post(path).set('authorization', `Bearer ${token}`),
    delete: (path: string) => t.anonymous().delete(path).set('authorization', `Bearer ${token}`),
  });

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 6, pageSize: 4 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_access') : null;
    // Every route is tried with a bad token below: more failures than the per-address limit allows.
    t = await startTestApp({ HYBRIDFORMS_AUTH_MAX_FAILURES_PER_MINUTE: '1000', ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'access-azure')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = (await t.http().post('/api/v1/tokens').send({ name: `${role}-bot`, role }).expect(201)).body;
    }
  });

  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  it('answers 401 on every route of the OpenAPI document without a valid token, /health aside', async () => {
    const doc = (await t.anonymous().get('/docs/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })));
    expect(routes.length).toBeGreaterThan(30);
    let checked = 0;
    for (const { path, method } of routes) {
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const call = (t.anonymous() as unknown as Record<string, (u: string) => import('supertest').Test>)[method](url);
      const res = await (path === '/health' ? call : call.set('authorization', 'Bearer hf_not-a-real-token-at-all-0000000'));
      if (path === '/health') {
        expect(res.status).toBe(200);
        continue;
      }
      expect({ route: `${method} ${path}`, status: res.status }).toEqual({ route: `${method} ${path}`, status: 401 });
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid, expired or revoked token' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="hybridforms"');
      checked++;
    }
    expect(checked).toBe(routes.length - 1);
    const missing = await t.anonymous().get('/api/v1/vms').expect(401);
    expect(missing.body.message).toMatch(/Bearer API token is required/);
    await t.anonymous().get('/api/v1/vms').set('authorization', `Basic ${Buffer.from('admin:admin').toString('base64')}`).expect(401);
  });

  it('shows a token once at creation and never again: lists carry its prefix, not the token or its hash', async () => {
    const { viewer } = tokens;
    expect(viewer.token).toMatch(/^hf_[A-Za-z0-9_-]{43}$/);
    const list = await t.http().get('/api/v1/tokens').expect(200);
    const text = JSON.stringify(list.body);
    for (const created of Object.values(tokens)) expect(text).not.toContain(created.token);
    expect(text).not.toMatch(/tokenHash|[0-9a-f]{64}/);
    const item = list.body.items.find((i: { id: string }) => i.id === viewer.id);
    expect(item).toMatchObject({ name: 'viewer-bot', role: 'viewer', prefix: viewer.token.slice(0, 10), createdBy: 'env-admin', revokedAt: null });
    expect((await t.http().get(`/api/v1/tokens/${viewer.id}`).expect(200)).body).not.toHaveProperty('token');
  });

  it("tells a token's holder its name and role (GET /whoami), and nothing without a valid token", async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const res = await as(tokens[role].token).get('/api/v1/whoami').expect(200);
      expect(res.body).toEqual({ name: `${role}-bot`, role, tokenId: tokens[role].id });
    }
    expect((await t.http().get('/api/v1/whoami').expect(200)).body).toEqual({ name: 'env-admin', role: 'admin', tokenId: null });
    await t.anonymous().get('/api/v1/whoami').expect(401);
  });

  it('lets viewers read, operators refresh and run playbooks, and only admins manage providers, credentials, tokens, rules and the audit log', async () => {
    const viewer = as(tokens.viewer.token);
    const operator = as(tokens.operator.token);
    const admin = as(tokens.admin.token);

    for (const path of ['/api/v1/vms', '/api/v1/providers', '/api/v1/events', '/api/v1/playbooks', '/api/v1/playbook-runs', '/api/v1/refreshes']) {
      await viewer.get(path).expect(200);
    }
    const forbidden = await viewer.post(`/api/v1/providers/${providerId}/refresh`).send({}).expect(403);
    expect(forbidden.body.message).toBe('role viewer may not do this: it needs operator');
    await viewer.post('/api/v1/playbook-runs').send({}).expect(403);
    await viewer.get('/api/v1/tokens').expect(403);
    await viewer.get('/api/v1/audit').expect(403);

    const refresh = await operator.post(`/api/v1/providers/${providerId}/refresh`).send({}).expect(202);
    await waitForRefresh(t, refresh.body.id);
    // Past the guard: the body is judged (400), not the role.
    await operator.post('/api/v1/playbook-runs').send({ playbook: 'nope.yml' }).expect(400);
    await operator.post('/api/v1/providers').send(azureProviderRequest(sim, 'operator-made')).expect(403);
    await operator.post('/api/v1/machine-credentials').send({}).expect(403);
    await operator.post('/api/v1/automation-rules').send({}).expect(403);
    await operator.post('/api/v1/tokens').send({ name: 'escalate', role: 'admin' }).expect(403);
    await operator.delete(`/api/v1/providers/${providerId}`).expect(403);
    await operator.get('/api/v1/tokens').expect(403);

    await admin.get('/api/v1/tokens').expect(200);
    await admin.get('/api/v1/audit').expect(200);
    const made = await admin.post('/api/v1/tokens').send({ name: 'admin-made', role: 'viewer' }).expect(201);
    expect(made.body.createdBy).toBe('admin-bot');
  });

  it('refuses bad token requests with the reason and stores nothing', async () => {
    const before = (await t.http().get('/api/v1/tokens').expect(200)).body.items.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x', role: 'root' }, /role must be one of/],
      [{ name: '', role: 'viewer' }, /name/],
      [{ name: 'x', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }, /expiresAt: must be in the future/],
      [{ name: 'x', role: 'viewer', expiresAt: 'tomorrow' }, /expiresAt/],
      [{ name: 'x', role: 'viewer', token: 'choose-my-own-token' }, /property token should not exist/],
    ];
    for (const [body, message] of cases) {
      const res = await t.http().post('/api/v1/tokens').send(body).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    }
    expect((await t.http().get('/api/v1/tokens').expect(200)).body.items).toHaveLength(before);
  });

  it('stops accepting a revoked token at once, and an expired one when it expires; records when a token was last used', async () => {
    const doomed: Created = (await t.http().post('/api/v1/tokens').send({ name: 'doomed', role: 'viewer' }).expect(201)).body;
    await as(doomed.token).get('/api/v1/vms').expect(200);
    const used = (await t.http().get(`/api/v1/tokens/${doomed.id}`).expect(200)).body;
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    const revoked = await t.http().delete(`/api/v1/tokens/${doomed.id}`).expect(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    await as(doomed.token).get('/api/v1/vms').expect(401);

    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const brief: Created = (await t.http().post('/api/v1/tokens').send({ name: 'brief', role: 'viewer', expiresAt }).expect(201)).body;
    await as(brief.token).get('/api/v1/vms').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await as(brief.token).get('/api/v1/vms').expect(401);
  });

  it('records every change with who, what, on what, from where and how it ended — refusals included — and filters the log', async () => {
    const operator = as(tokens.operator.token);
    const viewer = as(tokens.viewer.token);
    await t.http().post('/api/v1/providers').send({ ...azureProviderRequest(sim, 'bad-secret'), credentials: { clientSecret: 'wrong-secret-value' } }).expect(400);
    const refresh = await operator.post(`/api/v1/providers/${providerId}/refresh`).send({}).expect(202);
    await waitForRefresh(t, refresh.body.id);
    await viewer.post(`/api/v1/providers/${providerId}/refresh`).send({}).expect(403);
    await t.anonymous().delete(`/api/v1/providers/${providerId}`).expect(401);

    const entries = async (query: string) => (await t.http().get(`/api/v1/audit?${query}`).expect(200)).body.items as Record<string, unknown>[];
    const creates = await entries('action=provider.create&actor=env-admin');
    expect(creates.map((e) => [e.outcome, e.statusCode, e.actor])).toEqual([
      ['failure', 400, 'env-admin'],
      ['success', 201, 'env-admin'],
    ]);
    // The operator's and the anonymous attempts of earlier tests were refused, and recorded so.
    expect((await entries('action=provider.create&outcome=denied')).map((e) => [e.actor, e.statusCode])).toEqual(
      expect.arrayContaining([
        ['operator-bot', 403],
        ['anonymous', 401],
      ]),
    );
    expect(creates[1]).toMatchObject({ targetType: 'provider', targetId: providerId, method: 'POST', path: '/api/v1/providers', actorRole: 'admin', detail: { name: 'access-azure', type: 'azure' } });
    expect(creates[1].clientIp).toMatch(/127\.0\.0\.1|::1|::ffff:127\.0\.0\.1/);
    expect(JSON.stringify(creates)).not.toContain('wrong-secret-value');
    expect(JSON.stringify(creates)).not.toContain(sim.clientSecret);

    const byOperator = await entries('actor=operator-bot&action=refresh.request&outcome=success');
    expect(byOperator.length).toBe(2);
    expect(byOperator[0]).toMatchObject({ targetId: providerId, statusCode: 202, actorTokenId: tokens.operator.id });

    const denied = await entries('outcome=denied');
    expect(denied.map((e) => [e.actor, e.action, e.statusCode])).toEqual(
      expect.arrayContaining([
        ['viewer-bot', 'refresh.request', 403],
        ['anonymous', 'provider.delete', 401],
      ]),
    );
    // Reads are not audited; token creation is, without the token.
    expect(await entries('action=Vms.list')).toEqual([]);
    const tokenCreates = await entries('action=token.create');
    expect(tokenCreates.length).toBeGreaterThanOrEqual(4);
    for (const created of Object.values(tokens)) expect(JSON.stringify(tokenCreates)).not.toContain(created.token);

    // Cursor pages of 3 walk the whole log, newest first, each entry once.
    const whole = (await t.http().get('/api/v1/audit?limit=500').expect(200)).body.items as { id: string; at: string }[];
    expect(whole.length).toBeGreaterThan(10);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.http().get(`/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      walked.push(...res.body.items.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(whole.map((e) => e.id));
    const times = whole.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await t.http().get('/api/v1/audit?outcome=maybe').expect(400);
    await t.http().get('/api/v1/audit?since=yesterday').expect(400);
  });
});

describe('failed authentication is rate-limited per client address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HYBRIDFORMS_AUTH_MAX_FAILURES_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After once an address has failed too often, even with a good token, and audits nothing for reads', async () => {
    for (let i = 0; i < 5; i++) await t.anonymous().get('/api/v1/vms').set('authorization', `Bearer hf_guess_${i}_aaaaaaaaaaaaaaaaaaaaaa`).expect(401);
    const limited = await t.anonymous().get('/api/v1/vms').set('authorization', 'Bearer hf_guess_again_aaaaaaaaaaaaaaaaaaaa').expect(429);
    expect(limited.body.message).toMatch(/too many failed authentications/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    await t.http().get('/api/v1/vms').expect(429);
    // The health check needs no token and is never limited.
    await t.anonymous().get('/health').expect(200);
  });
});
