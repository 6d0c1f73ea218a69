import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box.js';
import { loadSecretBox } from './secret-key.loader.js';

describe('loadSecretBox', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'hf-key-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start in production without HYBRIDFORMS_SECRET_KEY, and writes no key file', () => {
    const warnings: string[] = [];
    expect(() => loadSecretBox({ encodedKey: undefined, dataDir, production: true, warn: (m) => warnings.push(m) })).toThrow(/HYBRIDFORMS_SECRET_KEY is not set: production mode/);
    expect(() => statSync(join(dataDir, 'secret.key'))).toThrow();
  });

  it('uses the configured key in production', () => {
    const key = SecretBox.generateEncodedKey();
    expect(loadSecretBox({ encodedKey: key, dataDir, production: true, warn: () => undefined }).keyId).toBe(SecretBox.fromEncoded(key).keyId);
  });

  it('outside production, generates a development key once (mode 0600) and warns', () => {
    const warnings: string[] = [];
    const first = loadSecretBox({ encodedKey: undefined, dataDir, production: false, warn: (m) => warnings.push(m) });
    const second = loadSecretBox({ encodedKey: undefined, dataDir, production: false, warn: (m) => warnings.push(m) });
    expect(second.keyId).toBe(first.keyId);
    expect(warnings).toHaveLength(1);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(warnings[0]).not.toContain(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim());
  });

  it('refuses to make a key of its own in distributed mode: every process must use the same one', () => {
    expect(() => loadSecretBox({ encodedKey: undefined, dataDir, production: false, distributed: true, warn: () => undefined })).toThrow(
      /HYBRIDFORMS_SECRET_KEY is not set: distributed mode \(REDIS_URL\) needs the same 32-byte key in every process/,
    );
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });
});
