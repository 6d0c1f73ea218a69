/**
 * Extra vars reach Ansible as JSON in env/extravars. Ansible's JSON decoder turns
 * `{"__ansible_unsafe": "…"}` into an unsafe string that Jinja never evaluates, so a user value such as
 * `{{ lookup('pipe', 'id') }}` is printed literally instead of running a command on the controller.
 */

/** Returns a copy of `value` where every string (values, nested in arrays and objects) is wrapped as unsafe. */
export function wrapUnsafe(value: unknown): unknown {
  if (typeof value === 'string') return { __ansible_unsafe: value };
  if (Array.isArray(value)) return value.map((item) => wrapUnsafe(item));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = wrapUnsafe(item);
    return out;
  }
  // numbers, booleans, null; anything else (undefined, functions) JSON drops or rejects as usual
  return value;
}

/** The exact text written to env/extravars. */
export function extraVarsFileText(extraVars: Record<string, unknown>): string {
  return JSON.stringify(wrapUnsafe(extraVars));
}
