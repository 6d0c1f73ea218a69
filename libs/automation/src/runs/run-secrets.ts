import { SEALED_MARKER, isSensitiveName, mapSealed, sensitiveValuesOf, type SealedValue, type SecretBox } from '@hybridforms/core';

// Sensitive extra vars are stored as `{ "$sealed": … }` (see SEALED_MARKER in core): the run opens
// them just before ansible-runner starts, the API shows `***`, secrets:rotate re-seals them.

/** Whether a caller's value uses the marker's name anywhere (refused: only the service seals). */
export function hasSealedMarker(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasSealedMarker);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key === SEALED_MARKER || hasSealedMarker(item));
  }
  return false;
}

/**
 * A copy of extra vars where every string or number under a sensitive name (isSensitiveName, at
 * any depth, including inside arrays under such a name) is sealed.
 */
export function sealSensitiveVars<T>(vars: T, box: SecretBox): T {
  const walk = (value: unknown, sensitive: boolean): unknown => {
    if (sensitive && (typeof value === 'string' || typeof value === 'number')) return { [SEALED_MARKER]: box.seal(value) } satisfies SealedValue;
    if (Array.isArray(value)) return value.map((item) => walk(item, sensitive));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, sensitive || isSensitiveName(key))]));
    }
    return value;
  };
  return walk(vars, false) as T;
}

/** The inverse of sealSensitiveVars: the values as the caller gave them, for the runner only. */
export function unsealSensitiveVars<T>(vars: T, box: SecretBox): T {
  return mapSealed(vars, (sealed) => box.open(sealed)) as T;
}

/**
 * The known secrets of a run, for SecretMasker: every string of the machine credential's secret
 * (private key, passphrase if any) and the sensitive values of the (unsealed) extra vars.
 */
export function runSecretsOf(extraVars: unknown, credentialSecret?: object): unknown[] {
  return [...(credentialSecret ? [credentialSecret] : []), ...sensitiveValuesOf(extraVars)];
}
