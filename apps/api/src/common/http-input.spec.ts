import { jsonObjectProblem } from './bounded-json.validator.js';
import { isJsonMediaType, jsonInputProblem, MAX_BODY_DEPTH } from './http-input.js';
import { isCursorOf } from './list-query.dto.js';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ID = '2f1d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b';

describe('jsonInputProblem', () => {
  it('accepts ordinary JSON', () => {
    expect(jsonInputProblem({ name: 'a', list: [1, 'b', { c: null }], nested: { deep: { ok: true } } }, MAX_BODY_DEPTH, 'body')).toBeNull();
  });

  it('refuses nesting past the limit, iteratively (no stack overflow on 500 000 levels)', () => {
    let node: unknown = [];
    for (let i = 0; i < 500_000; i++) node = [node];
    expect(jsonInputProblem({ a: node }, MAX_BODY_DEPTH, 'body')).toMatch(/nested deeper than 32 levels/);
    // 32 levels of objects are fine, 33 are not.
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = { n: ok };
    expect(jsonInputProblem(ok, MAX_BODY_DEPTH, 'body')).toBeNull();
    expect(jsonInputProblem({ n: ok }, MAX_BODY_DEPTH, 'body')).toMatch(/deeper/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth', (key) => {
    expect(jsonInputProblem(JSON.parse(`{"a":[{"${key}":{"x":1}}]}`), MAX_BODY_DEPTH, 'body')).toBe(`body.a[0].${key}: the key ${key} is not allowed`);
  });

  it('refuses NUL and lone surrogates in values and keys, and keeps paired surrogates', () => {
    expect(jsonInputProblem({ a: 'x\u0000' }, 8, 'body')).toMatch(/body\.a: must not contain NUL/);
    expect(jsonInputProblem({ ['k\u0000']: 1 }, 8, 'body')).toMatch(/a key must not contain NUL/);
    expect(jsonInputProblem(JSON.parse('{"a":"\\ud800"}'), 8, 'body')).toMatch(/lone surrogate/);
    expect(jsonInputProblem(JSON.parse('{"a":"x\\udc00"}'), 8, 'body')).toMatch(/lone surrogate/);
    expect(jsonInputProblem({ a: '😀 é' }, 8, 'body')).toBeNull();
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/merge-patch+json', true],
    ['text/plain', false],
    ['application/jsonx', false],
    ['application/x-www-form-urlencoded', false],
    [undefined, false],
  ])('%s → %s', (type, expected) => {
    expect(isJsonMediaType(type)).toBe(expected);
  });
});

describe('jsonObjectProblem', () => {
  const bounds = { maxDepth: 3, maxEntries: 5, maxBytes: 64 };
  it('accepts a small object and refuses what is not a plain object', () => {
    expect(jsonObjectProblem({ a: { b: [1] } }, bounds)).toBeNull();
    for (const value of [null, [], 'x', 1, new Date()]) expect(jsonObjectProblem(value, bounds)).toBe('must be a JSON object');
  });

  it('counts depth, entries and bytes', () => {
    expect(jsonObjectProblem({ a: { b: { c: {} } } }, bounds)).toMatch(/deeper than 3/);
    expect(jsonObjectProblem({ a: [1, 2, 3, 4, 5] }, bounds)).toMatch(/more than 5 keys and items/);
    expect(jsonObjectProblem({ a: 'x'.repeat(64) }, bounds)).toMatch(/larger than 64 bytes/);
  });
});

describe('isCursorOf', () => {
  it('takes keyset cursors of a (value, uuid) pair', () => {
    expect(isCursorOf('keyset', cursorOf(['vm-01', ID]))).toBe(true);
    expect(isCursorOf('keyset', cursorOf([null, ID]))).toBe(true);
    expect(isCursorOf('keyset', cursorOf([3, ID]))).toBe(true);
    for (const bad of ['abc!', cursorOf(['x', 'y']), cursorOf(['a\u0000', ID]), cursorOf({ a: 1 }), cursorOf([{}, ID]), cursorOf(['x', ID, 1]), 'x'.repeat(1025)]) {
      expect([bad, isCursorOf('keyset', bad)]).toEqual([bad, false]);
    }
  });

  it('takes only a time as the position of a time-sorted list', () => {
    expect(isCursorOf('date', cursorOf(['2026-12-02T01:00:00.000Z', ID]))).toBe(true);
    for (const bad of [cursorOf(['x', ID]), cursorOf([1, ID]), cursorOf(['2026-13-45T00:00:00Z', ID]), cursorOf([null, ID])]) expect(isCursorOf('date', bad)).toBe(false);
  });

  it('takes counters as counters', () => {
    expect(isCursorOf('counter', '42')).toBe(true);
    expect(isCursorOf('counter', '-1')).toBe(false);
    expect(isCursorOf('counter', '1'.repeat(10))).toBe(false);
  });
});
