import type { ProviderLogger } from '../provider-plugin.js';
import { isSealedValue } from './secret-box.js';

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

/** What a masked value reads as, in stored run events, stdout and API answers. */
export const MASK = '***';

const SENSITIVE_PART = /password|passwd|passphrase|secret|token|credential|private_?key|privkey/i;
const PUBLIC_WORDS = new Set(['public', 'pub', 'fingerprint', 'fingerprints']);

/**
 * Whether a JSON key or variable name names a secret, case-insensitively: anything containing
 * password, passwd, passphrase, secret, token, credential, private_key/privatekey or privkey
 * (`db_password`, `clientSecret`, `api_token`, `credentials`); and names with `key` as a word of
 * their own (`key`, `api_key`, `apiKey`, `ssh-key`, `key_data`) unless another word says the key is
 * public (`ansible_ssh_host_key_rsa_public`, `pub_key`, `host_key_fingerprint`: the host keys Ansible
 * gathers as facts are public and an operator needs them). `keys`, `keyboard`, `monkey` are not
 * sensitive. Callers mask string values only: `key: true` or `token_count: 3` stay readable.
 */
export function isSensitiveName(name: string): boolean {
  if (SENSITIVE_PART.test(name)) return true;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.includes('key') && !words.some((word) => PUBLIC_WORDS.has(word));
}

/**
 * A copy of a JSON value where every string under a sensitive name (see isSensitiveName), at any
 * depth below it (`credentials: { user, pass }`, `tokens: [..]`), reads `***`, and so does every
 * sealed value (`{ $sealed }`). Numbers, booleans and null are kept.
 */
export function maskSensitiveFields<T>(value: T): T {
  return maskFields(value, false) as T;
}

function maskFields(value: unknown, sensitive: boolean): unknown {
  if (typeof value === 'string') return sensitive ? MASK : value;
  if (isSealedValue(value)) return MASK;
  if (Array.isArray(value)) return value.map((item) => maskFields(item, sensitive));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = maskFields(item, sensitive || isSensitiveName(key));
    return out;
  }
  return value;
}

/** The string values under sensitive names of a JSON value (a run's extra vars), at any depth. */
export function sensitiveValuesOf(value: unknown): string[] {
  const found: string[] = [];
  const walk = (item: unknown, sensitive: boolean): void => {
    if (typeof item === 'string') {
      if (sensitive) found.push(item);
    } else if (typeof item === 'number' || typeof item === 'bigint') {
      if (sensitive) found.push(String(item));
    } else if (Array.isArray(item)) {
      for (const element of item) walk(element, sensitive);
    } else if (item && typeof item === 'object') {
      for (const [key, element] of Object.entries(item)) walk(element, sensitive || isSensitiveName(key));
    }
  };
  walk(value, false);
  return found;
}

/** Shorter than this, a known secret is not searched for in text (it would mangle every message). */
export const MIN_MASKED_LENGTH = 4;
/** Lines of a multi-line secret (a private key) at least this long are masked on their own too. */
export const MIN_MASKED_LINE_LENGTH = 16;

/**
 * Masks known secret values (a run's private key, passphrase, sensitive extra vars) and the JSON
 * values of sensitive names. A secret is also searched for as each of its lines of 16 or more
 * characters (output can carry fragments of a key) and in its JSON-escaped form (a value with a
 * quote or a newline inside an event's JSON text).
 */
export class SecretMasker {
  private readonly needles: string[];

  constructor(secrets: Iterable<unknown>) {
    const needles = new Set<string>();
    const add = (text: string) => {
      if (text.length >= MIN_MASKED_LENGTH) needles.add(text);
    };
    for (const secret of collectStrings(secrets)) {
      add(secret);
      add(secret.trim());
      add(JSON.stringify(secret).slice(1, -1));
      for (const line of secret.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length >= MIN_MASKED_LINE_LENGTH) add(trimmed);
      }
    }
    // Longest first: a whole key goes as one mask before its lines are looked for.
    this.needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** A text with every known secret replaced by `***`. */
  text(text: string): string;
  text(text: string | null | undefined): string | null | undefined;
  text(text: string | null | undefined): string | null | undefined {
    if (typeof text !== 'string') return text;
    let out = text;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(MASK);
    return out;
  }

  /** A copy of a JSON value: sensitive names masked, known secrets masked inside every string and key. */
  json<T>(value: T): T {
    return this.walk(maskSensitiveFields(value)) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[this.text(key)] = this.walk(item);
      return out;
    }
    return value;
  }
}
