import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rotateSecrets, RotationError, type RotationCount, type RotationResult } from '@hybridforms/access';
import { ConfigError, loadAppConfig, SecretBox } from '@hybridforms/core';
import { openDatabase, SealedSecretsRepository } from '@hybridforms/persistence';
import { parseCommandArgs, processOutput, type CommandOutput } from './command-output.js';

const USAGE = `usage: HYBRIDFORMS_NEW_SECRET_KEY=<32 bytes, base64 or hex> npm run secrets:rotate [-- --update-key-file]
Re-encrypts every sealed secret in the configured database (DATABASE_URL, or the SQLite file under
DATA_DIR) from the current key (HYBRIDFORMS_SECRET_KEY, or outside production the development key
file DATA_DIR/secret.key) to the new key, in one transaction: provider credentials, machine
credentials, and the sensitive extra vars of playbook runs and automation rules. Values already sealed with the new key
are skipped, so running it again after a crash is safe. Stop every api and worker process first,
then start them with HYBRIDFORMS_SECRET_KEY set to the new key.
  --update-key-file  (development installs without HYBRIDFORMS_SECRET_KEY) also write the new key
                     into DATA_DIR/secret.key after a successful rotation`;

/** `npm run secrets:rotate`; returns the exit code. Prints key ids and counts, never a secret. */
export async function rotateSecretsCommand(args: string[], env: NodeJS.ProcessEnv, io: CommandOutput = processOutput): Promise<number> {
  const parsed = parseCommandArgs(args, { 'update-key-file': { type: 'boolean' } }, USAGE, io);
  if ('exit' in parsed) return parsed.exit;
  const values = parsed.values as { 'update-key-file'?: boolean };
  const config = loadAppConfig(env);
  if (!env.HYBRIDFORMS_NEW_SECRET_KEY?.trim()) {
    io.err(`HYBRIDFORMS_NEW_SECRET_KEY is not set: give the new 32-byte key (e.g. \`openssl rand -base64 32\`)\n${USAGE}`);
    return 2;
  }
  let newBox: SecretBox;
  try {
    newBox = SecretBox.fromEncoded(env.HYBRIDFORMS_NEW_SECRET_KEY);
  } catch {
    io.err('HYBRIDFORMS_NEW_SECRET_KEY must be 32 bytes, base64- or hex-encoded');
    return 2;
  }
  const keyFile = join(config.database.dataDir, 'secret.key');
  let oldBox: SecretBox;
  let fromKeyFile = false;
  try {
    if (env.HYBRIDFORMS_SECRET_KEY?.trim()) {
      oldBox = SecretBox.fromEncoded(env.HYBRIDFORMS_SECRET_KEY);
    } else if (config.production) {
      io.err('HYBRIDFORMS_SECRET_KEY is not set: give the current key (production mode reads no key file)');
      return 2;
    } else if (existsSync(keyFile)) {
      oldBox = SecretBox.fromEncoded(readFileSync(keyFile, 'utf8'));
      fromKeyFile = true;
    } else {
      io.err(`HYBRIDFORMS_SECRET_KEY is not set and there is no development key file ${keyFile}: give the current key`);
      return 2;
    }
  } catch {
    io.err(`the current key (${env.HYBRIDFORMS_SECRET_KEY?.trim() ? 'HYBRIDFORMS_SECRET_KEY' : keyFile}) must be 32 bytes, base64- or hex-encoded`);
    return 2;
  }
  if (values['update-key-file'] && !fromKeyFile) {
    io.err('--update-key-file applies only when the current key comes from the development key file (HYBRIDFORMS_SECRET_KEY is set, or production mode)');
    return 2;
  }

  const dataSource = await openDatabase({ databaseUrl: config.database.url, dataDir: config.database.dataDir });
  let result: RotationResult;
  try {
    result = await rotateSecrets(new SealedSecretsRepository(dataSource), oldBox, newBox);
  } catch (error) {
    if (error instanceof RotationError) {
      io.err(`secrets:rotate failed: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
  const line = (name: string, count: RotationCount) => `${name}: ${count.rotated} re-encrypted, ${count.skipped} already on the new key`;
  io.out(`rotated from key ${result.oldKeyId} to key ${result.newKeyId}`);
  io.out(line('provider credentials', result.providers));
  io.out(line('machine credentials', result.machineCredentials));
  io.out(line('playbook run extra vars', result.playbookRunExtraVars));
  io.out(line('automation rule extra vars', result.automationRuleExtraVars));
  io.out(line('provision request user data and extra vars', result.provisionRequestSecrets));
  if (fromKeyFile && values['update-key-file']) {
    writeFileSync(keyFile, `${env.HYBRIDFORMS_NEW_SECRET_KEY.trim()}\n`, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    io.out(`wrote the new key into the development key file ${keyFile} (the old key is gone from it)`);
  } else if (fromKeyFile) {
    io.out(
      `the current key came from the development key file ${keyFile}, which was NOT changed: set HYBRIDFORMS_SECRET_KEY to the new key for every api and worker process (the file is then not read), or run again with --update-key-file to write the new key into the file`,
    );
  } else {
    io.out('now set HYBRIDFORMS_SECRET_KEY to the new key for every api and worker process and restart them');
  }
  return 0;
}

// Run as a script (node dist/…/secrets-rotate.js), not when imported by a test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  rotateSecretsCommand(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : `secrets:rotate failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
