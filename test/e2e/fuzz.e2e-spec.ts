import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { createScratchDatabase } from '../support/postgres.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

/**
 * Every route of the OpenAPI document (so a new route is fuzzed without touching this file) gets
 * malformed and hostile input — each request carries at least one violation by construction — and
 * must answer 4xx in our error shape, promptly, without changing a stored row.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> (FUZZ_RUNS=<n> for more runs).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const REQUEST_TIMEOUT_MS = 10_000;
const NOT_STORED = '00000000-0000-4000-8000-00000000dead';

type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  maxLength?: number;
  maxItems?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  $ref?: string;
  allOf?: Schema[];
}
interface Operation {
  method: Method;
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body: Schema | null;
}

interface FuzzRequest {
  violation: string;
  pathValues: Record<string, string>;
  query: [string, string][];
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string; contentType: string };
  accept: string | null;
}

// ---------------------------------------------------------------------------------------------
// Hostile material.

const HOSTILE_STRINGS = [
  '',
  ' ',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  'a\u0000b',
  "' OR 1=1--",
  '"; DROP TABLE vms; --',
  '1; SELECT pg_sleep(10)',
  '{{ lookup("pipe", "id") }}',
  '$(id)',
  '`id`',
  '<script>alert(1)</script>',
  '\u202egnp.exe',
  '\ud800',
  'é'.repeat(300),
  '😀'.repeat(200),
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e308',
  '9'.repeat(40),
  'x'.repeat(5000),
  NOT_STORED,
  'true',
  'null',
  '[object Object]',
];

/** Path segments that are never a UUID (a violation wherever an id is expected). */
const hostilePathSegment = fc.oneof(
  // No bare dot segments: the client's URL parser would resolve them into another route.
  fc.constantFrom('..%2F..%2Fetc%2Fpasswd', '..%5C..%5Cwin.ini', '%00', '%', '%zz', '%E0%A4%A', "'%20OR%201=1--", 'x'.repeat(3000), '%F0%9F%98%80', 'null', '-1', '0', `${NOT_STORED}0`, NOT_STORED.replace(/-/g, ''), `{${NOT_STORED}}`),
  fc.string({ minLength: 1, maxLength: 80 }).filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)).map(encode),
  fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s !== NOT_STORED && s !== '')).map(encode),
).filter((segment) => !/^\.{1,2}$/.test(segment) && !/^(%2e|\.){1,2}$/i.test(segment));

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }));

/** Any JSON-ish value, hostile strings and awkward numbers included (nulls, arrays, nesting). */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'ansible_user', 'hostvars')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const unknownName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'zz', 'admin', 'role', 'debug', '$where', 'q[a]', 'limit[]', 'sort[0]', 'id', '_', 'x'.repeat(300), '%00', 'ünïcode'),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `zz_${s}`),
);

/** Percent-encoding that never throws: a lone surrogate (not expressible in UTF-8) goes as the replacement character. */
function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function deepJson(depth: number, array: boolean): string {
  return array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document → operations → requests.

function resolve(document: { components?: { schemas?: Record<string, Schema> } }, schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return resolve(document, document.components?.schemas?.[schema.$ref.split('/').pop()!]);
  if (schema.allOf?.length === 1) return resolve(document, schema.allOf[0]);
  return schema;
}

function operationsOf(document: Record<string, unknown>): Operation[] {
  const operations: Operation[] = [];
  const paths = document.paths as Record<string, Record<string, { parameters?: { in: string; name: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'delete', 'put'].includes(method)) continue;
      const parameters = op.parameters ?? [];
      operations.push({
        method: method as Method,
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(document, p.schema) ?? {} })),
        body: resolve(document, op.requestBody?.content?.['application/json']?.schema) ?? null,
      });
    }
  }
  return operations;
}

