import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { SEALED_MARKER, SecretBox, mapSealed } from '@hybridforms/core';
import { AutomationRuleEntity, createDataSourceOptions, MachineCredentialEntity, PlaybookRunEntity, ProviderEntity, ProvisionRequestEntity, SealedSecretsRepository } from '@hybridforms/persistence';
import { createScratchDatabase } from '../../../../test/support/postgres.js';
import { rotateSecrets } from '@hybridforms/access';
import { rotateSecretsCommand } from './secrets-rotate.js';

const DRIVERS = ['sqlite', 'postgres'] as const;

describe.each(DRIVERS)('npm run secrets:rotate (%s)', (driver) => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  let dataSource: DataSource;
  const oldKey = SecretBox.generateEncodedKey();
  const newKey = SecretBox.generateEncodedKey();
  const oldBox = SecretBox.fromEncoded(oldKey);
  const newBox = SecretBox.fromEncoded(newKey);
  const plain = {
    provider: { clientSecret: 'azure-client-secret-0123456789' },
    credential: { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAfakefakefakefakefake\n-----END OPENSSH PRIVATE KEY-----\n' },
    extraVars: { db_password: 'db-password-0123456789', app: { api_token: 'api-token-0123456789', port: 80 } },
    userData: '#cloud-config\nruncmd: [subscription-manager register --activationkey=key-0123456789]\n',
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hf-rotate-'));
    if (driver === 'postgres') ({ url: databaseUrl, drop } = await createScratchDatabase('hf_rotate'));
    dataSource = await new DataSource(createDataSourceOptions({ databaseUrl: databaseUrl ?? null, dataDir })).initialize();
    await dataSource.runMigrations();
  });
  afterEach(async () => {
    await dataSource?.destroy();
    await drop?.();
    drop = undefined;
    databaseUrl = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Two providers, two credentials, a run with sealed extra vars and one without; sealed with `box`. */
  async function seed(box: SecretBox) {
    const now = new Date();
    const providerIds = [randomUUID(), randomUUID()];
    for (const [i, id] of providerIds.entries()) {
      await dataSource.getRepository(ProviderEntity).insert({
        id,
        name: `p${i}`,
        type: 'azure',
        config: {},
        credentialsCiphertext: box.seal(plain.provider),
        refreshIntervalSeconds: null,
        lastFullRefreshAt: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    const credentialIds = [randomUUID(), randomUUID()];
    for (const [i, id] of credentialIds.entries()) {
      await dataSource
        .getRepository(MachineCredentialEntity)
        .insert({ id, name: `c${i}`, username: 'cloud-user', secretCiphertext: box.seal(plain.credential), knownHosts: null, createdAt: now, updatedAt: now });
    }
    const runIds = [randomUUID(), randomUUID()];
    const sealedVars = { db_password: { [SEALED_MARKER]: box.seal(plain.extraVars.db_password) }, app: { api_token: { [SEALED_MARKER]: box.seal(plain.extraVars.app.api_token) }, port: 80 } };
    for (const [i, id] of runIds.entries()) {
      await dataSource.getRepository(PlaybookRunEntity).insert({
        id,
        playbook: 'local/x.yml',
        status: 'successful',
        credentialId: credentialIds[0],
        targets: { vmIds: [] },
        inventory: {},
        hosts: [],
        skipped: [],
        extraVars: i === 0 ? sealedVars : { message: 'plain' },
        limit: null,
        timeoutSeconds: 60,
        trigger: 'api',
        ruleId: null,
        eventId: null,
        requestedAt: now,
        startedAt: null,
        finishedAt: null,
        rc: null,
        reason: null,
        hostSummary: {},
        eventCount: 0,
        stdout: null,
        owner: null,
      } as QueryDeepPartialEntity<PlaybookRunEntity>);
    }
    const ruleId = randomUUID();
    await dataSource.getRepository(AutomationRuleEntity).insert({
      id: ruleId,
      name: 'r0',
      enabled: true,
      onProviderId: null,
      onType: 'vm.started',
      onOsFamily: null,
      playbook: 'local/x.yml',
      extraVars: sealedVars,
      credentialId: credentialIds[0],
      cooldownSeconds: 600,
      maxRunsPerHour: 20,
      createdAt: now,
      updatedAt: now,
    } as QueryDeepPartialEntity<AutomationRuleEntity>);
    const provisionRequestId = randomUUID();
    await dataSource.getRepository(ProvisionRequestEntity).insert({
      id: provisionRequestId,
      status: 'succeeded',
      providerId: providerIds[0],
      sourceRef: 'marketplace:eastus:RedHat:RHEL:9-lvm-gen2',
      source: {},
      count: 1,
      names: ['web-1'],
      vcpus: 2,
      spec: { userData: { [SEALED_MARKER]: box.seal(plain.userData) }, postProvision: { playbook: 'local/x.yml', extraVars: sealedVars } },
      requestedBy: 'test',
      requestedByTokenId: null,
      decidedBy: 'policy',
      reason: null,
      requestedAt: now,
      decidedAt: now,
      finishedAt: now,
    } as QueryDeepPartialEntity<ProvisionRequestEntity>);
    return { providerIds, credentialIds, runIds, ruleId, provisionRequestId };
  }

  async function snapshot() {
    return {
      providers: await dataSource.getRepository(ProviderEntity).find({ order: { id: 'ASC' } }),
      credentials: await dataSource.getRepository(MachineCredentialEntity).find({ order: { id: 'ASC' } }),
      runs: await dataSource.getRepository(PlaybookRunEntity).find({ order: { id: 'ASC' } }),
      rules: await dataSource.getRepository(AutomationRuleEntity).find({ order: { id: 'ASC' } }),
      provisionRequests: await dataSource.getRepository(ProvisionRequestEntity).find({ order: { id: 'ASC' } }),
    };
  }

  /** Every sealed value opens with `box` to what was sealed, and fails with `other`. */
  async function expectAllSealedWith(box: SecretBox, other: SecretBox) {
    const { providers, credentials, runs, rules, provisionRequests } = await snapshot();
    expect(mapSealed(provisionRequests[0].spec, (s) => box.open(s))).toEqual({ userData: plain.userData, postProvision: { playbook: 'local/x.yml', extraVars: plain.extraVars } });
    expect(() => mapSealed(provisionRequests[0].spec, (s) => other.open(s))).toThrow();
    for (const p of providers) {
      expect(box.open(p.credentialsCiphertext)).toEqual(plain.provider);
      expect(() => other.open(p.credentialsCiphertext)).toThrow();
    }
    for (const c of credentials) {
      expect(box.open(c.secretCiphertext)).toEqual(plain.credential);
      expect(() => other.open(c.secretCiphertext)).toThrow();
    }
    const sealedRun = runs.find((r) => JSON.stringify(r.extraVars).includes(SEALED_MARKER))!;
    expect(mapSealed(sealedRun.extraVars, (s) => box.open(s))).toEqual(plain.extraVars);
    expect(() => mapSealed(sealedRun.extraVars, (s) => other.open(s))).toThrow();
    expect(runs.find((r) => r !== sealedRun)!.extraVars).toEqual({ message: 'plain' });
    expect(mapSealed(rules[0].extraVars, (s) => box.open(s))).toEqual(plain.extraVars);
    expect(() => mapSealed(rules[0].extraVars, (s) => other.open(s))).toThrow();
  }

  it('re-encrypts every sealed value with the new key in one transaction, and a second run skips them all', async () => {
    await seed(oldBox);
    const first = await rotateSecrets(new SealedSecretsRepository(dataSource), oldBox, newBox);
    expect(first).toEqual({
      oldKeyId: oldBox.keyId,
      newKeyId: newBox.keyId,
      providers: { rotated: 2, skipped: 0 },
      machineCredentials: { rotated: 2, skipped: 0 },
      playbookRunExtraVars: { rotated: 2, skipped: 0 },
      automationRuleExtraVars: { rotated: 2, skipped: 0 },
      provisionRequestSecrets: { rotated: 3, skipped: 0 },
    });
    await expectAllSealedWith(newBox, oldBox);
    const again = await rotateSecrets(new SealedSecretsRepository(dataSource), oldBox, newBox);
    expect(again).toMatchObject({ providers: { rotated: 0, skipped: 2 }, machineCredentials: { rotated: 0, skipped: 2 }, playbookRunExtraVars: { rotated: 0, skipped: 2 }, automationRuleExtraVars: { rotated: 0, skipped: 2 }, provisionRequestSecrets: { rotated: 0, skipped: 3 } });
    await expectAllSealedWith(newBox, oldBox);
  });

  it('finishes a rotation that stopped half-way (some values already on the new key)', async () => {
    const { providerIds } = await seed(oldBox);
    await dataSource.getRepository(ProviderEntity).update({ id: providerIds[0] }, { credentialsCiphertext: newBox.seal(plain.provider) });
    const result = await rotateSecrets(new SealedSecretsRepository(dataSource), oldBox, newBox);
    expect(result.providers).toEqual({ rotated: 1, skipped: 1 });
    await expectAllSealedWith(newBox, oldBox);
  });

  it('with a wrong current key changes nothing and names the key id that failed', async () => {
    await seed(oldBox);
    const before = await snapshot();
    const wrong = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
    await expect(rotateSecrets(new SealedSecretsRepository(dataSource), wrong, newBox)).rejects.toThrow(new RegExp(`sealed with key ${oldBox.keyId}, which is neither the current key ${wrong.keyId}.*nothing was changed`));
    expect(await snapshot()).toEqual(before);
  });

  it('rolls back values it had already re-encrypted when a later one fails', async () => {
    const { runIds } = await seed(oldBox);
    const stranger = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
    await dataSource
      .getRepository(PlaybookRunEntity)
      .update({ id: runIds[1] }, { extraVars: { token: { [SEALED_MARKER]: stranger.seal('x') } } } as QueryDeepPartialEntity<PlaybookRunEntity>);
    const before = await snapshot();
    await expect(rotateSecrets(new SealedSecretsRepository(dataSource), oldBox, newBox)).rejects.toThrow(new RegExp(`playbook run ${runIds[1]} \\(extra vars\\) is sealed with key ${stranger.keyId}`));
    expect(await snapshot()).toEqual(before);
  });

  describe('the command', () => {
    async function run(args: string[], env: Record<string, string>) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await rotateSecretsCommand(args, { DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...env }, { out: (l) => out.push(l), err: (l) => err.push(l) });
      const all = [...out, ...err].join('\n');
      for (const secret of [oldKey, newKey, plain.provider.clientSecret, plain.extraVars.db_password]) expect(all).not.toContain(secret);
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    it('rotates with the keys from the environment and prints counts and key ids only', async () => {
      await seed(oldBox);
      const result = await run([], { HYBRIDFORMS_SECRET_KEY: oldKey, HYBRIDFORMS_NEW_SECRET_KEY: newKey });
      expect(result.code).toBe(0);
      expect(result.out).toContain(`rotated from key ${oldBox.keyId} to key ${newBox.keyId}`);
      expect(result.out).toContain('provider credentials: 2 re-encrypted, 0 already on the new key');
      expect(result.out).toContain('machine credentials: 2 re-encrypted');
      expect(result.out).toContain('playbook run extra vars: 2 re-encrypted');
      expect(result.out).toMatch(/set HYBRIDFORMS_SECRET_KEY to the new key/);
      await expectAllSealedWith(newBox, oldBox);
    });

    it('refuses without a new key, or with a wrong current key, and changes nothing', async () => {
      await seed(oldBox);
      const before = await snapshot();
      const missing = await run([], { HYBRIDFORMS_SECRET_KEY: oldKey });
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/HYBRIDFORMS_NEW_SECRET_KEY is not set/);
      const malformed = await run([], { HYBRIDFORMS_SECRET_KEY: oldKey, HYBRIDFORMS_NEW_SECRET_KEY: 'c2hvcnQ=' });
      expect(malformed.code).toBe(2);
      expect(malformed.err).toMatch(/HYBRIDFORMS_NEW_SECRET_KEY must be 32 bytes/);
      const wrong = SecretBox.generateEncodedKey();
      const failed = await run([], { HYBRIDFORMS_SECRET_KEY: wrong, HYBRIDFORMS_NEW_SECRET_KEY: newKey });
      expect(failed.code).toBe(1);
      expect(failed.err).toContain(`is sealed with key ${oldBox.keyId}, which is neither the current key ${SecretBox.fromEncoded(wrong).keyId}`);
      const production = await run([], { NODE_ENV: 'production', HYBRIDFORMS_NEW_SECRET_KEY: newKey });
      expect(production.code).toBe(2);
      expect(production.err).toMatch(/HYBRIDFORMS_SECRET_KEY is not set/);
      expect(await snapshot()).toEqual(before);
    });

    it('on a development install reads the key file, leaves it alone unless asked, and says what to do', async () => {
      await seed(oldBox);
      const keyFile = join(dataDir, 'secret.key');
      writeFileSync(keyFile, `${oldKey}\n`, { mode: 0o600 });
      const first = await run([], { HYBRIDFORMS_NEW_SECRET_KEY: newKey });
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/development key file .*secret\.key, which was NOT changed: set HYBRIDFORMS_SECRET_KEY to the new key/);
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(oldKey);
      await expectAllSealedWith(newBox, oldBox);
      // Asked to: a re-run skips everything and writes the new key into the file.
      const second = await run(['--update-key-file'], { HYBRIDFORMS_NEW_SECRET_KEY: newKey });
      expect(second.code).toBe(0);
      expect(second.out).toContain('provider credentials: 0 re-encrypted, 2 already on the new key');
      expect(second.out).toMatch(/wrote the new key into the development key file/);
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(newKey);
    });
  });
});
