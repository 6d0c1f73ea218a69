import type { ProviderLogger } from '../provider-plugin.js';

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

/** What a plugin logs through; every message has the secrets masked before it reaches `target`. */
export function redactingLogger(target: ProviderLogger, secrets: Iterable<unknown>): ProviderLogger {
  const known = [...secrets];
  const clean = (message: string) => redactSecrets(message, known);
  return {
    debug: (m) => target.debug(clean(m)),
    log: (m) => target.log(clean(m)),
    warn: (m) => target.warn(clean(m)),
    error: (m) => target.error(clean(m)),
  };
}