/** A value that breaks a query parameter's documented contract (type, enum, format, length). */
function badQueryValue(schema: Schema, name: string): fc.Arbitrary<string> {
  // (A lone surrogate cannot travel in a URL: it is a body-only violation.)
  const options: fc.Arbitrary<string>[] = [fc.constant('a\u0000b'), fc.constant('\u0000')];
  if (schema.format === 'uuid') options.push(fc.constantFrom('x', "' OR 1=1--", NOT_STORED.slice(1), '../etc'));
  if (schema.enum) options.push(fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !schema.enum!.includes(s)));
  if (schema.format === 'date-time') options.push(fc.constantFrom('yesterday', '2026-13-45T00:00:00Z', '0000-00-00', '99999-01-01T00:00:00Z', '1700000000'));
  if (schema.type === 'integer' || schema.type === 'number' || name === 'limit') options.push(fc.constantFrom('abc', '1e3', '0x10', '-1', '0', '1.5', '99999999999999999999', 'NaN', ''));
  if (schema.maxLength !== undefined) options.push(fc.integer({ min: schema.maxLength + 1, max: schema.maxLength + 3000 }).map((n) => 'a'.repeat(n)));
  if (name === 'cursor') options.push(fc.constantFrom('!!', 'abc', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')));
  return fc.oneof(...options);
}

/** A value of the wrong JSON type for a body property. */
function wrongType(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const type = schema?.type ?? (schema?.properties || schema?.$ref ? 'object' : undefined);
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.integer(), fc.boolean(), fc.constant({ a: 1 }), fc.constant(['x'])),
    integer: fc.oneof(fc.constantFrom('5', 'abc', 1.5, true, [1], { a: 1 })),
    number: fc.oneof(fc.constantFrom('5', true, [1], { a: 1 })),
    boolean: fc.oneof(fc.constantFrom('true', 1, 0, [true], { a: 1 })),
    array: fc.oneof(fc.constantFrom('x', 1, true, { a: 1 })),
    object: fc.oneof(fc.constantFrom('x', 1, true, [{}], [])),
  };
  return all[type ?? ''] ?? fc.constantFrom(Symbol.for('skip'));
}

