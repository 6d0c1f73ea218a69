import { BadInputError } from '@hybridforms/core';
import { EXTRA_VARS_MAX_BYTES, validateExtraVars, validateLimit } from './run-input.validator.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return (error as BadInputError).problems;
  }
  throw new Error('expected a BadInputError');
}

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < depth; i++) node = { n: node };
  return node;
}

describe('validateExtraVars', () => {
  it('accepts a JSON object of plain names, nested values included, and returns it', () => {
    const vars = { apply: true, service_name: 'sshd', _private: 1, list: [1, 'a', { k: null }], deep: { 'any key-ok': 'v' } };
    expect(validateExtraVars(vars)).toBe(vars);
  });

  it('treats absent extra vars as none', () => {
    expect(validateExtraVars(undefined)).toEqual({});
  });

  it.each([
    ['null', null],
    ['an array', [{ a: 1 }]],
    ['a string', '{"a":1}'],
    ['a number', 3],
    ['a class instance', new Date()],
  ])('refuses %s', (_label, value) => {
    expect(() => validateExtraVars(value)).toThrow(/extraVars must be a JSON object/);
  });

  it.each(['ansible_python_interpreter', 'ANSIBLE_ssh_common_args', 'Ansible_become_pass', 'ansible_'])(
    'refuses the connection-controlling name %s',
    (name) => {
      expect(problemsOf(() => validateExtraVars({ [name]: 'x' }))[0]).toMatch(/ansible_\* variables/);
    },
  );

  it.each(['hostvars', 'groups', 'group_names', 'inventory_hostname', 'playbook_dir', 'role_path', 'omit', 'vars', 'environment', 'lookup', 'item', 'hosts', 'become_user', 'with_items', 'class', 'True', 'HOSTVARS'])(
    'refuses the reserved name %s',
    (name) => {
      expect(problemsOf(() => validateExtraVars({ [name]: 'x' }))[0]).toMatch(/reserved/);
    },
  );

  it.each(['1abc', 'a-b', 'a b', 'a.b', '', 'é', '{{x}}', 'a\nb', 'ａbc'])('refuses the non-identifier name %j', (name) => {
    expect(problemsOf(() => validateExtraVars({ [name]: 'x' }))[0]).toMatch(/not a plain identifier/);
  });

  it('lists every problem in one error', () => {
    const problems = problemsOf(() => validateExtraVars({ ansible_user: 'root', hostvars: 1, 'bad-name': 2, ok: 3 }));
    expect(problems).toHaveLength(3);
  });

  it('allows 10 levels of nesting and refuses 11', () => {
    expect(() => validateExtraVars(nested(10))).not.toThrow();
    expect(problemsOf(() => validateExtraVars(nested(11)))[0]).toMatch(/deeper than 10/);
  });

  it('refuses a very deep document without overflowing the stack', () => {
    let node: unknown = [];
    for (let i = 0; i < 200_000; i++) node = [node];
    expect(problemsOf(() => validateExtraVars({ a: node }))[0]).toMatch(/deeper than 10/);
  });

  it('refuses more than 64 KB serialized and accepts exactly the limit', () => {
    const overhead = JSON.stringify({ a: '' }).length;
    expect(() => validateExtraVars({ a: 'x'.repeat(EXTRA_VARS_MAX_BYTES - overhead) })).not.toThrow();
    expect(problemsOf(() => validateExtraVars({ a: 'x'.repeat(EXTRA_VARS_MAX_BYTES - overhead + 1) }))[0]).toMatch(/65536 allowed/);
    // Multi-byte characters count in UTF-8 bytes.
    expect(() => validateExtraVars({ a: 'é'.repeat(EXTRA_VARS_MAX_BYTES / 2) })).toThrow(BadInputError);
  });

  it("refuses nested keys that Ansible's JSON decoder would interpret", () => {
    expect(problemsOf(() => validateExtraVars({ a: { __ansible_vault: '$ANSIBLE_VAULT;1.1;AES256' } }))[0]).toMatch(/__ansible_/);
    expect(problemsOf(() => validateExtraVars({ a: [{ __ANSIBLE_UNSAFE: 'x' }] }))[0]).toMatch(/__ansible_/);
  });

  it('refuses __proto__ keys at any depth', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": 1}}') as unknown;
    expect(problemsOf(() => validateExtraVars(parsed))).toEqual([
      expect.stringMatching(/__proto__ is not allowed/),
      expect.stringMatching(/__proto__ is not allowed/),
    ]);
  });

  it('refuses values that are not JSON', () => {
    expect(problemsOf(() => validateExtraVars({ a: Number.NaN }))[0]).toMatch(/finite/);
    expect(problemsOf(() => validateExtraVars({ a: undefined }))[0]).toMatch(/not a JSON value/);
    expect(problemsOf(() => validateExtraVars({ a: { b: () => 1 } }))[0]).toMatch(/function is not a JSON value/);
    expect(problemsOf(() => validateExtraVars({ a: new Map() }))[0]).toMatch(/Map is not a JSON value/);
  });

  it('leaves template text in values to the runner, which passes every string as unsafe', () => {
    expect(() => validateExtraVars({ msg: '{{ lookup("pipe", "id") }}' })).not.toThrow();
  });
});

describe('validateLimit', () => {
  it.each(['web1', 'web1,web2', 'webservers:!staging', 'webservers:&rhel', 'os_rhel_9*', '*', 'vm-01.example.com', 'a_b,c-d,!e', 'os_rhel,web1,&license_byos'])(
    'accepts %s',
    (limit) => {
      expect(validateLimit(limit)).toBe(limit);
    },
  );

  it.each([
    ['@/etc/passwd', /'@'/],
    ['web,@/etc/hostname', /'@'/],
    ['~web.*', /'~'/],
    ['--version', /start with '-'/],
    ['-x', /start with '-'/],
    ['!-x', /start with '-'/],
    ['$(id)', /may only hold/],
    ['`id`', /may only hold/],
    ['a;b', /may only hold/],
    ['a|b', /may only hold/],
    ['a&&b', /may only hold/],
    ['{{ lookup("pipe","id") }}', /whitespace/],
    ['{{x}}', /may only hold/],
    ['a b', /whitespace/],
    ['web\nother', /whitespace/],
    ['web\t', /whitespace/],
    ['a,,b', /empty/],
    [',a', /empty/],
    ['a:', /empty/],
    ['!', /may only hold/],
    ['web[0]', /may only hold/],
    ['ｗｅｂ', /may only hold/],
    ['web\u200b', /may only hold/],
    ['web\u202eb', /may only hold/],
    ['wеb', /may only hold/], // Cyrillic е
    ['a\u0000b', /may only hold/],
    ['os_rhel:&license_byos,web1', /not both/],
  ])('refuses %j', (limit, message) => {
    expect(problemsOf(() => validateLimit(limit)).join('\n')).toMatch(message);
  });

  it('refuses an empty limit, a non-string and more than 1024 characters', () => {
    expect(() => validateLimit('')).toThrow(/must not be empty/);
    expect(() => validateLimit(['a'])).toThrow(/must be a string/);
    expect(() => validateLimit('a'.repeat(1024))).not.toThrow();
    expect(() => validateLimit('a'.repeat(1025))).toThrow(/1024 allowed/);
  });

  it('lists every problem in one error', () => {
    expect(problemsOf(() => validateLimit('@x,~y,,$z'))).toHaveLength(4);
    expect(problemsOf(() => validateLimit('@x:~y::$z'))).toHaveLength(4);
  });
});
