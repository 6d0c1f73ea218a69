import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { loadAppConfig, SecretBox, type AppConfig } from '@hybridforms/core';
import { createApp } from '../../apps/api/src/app.factory.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  dataDir: string;
  /** The admin token the app was started with (HYBRIDFORMS_ADMIN_TOKEN). */
  token: string;
  /** Headers of an admin request, for raw node:http clients (SSE). */
  authHeaders: { authorization: string };
  /** supertest against the app, every request carrying the admin token. */
  http: () => ReturnType<typeof request>;
  /** supertest with no token at all (for auth tests). */
  anonymous: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Reuse a data directory (a restart); it is then left in place on close. */
  dataDir?: string;
  secretBox?: SecretBox;
}

/** The real application on a fresh SQLite file (or DATABASE_URL when given), quiet. */
export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hf-e2e-'));
  // Each app its own short run directory: a start sweeps orphans of its directory only.
  const workDir = mkdtempSync('/tmp/hf-runs-');
  const token = env.HYBRIDFORMS_ADMIN_TOKEN ?? `hf_test_${randomBytes(32).toString('base64url')}`;
  const config = loadAppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'error', HYBRIDFORMS_RUN_WORK_DIR: workDir, HYBRIDFORMS_ADMIN_TOKEN: token, ...env });
  const app = await createApp(config, { secretBox: options.secretBox ?? SecretBox.fromEncoded(SecretBox.generateEncodedKey()), logger: false });
  await app.init();
  return {
    app,
    config,
    dataDir,
    token,
    authHeaders: { authorization: `Bearer ${token}` },
    http: () => request.agent(app.getHttpServer()).set('authorization', `Bearer ${token}`) as unknown as ReturnType<typeof request>,
    anonymous: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Asks for a full refresh of a provider through the API; its id. */
export async function requestRefresh(testApp: TestApp, providerId: string): Promise<string> {
  return (await testApp.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202)).body.id;
}

/** Polls a refresh until it leaves queued/running. */
export async function waitForRefresh(testApp: TestApp, id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await testApp.http().get(`/api/v1/refreshes/${id}`).expect(200);
    if (!['queued', 'running'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`refresh ${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
