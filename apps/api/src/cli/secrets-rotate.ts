import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataSource, MoreThan, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { ConfigError, loadAppConfig, mapSealed, SEALED_MARKER, sealedKeyId, SecretBox } from '@hybridforms/core';
import { AutomationRuleEntity, createDataSourceOptions, MachineCredentialEntity, PlaybookRunEntity, ProviderEntity } from '@hybridforms/persistence';
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

/** What one kind of sealed value went through: re-sealed with the new key, or already new. */
export interface RotationCount {
  rotated: number;
  skipped: number;
}

export interface RotationResult {
  oldKeyId: string;
  newKeyId: string;
  providers: RotationCount;
  machineCredentials: RotationCount;
  /** Sealed extra var values (several per run possible). */
  playbookRunExtraVars: RotationCount;
  automationRuleExtraVars: RotationCount;
}

/** A sealed value that the old key cannot open: nothing was changed. */
export class RotationError extends Error {}

const PAGE = 500;

/**
 * Re-seals every sealed value of the database from `oldBox` to `newBox` in one transaction. A
 * value sealed with `newBox` already is skipped; one sealed with any other key (or that the old
 * key fails to open) aborts the whole rotation, naming the key id, and nothing is changed.
 * Secrets never leave this function: errors name tables, row ids and key ids only.
 */
export async function rotateSecrets(dataSource: DataSource, oldBox: SecretBox, newBox: SecretBox): Promise<RotationResult> {
  if (oldBox.keyId === newBox.keyId) throw new RotationError(`the new key is the current key (${newBox.keyId}): nothing to rotate`);
  const reseal = (where: string, sealed: string, count: RotationCount): string | null => {
    const keyId = sealedKeyId(sealed);
    if (keyId === newBox.keyId) {
      count.skipped += 1;
      return null;
    }
    if (keyId !== oldBox.keyId) {
      throw new RotationError(
        `${where} is sealed with key ${keyId ?? '(not a sealed value)'}, which is neither the current key ${oldBox.keyId} (HYBRIDFORMS_SECRET_KEY or the development key file) nor the new key ${newBox.keyId}; nothing was changed`,
      );
    }
    let plain: unknown;
    try {
      plain = oldBox.open(sealed);
    } catch (error) {
      throw new RotationError(`${where}: the current key ${oldBox.keyId} failed to open it (${(error as Error).message}); nothing was changed`);
    }
    const next = newBox.seal(plain);
    count.rotated += 1;
    return next;
  };

  return dataSource.transaction(async (manager: EntityManager) => {
    const result: RotationResult = {
      oldKeyId: oldBox.keyId,
      newKeyId: newBox.keyId,
      providers: { rotated: 0, skipped: 0 },
      machineCredentials: { rotated: 0, skipped: 0 },
      playbookRunExtraVars: { rotated: 0, skipped: 0 },
      automationRuleExtraVars: { rotated: 0, skipped: 0 },
    };
    for (const provider of await manager.find(ProviderEntity, { select: { id: true, credentialsCiphertext: true }, order: { id: 'ASC' } })) {
      const next = reseal(`provider ${provider.id}`, provider.credentialsCiphertext, result.providers);
      if (next) await manager.update(ProviderEntity, { id: provider.id }, { credentialsCiphertext: next });
    }
    for (const credential of await manager.find(MachineCredentialEntity, { select: { id: true, secretCiphertext: true }, order: { id: 'ASC' } })) {
      const next = reseal(`machine credential ${credential.id}`, credential.secretCiphertext, result.machineCredentials);
      if (next) await manager.update(MachineCredentialEntity, { id: credential.id }, { secretCiphertext: next });
    }
    /** Extra vars with every sealed value re-sealed, or null when none needed it. */
    const resealVars = (where: string, vars: unknown, count: RotationCount): Record<string, unknown> | null => {
      if (!JSON.stringify(vars ?? {}).includes(`"${SEALED_MARKER}"`)) return null;
      let changed = false;
      const next = mapSealed(vars, (sealed) => {
        const resealed = reseal(where, sealed, count);
        if (resealed === null) return { [SEALED_MARKER]: sealed };
        changed = true;
        return { [SEALED_MARKER]: resealed };
      }) as Record<string, unknown>;
      return changed ? next : null;
    };
    // Runs can be many: keyset pages by id; only rows with a sealed value are rewritten.
    let after = '';
    for (;;) {
      const page = await manager.find(PlaybookRunEntity, { select: { id: true, extraVars: true }, where: after ? { id: MoreThan(after) } : {}, order: { id: 'ASC' }, take: PAGE });
      for (const run of page) {
        const extraVars = resealVars(`playbook run ${run.id} (extra vars)`, run.extraVars, result.playbookRunExtraVars);
        if (extraVars) await manager.update(PlaybookRunEntity, { id: run.id }, { extraVars } as QueryDeepPartialEntity<PlaybookRunEntity>);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].id;
    }
    for (const rule of await manager.find(AutomationRuleEntity, { select: { id: true, extraVars: true }, order: { id: 'ASC' } })) {
      const extraVars = resealVars(`automation rule ${rule.id} (extra vars)`, rule.extraVars, result.automationRuleExtraVars);
      if (extraVars) await manager.update(AutomationRuleEntity, { id: rule.id }, { extraVars } as QueryDeepPartialEntity<AutomationRuleEntity>);
    }
    return result;
  });
}

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

  const dataSource = new DataSource(createDataSourceOptions({ databaseUrl: config.database.url, dataDir: config.database.dataDir }));
  await dataSource.initialize();
  let result: RotationResult;
  try {
    await dataSource.runMigrations();
    result = await rotateSecrets(dataSource, oldBox, newBox);
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