function requestArb(op: Operation, ids: string[]): fc.Arbitrary<FuzzRequest> {
  const properties = op.body?.properties ?? {};
  const propertyNames = Object.keys(properties).filter((name) => wrongTypeApplies(properties[name]));
  const knownQuery = new Set(op.query.map((q) => q.name));
  const validId = fc.constantFrom(NOT_STORED, ...ids);

  const violations: fc.Arbitrary<Partial<FuzzRequest> & { violation: string }>[] = [
    unknownName.filter((n) => !knownQuery.has(n)).chain((name) => hostileString.map((value) => ({ violation: `unknown query parameter ${JSON.stringify(name)}`, query: [[name, value]] as [string, string][] }))),
    fc.tuple(unknownName.filter((n) => !(n in properties)), anyValue).map(([name, value]) => ({ violation: `unknown body key ${JSON.stringify(name)}`, body: { kind: 'json' as const, value: { [name]: value } } })),
    fc.oneof(
      fc.constantFrom('{bad', '{"a":1,}', "{'a':1}", 'null', '"x"', '42', '[]', '[{}]', '\u0000', '{"a":"\\ud800"}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}'),
      fc.integer({ min: 40, max: 60_000 }).chain((depth) => fc.boolean().map((array) => (array ? deepJson(depth, true) : `{"x":${deepJson(depth, false)}}`))),
      fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !/^\s*\{\s*\}\s*$/.test(s)),
    ).map((text) => ({ violation: 'malformed JSON body', body: { kind: 'text' as const, text, contentType: 'application/json' } })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx'), fc.string({ minLength: 1, maxLength: 200 })).map(
      ([contentType, text]) => ({ violation: `${contentType} body`, body: { kind: 'text' as const, text, contentType } }),
    ),
  ];
  if (op.pathParams.length > 0) {
    violations.push(
      fc.tuple(fc.constantFrom(...op.pathParams), hostilePathSegment).map(([name, segment]) => ({ violation: `path ${name}=${segment.slice(0, 60)}`, pathValues: { [name]: segment } })),
    );
  }
  for (const q of op.query) {
    violations.push(badQueryValue(q.schema, q.name).map((value) => ({ violation: `query ${q.name}=${JSON.stringify(value.slice(0, 60))}`, query: [[q.name, value]] as [string, string][] })));
  }
  if (op.body && propertyNames.length > 0) {
    violations.push(
      fc.constantFrom(...propertyNames).chain((name) => wrongType(properties[name]).map((value) => ({ violation: `body ${name} of the wrong type`, body: { kind: 'json' as const, value: { [name]: value } } }))),
    );
    const limited = Object.keys(properties).filter((name) => properties[name].maxLength !== undefined);
    if (limited.length > 0) {
      violations.push(
        fc.constantFrom(...limited).map((name) => ({ violation: `body ${name} too long`, body: { kind: 'json' as const, value: { [name]: 'a'.repeat(properties[name].maxLength! + 1) } } })),
      );
    }
  }

  // Noise around the violation: valid-looking or random known parameters and properties.
  const noiseQuery = fc.array(
    fc.tuple(op.query.length > 0 ? fc.constantFrom(...op.query.map((q) => q.name)) : fc.constant('zz_noise'), fc.oneof(hostileString, validId, fc.constantFrom('10', '1', 'rhel', 'true', 'all', '2026-01-01T00:00:00Z'))),
    { maxLength: 3 },
  );
  const noiseBody = fc.dictionary(Object.keys(properties).length > 0 ? fc.constantFrom(...Object.keys(properties)) : fc.constant('zz_noise'), fc.oneof(anyValue, validId), { maxKeys: 4 });

  return fc
    .record({
      violation: fc.oneof(...violations),
      pathValues: fc.record(Object.fromEntries(op.pathParams.map((name) => [name, validId]))) as fc.Arbitrary<Record<string, string>>,
      noiseQuery,
      noiseBody,
      accept: fc.constantFrom(null, 'application/json', 'text/event-stream', '*/*', 'text/html'),
    })
    .map(({ violation, pathValues, noiseQuery, noiseBody, accept }) => {
      const body: FuzzRequest['body'] =
        violation.body?.kind === 'text'
          ? violation.body
          : violation.body?.kind === 'json'
            ? // The violation's keys win over the noise's.
              { kind: 'json', value: { ...(op.body ? noiseBody : {}), ...(violation.body.value as Record<string, unknown>) } }
            : op.body && Object.keys(noiseBody).length > 0
              ? { kind: 'json', value: noiseBody }
              : { kind: 'none' };
      return {
        violation: violation.violation,
        pathValues: { ...pathValues, ...violation.pathValues },
        // Noise first, the violation last: a repeated name stays an array, which is still a violation.
        query: [...noiseQuery.filter(([name]) => !violation.query?.some(([n]) => n === name)), ...(violation.query ?? [])],
        body,
        accept,
      };
    });
}

function wrongTypeApplies(schema: Schema): boolean {
  return ['string', 'integer', 'number', 'boolean', 'array', 'object'].includes(schema.type ?? '') || schema.properties !== undefined || schema.$ref !== undefined;
}

// ---------------------------------------------------------------------------------------------
// The stored data, row by row.

type Snapshot = Map<string, { count: number; hash: string; rows: string[] }>;

function stable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, stable((value as Record<string, unknown>)[key])]));
  return value;
}

