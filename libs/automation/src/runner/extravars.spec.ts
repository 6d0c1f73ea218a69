import { extraVarsFileText, wrapUnsafe } from './extravars.js';

describe('extra vars wrapping', () => {
  it('wraps every string, however deep, and leaves keys, numbers, booleans and null alone', () => {
    expect(
      wrapUnsafe({
        msg: "{{ lookup('pipe', 'id') }}",
        n: 3,
        ok: true,
        none: null,
        list: ['a', 1, ['b'], { c: 'd' }],
        nested: { deeper: { s: '{{ 7 * 7 }}' } },
      }),
    ).toEqual({
      msg: { __ansible_unsafe: "{{ lookup('pipe', 'id') }}" },
      n: 3,
      ok: true,
      none: null,
      list: [{ __ansible_unsafe: 'a' }, 1, [{ __ansible_unsafe: 'b' }], { c: { __ansible_unsafe: 'd' } }],
      nested: { deeper: { s: { __ansible_unsafe: '{{ 7 * 7 }}' } } },
    });
  });

  it('does not change its input', () => {
    const input = { a: ['x'] };
    wrapUnsafe(input);
    expect(input).toEqual({ a: ['x'] });
  });

  it('writes JSON that reads back to the wrapped form; an already wrapped-looking user value is wrapped again', () => {
    const text = extraVarsFileText({ a: 'x', sneaky: { __ansible_unsafe: 'y' } });
    expect(JSON.parse(text)).toEqual({
      a: { __ansible_unsafe: 'x' },
      sneaky: { __ansible_unsafe: { __ansible_unsafe: 'y' } },
    });
  });
});
