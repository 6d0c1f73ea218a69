import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SecretBox } from '@hybridforms/core';
import { RefreshEntity } from '@hybridforms/persistence';
import { AzureSimulator } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

/** A restart leaves nothing "running" forever and loses no queued refresh. */
describe('refreshes across a restart (SQLite file kept between two processes’ lifetimes)', () => {
  let sim: AzureSimulator;
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-restart-'));
  const secretBox = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
  let t: TestApp | null = null;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 12 });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function insertRefresh(app: TestApp, status: 'running' | 'queued', providerId: string): Promise<string> {
    const id = randomUUID();
    const old = new Date(Date.now() - 3600_000);
    await app.app
      .get(DataSource)
      .getRepository(RefreshEntity)
      .insert({
        id,
        providerId,
        kind: 'full',
        targets: null,
        trigger: 'schedule',
        status,
        progress: {},
        errors: [],
        requestedAt: old,
        startedAt: status === 'running' ? old : null,
        finishedAt: null,
        heartbeatAt: status === 'running' ? old : null,
        owner: status === 'running' ? 'gone-host:4242' : null,
      });
    return id;
  }

  it('fails a refresh left running by a dead process, and runs one left queued', async () => {
    t = await startTestApp({}, { dataDir, secretBox });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'restart')).expect(201);
    await waitForRefresh(t, created.body.refreshId);
    const providerId: string = created.body.id;

    // The process "dies" with a refresh running.
    const running = await insertRefresh(t, 'running', providerId);
    await t.close();

    t = await startTestApp({}, { dataDir, secretBox });
    const failed = await t.http().get(`/api/v1/refreshes/${running}`).expect(200);
    expect(failed.body).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ code: 'interrupted' })] });
    expect(failed.body.finishedAt).not.toBeNull();

    // Now it "dies" with a refresh still waiting in the queue.
    const queued = await insertRefresh(t, 'queued', providerId);
    await t.close();

    t = await startTestApp({}, { dataDir, secretBox });
    const done = await waitForRefresh(t, queued);
    expect(done.status).toBe('completed');
    expect((done.progress as Record<string, number>).vms).toBe(12);
  });
});
