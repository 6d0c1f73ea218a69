import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '@hybridforms/core';
import { ApiTokenService, hashToken } from '@hybridforms/access';
import { ApiTokenEntity, ApiTokenRepository, createDataSourceOptions } from '@hybridforms/persistence';
import { createTokenCommand } from './token-create.js';

describe('npm run token:create', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hf-token-cli-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await createTokenCommand(args, { DATA_DIR: dataDir }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join('\n') };
  }

  it('creates a token in a fresh database, prints it alone on stdout, stores only its hash, and the token authenticates', async () => {
    const { code, out, err } = await run(['--name', 'first admin', '--role', 'admin']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const token = out[0];
    expect(token).toMatch(/^hf_[A-Za-z0-9_-]{43}$/);
    expect(err).toMatch(/created admin token "first admin"/);
    expect(err).not.toContain(token);

    const config = loadAppConfig({ DATA_DIR: dataDir });
    const dataSource = await new DataSource(createDataSourceOptions({ dataDir })).initialize();
    try {
      const rows = await dataSource.getRepository(ApiTokenEntity).find();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: 'first admin', role: 'admin', createdBy: 'cli', tokenHash: hashToken(token) });
      expect(JSON.stringify(rows)).not.toContain(token);
      const principal = await new ApiTokenService(ApiTokenRepository.of(dataSource.manager), config).authenticate(token);
      expect(principal).toEqual({ tokenId: rows[0].id, name: 'first admin', role: 'admin' });
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses bad arguments with every problem and exit code 2, creating nothing', async () => {
    const bad = await run(['--name', 'x;rm -rf /', '--role', 'root', '--expires', '2001-01-01']);
    expect(bad.code).toBe(2);
    expect(bad.out).toEqual([]);
    expect(bad.err).toMatch(/--name:/);
    expect(bad.err).toMatch(/--role: one of viewer, operator, admin/);
    expect(bad.err).toMatch(/--expires: an ISO 8601 time in the future/);
    const unknown = await run(['--name', 'ok', '--sudo']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown option '--sudo'/);
  });
});
