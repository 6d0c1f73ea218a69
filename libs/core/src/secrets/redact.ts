/**
 * Masks every known secret value inside a text (error messages from SDKs sometimes echo request
 * bodies or URLs). Used before anything reaches a log, a stored refresh error or a response.
 */
export function redactSecrets(text: string, secrets: Iterable<unknown>): string {
  let out = text;
  for (const secret of collectStrings(secrets)) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

function* collectStrings(values: Iterable<unknown>): Generator<string> {
  for (const value of values) {
    if (typeof value === 'string') yield value;
    else if (value && typeof value === 'object') yield* collectStrings(Object.values(value));
  }
}