async function snapshot(dataSource: DataSource): Promise<Snapshot> {
  const postgres = dataSource.options.type === 'postgres';
  const tables: { name: string }[] = postgres
    ? await dataSource.query(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
    : await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`);
  const result: Snapshot = new Map();
  for (const { name } of tables) {
    // The audit log records refused changes: that is its job.
    if (name === 'audit_log') continue;
    const rows = (await dataSource.query(`SELECT * FROM "${name}"`)) as Record<string, unknown>[];
    const lines = rows
      .map((row) => {
        if (name === 'api_tokens') delete row.last_used_at;
        return JSON.stringify(stable(row));
      })
      .sort();
    result.set(name, { count: rows.length, hash: createHash('sha256').update(lines.join('\n')).digest('hex'), rows: lines });
  }
  return result;
}

function differences(before: Snapshot, after: Snapshot): string[] {
  const problems: string[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name);
    const b = after.get(name);
    if (a?.hash === b?.hash) continue;
    const added = (b?.rows ?? []).filter((row) => !a?.rows.includes(row));
    const removed = (a?.rows ?? []).filter((row) => !b?.rows.includes(row));
    problems.push(`${name}: ${a?.count ?? 0} → ${b?.count ?? 0} rows; added ${added.slice(0, 2).map((r) => r.slice(0, 300))}; removed ${removed.slice(0, 2).map((r) => r.slice(0, 300))}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe.each([['sqlite'], ['postgresql']])('Fuzzing every route of the OpenAPI document on %s', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let operations: Operation[] = [];
  let ids: string[] = [];
  let dataSource: DataSource;

  async function send(op: Operation, request: FuzzRequest) {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => request.pathValues[name] ?? NOT_STORED);
    const query = request.query.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
    let call = t
      .http()
      [op.method](query ? `${path}?${query}` : path)
      .timeout({ response: REQUEST_TIMEOUT_MS, deadline: REQUEST_TIMEOUT_MS });
    if (request.accept) call = call.set('accept', request.accept);
    if (request.body.kind === 'json') call = call.set('content-type', 'application/json').send(JSON.stringify(request.body.value));
    if (request.body.kind === 'text') call = call.set('content-type', request.body.contentType).send(request.body.text);
    return call;
  }

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 6 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_fuzz') : null;
    t = await startTestApp({
      ...QUIET_TELEMETRY,
      HYBRIDFORMS_REFRESH_INTERVAL_SECONDS: String(7 * 24 * 3600),
      // Garbage tokens are the point of one test: the per-address limiter must not turn them into 429s.
      HYBRIDFORMS_AUTH_MAX_FAILURES_PER_MINUTE: '100000',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    });
    dataSource = t.app.get(DataSource);

    // A provider refreshed from the simulator, a machine credential, a rule, a finished run, a token.
    const provider = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-fuzz')).expect(201);
    await waitForRefresh(t, provider.body.refreshId);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'pkcs1', format: 'pem' } });
    const credential = await t.http().post('/api/v1/machine-credentials').send({ name: 'fuzz-key', username: 'cloud-user', privateKey }).expect(201);
    const playbook = (await t.http().get('/api/v1/playbooks').expect(200)).body.items[0].id as string;
    await t.http().post('/api/v1/automation-rules').send({ name: 'fuzz-rule', on: { type: 'vm.started' }, playbook, credentialId: credential.body.id, enabled: false }).expect(201);
    await t.http().post('/api/v1/tokens').send({ name: 'fuzz-viewer', role: 'viewer' }).expect(201);
    const vms = (await t.http().get('/api/v1/vms?limit=10').expect(200)).body.items as { id: string }[];
    const run = await t.http().post('/api/v1/playbook-runs').send({ playbook, targets: { vmIds: [vms[0].id] }, credentialId: credential.body.id, timeoutSeconds: 30 }).expect(202);
    await t.http().post(`/api/v1/playbook-runs/${run.body.id}/cancel`);
    const deadline = Date.now() + 60_000;
    while (['queued', 'running'].includes((await t.http().get(`/api/v1/playbook-runs/${run.body.id}`).expect(200)).body.status)) {
      if (Date.now() > deadline) throw new Error('the seeded run did not finish');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    for (const list of ['providers', 'vms', 'hosts', 'images', 'networks', 'refreshes', 'machine-credentials', 'automation-rules', 'playbook-runs', 'tokens', 'events']) {
      const items = (await t.http().get(`/api/v1/${list}`).expect(200)).body.items as { id: string }[];
      ids.push(...items.slice(0, 3).map((item) => item.id));
    }
    ids = [...new Set(ids)];

    const document = (await t.anonymous().get('/docs/openapi.json').expect(200)).body as Record<string, unknown>;
    operations = operationsOf(document);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  it('seeded data that stays still when nobody asks for a change', async () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.map((op) => `${op.method.toUpperCase()} ${op.path}`)).toEqual(expect.arrayContaining(['POST /api/v1/providers', 'GET /api/v1/vms/{id}/metrics', 'POST /api/v1/playbook-runs']));
    const first = await snapshot(dataSource);
    for (const table of ['providers', 'vms', 'machine_credentials', 'automation_rules', 'playbook_runs', 'api_tokens']) expect([table, first.get(table)?.count]).toEqual([table, expect.any(Number)]);
    expect(first.get('vms')!.count).toBeGreaterThan(0);
    expect(first.get('playbook_runs')!.count).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(differences(first, await snapshot(dataSource))).toEqual([]);
  });

  it('answers hostile input on every route with a 4xx in the error shape, and changes nothing stored', async () => {
    const failures: string[] = [];
    const started = Date.now();
    for (const op of operations) {
      const before = await snapshot(dataSource);
      const name = `${op.method.toUpperCase()} ${op.path}`;
      const outcome = await fc.check(
        fc.asyncProperty(requestArb(op, ids), async (request) => {
          let res: Awaited<ReturnType<typeof send>>;
          try {
            res = await send(op, request);
          } catch (error) {
            throw new Error(`${name} (${request.violation}): no answer: ${(error as Error).message}`);
          }
          const body = res.body as { statusCode?: unknown; error?: unknown; message?: unknown };
          const shaped = typeof body === 'object' && body !== null && body.statusCode === res.status && typeof body.error === 'string' && (typeof body.message === 'string' || Array.isArray(body.message));
          if (res.status < 400 || res.status >= 500 || !shaped) {
            throw new Error(`${name} (${request.violation}) answered ${res.status}: ${JSON.stringify(res.body ?? res.text).slice(0, 400)}`);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      if (outcome.failed) failures.push(`${(outcome.errorInstance as Error)?.message} — ${fc.defaultReportMessage(outcome)?.slice(0, 2000)}`);
      const changed = differences(before, await snapshot(dataSource));
      if (changed.length > 0) failures.push(`${name} changed stored data (seed ${SEED}):\n  ${changed.join('\n  ')}`);
    }
    console.info(`fuzzed ${operations.length} routes × ${RUNS} requests on ${driver} in ${Date.now() - started} ms (seed ${SEED})`);
    expect(failures).toEqual([]);
  }, 600_000);

  it('answers garbage Authorization headers with 401, never a 5xx', async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 600 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
      fc.string({ maxLength: 100 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`),
      fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer hf_${s}`),
      fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'A'.repeat(4000)}`, "Bearer ' OR 1=1--", 'Bearer %00', 'Bearer null', 'Bearer undefined', 'Token abc', `Bearer ${'x'.repeat(16)}==`),
    );
    const routes: [Method, string][] = [
      ['get', '/api/v1/vms'],
      ['post', '/api/v1/providers'],
      ['delete', `/api/v1/providers/${ids[0]}`],
      ['get', '/api/v1/tokens'],
      ['post', `/api/v1/playbook-runs/${NOT_STORED}/cancel`],
    ];
    const before = await snapshot(dataSource);
    const outcome = await fc.check(
      fc.asyncProperty(fc.constantFrom(...routes), header, async ([method, path], authorization) => {
        const res = await t.anonymous()[method](path).set('authorization', authorization).timeout(REQUEST_TIMEOUT_MS);
        if (res.status !== 401 || res.body?.statusCode !== 401 || typeof res.body?.message !== 'string') {
          throw new Error(`${method.toUpperCase()} ${path} with Authorization ${JSON.stringify(authorization.slice(0, 80))} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
        }
      }),
      { seed: SEED, numRuns: RUNS * 4, endOnFailure: true },
    );
    expect(outcome.failed ? `${(outcome.errorInstance as Error)?.message} — ${fc.defaultReportMessage(outcome)}` : null).toBeNull();
    expect(differences(before, await snapshot(dataSource))).toEqual([]);
  }, 300_000);
});
