import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { SecretBox } from './secret-box.js';

export interface SecretKeyOptions {
  /** HYBRIDFORMS_SECRET_KEY: 32 bytes, base64 or hex. */
  encodedKey: string | undefined;
  dataDir: string;
  production: boolean;
  /** Distributed mode: every process must seal with the same key, so none may make its own. */
  distributed?: boolean;
  warn: (message: string) => void;
}

/**
 * The key that seals credentials comes from the environment. Outside production a missing key is
 * generated once into the data directory (mode 0600) so that the demo needs no setup; in
 * production a missing key stops the start-up, because a generated key next to the database
 * protects nothing.
 */
export function loadSecretBox(options: SecretKeyOptions): SecretBox {
  if (options.encodedKey) return SecretBox.fromEncoded(options.encodedKey);
  if (options.production) {
    throw new Error('HYBRIDFORMS_SECRET_KEY is not set: production mode needs a 32-byte key (e.g. `openssl rand -base64 32`)');
  }
  if (options.distributed) {
    throw new Error('HYBRIDFORMS_SECRET_KEY is not set: distributed mode (REDIS_URL) needs the same 32-byte key in every process (e.g. `openssl rand -base64 32`)');
  }
  const file = join(options.dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, SecretBox.generateEncodedKey() + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    options.warn(`HYBRIDFORMS_SECRET_KEY is not set: generated a development key in ${file}; set the variable in production`);
  }
  return SecretBox.fromEncoded(readFileSync(file, 'utf8'));
}

/** The key of an API or worker process, from its configuration and HYBRIDFORMS_SECRET_KEY. */
export function loadConfiguredSecretBox(config: AppConfig, warn: (message: string) => void, env: Record<string, string | undefined> = process.env): SecretBox {
  return loadSecretBox({
    encodedKey: env.HYBRIDFORMS_SECRET_KEY,
    dataDir: config.database.dataDir,
    production: config.production,
    distributed: config.queue.redisUrl !== null,
    warn,
  });
}
