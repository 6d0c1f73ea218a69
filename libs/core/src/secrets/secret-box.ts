import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals small secrets (provider credentials) with AES-256-GCM. The sealed form names the key it
 * was sealed with (a short fingerprint), so a wrong key fails loudly instead of yielding garbage,
 * and a later key rotation can tell old from new.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes (AES-256)');
    this.key = key;
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** Accepts 32 bytes as base64 or hex (what `openssl rand -base64 32` prints). */
  static fromEncoded(encoded: string): SecretBox {
    const text = encoded.trim();
    const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) throw new Error('HYBRIDFORMS_SECRET_KEY must be 32 bytes, base64- or hex-encoded');
    return new SecretBox(key);
  }

  static generateEncodedKey(): string {
    return randomBytes(32).toString('base64');
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}:${this.keyId}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [VERSION, this.keyId, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open<T = unknown>(sealed: string): T {
    const [version, keyId, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secret is not in a known format');
    if (keyId !== this.keyId) throw new Error(`sealed secret was made with key ${keyId}, not the configured key ${this.keyId}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(`${version}:${keyId}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  }
}

/**
 * How a sealed value sits inside a JSON document (a playbook run's sensitive extra vars):
 * `{ "$sealed": "<SecretBox.seal form>" }` in place of the value. `npm run secrets:rotate` finds
 * and re-seals these as well as the sealed columns.
 */
export const SEALED_MARKER = '$sealed';

export interface SealedValue {
  [SEALED_MARKER]: string;
}

export function isSealedValue(value: unknown): value is SealedValue {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>)[SEALED_MARKER] === 'string'
  );
}

/** A copy of a JSON value with each sealed value replaced by what `replace` makes of its sealed form. */
export function mapSealed(value: unknown, replace: (sealed: string) => unknown): unknown {
  if (isSealedValue(value)) return replace(value[SEALED_MARKER]);
  if (Array.isArray(value)) return value.map((item) => mapSealed(item, replace));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapSealed(item, replace)]));
  }
  return value;
}

/** The id of the key a sealed form was made with (null when it is not a sealed form). */
export function sealedKeyId(sealed: string): string | null {
  const match = /^v1:([0-9a-f]{8}):/.exec(sealed);
  return match ? match[1] : null;
}
