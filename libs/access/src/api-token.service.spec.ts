import type { ApiTokenEntity, ApiTokenRepository } from '@hybridforms/persistence';
import { ApiTokenService, VERIFIED_TOKEN_TTL_MS } from './api-token.service.js';

/** The rows of api_tokens in memory, counting the lookups the service makes. */
class MemoryTokens {
  readonly rows = new Map<string, ApiTokenEntity>();
  lookups = 0;

  async insert(token: ApiTokenEntity): Promise<void> {
    this.rows.set(token.id, { ...token });
  }

  async findUnrevokedByHash(hash: string): Promise<ApiTokenEntity | null> {
    this.lookups++;
    return [...this.rows.values()].find((row) => row.tokenHash === hash && row.revokedAt === null) ?? null;
  }

  async get(id: string): Promise<ApiTokenEntity | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  async revoke(id: string, at: Date): Promise<void> {
    const row = this.rows.get(id);
    if (row && !row.revokedAt) row.revokedAt = at;
  }

  async touch(id: string, at: Date): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.lastUsedAt = at;
  }
}

describe('ApiTokenService verification cache', () => {
  let rows: MemoryTokens;
  let service: ApiTokenService;
  let now: number;

  beforeEach(() => {
    rows = new MemoryTokens();
    service = new ApiTokenService(rows as unknown as ApiTokenRepository, { auth: { adminToken: null, maxFailuresPerMinute: 20 } });
    now = Date.now();
    service.now = () => now;
  });

  it(`asks the database once per ${VERIFIED_TOKEN_TTL_MS} ms for a token in use, and again after`, async () => {
    const { token } = await service.create({ name: 'dash', role: 'viewer', createdBy: 'test' });
    for (let i = 0; i < 50; i++) expect(await service.authenticate(token)).toMatchObject({ name: 'dash', role: 'viewer' });
    expect(rows.lookups).toBe(1);
    now += VERIFIED_TOKEN_TTL_MS;
    await service.authenticate(token);
    expect(rows.lookups).toBe(2);
  });

  it('refuses a token revoked through this process on the very next request', async () => {
    const { entity, token } = await service.create({ name: 'doomed', role: 'operator', createdBy: 'test' });
    expect(await service.authenticate(token)).not.toBeNull();
    await service.revoke(entity.id);
    expect(await service.authenticate(token)).toBeNull();
  });

  it(`refuses a token revoked by another process within ${VERIFIED_TOKEN_TTL_MS} ms`, async () => {
    const { entity, token } = await service.create({ name: 'elsewhere', role: 'viewer', createdBy: 'test' });
    expect(await service.authenticate(token)).not.toBeNull();
    // Another API process of the cluster revokes it: only the shared table knows.
    await rows.revoke(entity.id, new Date(now));
    now += VERIFIED_TOKEN_TTL_MS - 1;
    expect(await service.authenticate(token)).not.toBeNull();
    now += 1;
    expect(await service.authenticate(token)).toBeNull();
    expect(await service.authenticate(token)).toBeNull();
  });

  it('refuses a cached token the moment it expires', async () => {
    const { token } = await service.create({ name: 'brief', role: 'viewer', createdBy: 'test', expiresAt: new Date(now + 500) });
    expect(await service.authenticate(token)).not.toBeNull();
    now += 499;
    expect(await service.authenticate(token)).not.toBeNull();
    now += 1;
    expect(await service.authenticate(token)).toBeNull();
    expect(rows.lookups).toBe(1);
  });

  it('never caches a token it refused, and still writes lastUsedAt once a minute', async () => {
    const { entity, token } = await service.create({ name: 'used', role: 'viewer', createdBy: 'test' });
    expect(await service.authenticate(`${token}x`)).toBeNull();
    expect(await service.authenticate(`${token}x`)).toBeNull();
    expect(rows.lookups).toBe(2);
    await service.authenticate(token);
    const first = rows.rows.get(entity.id)!.lastUsedAt!.getTime();
    now += 30_000;
    await service.authenticate(token);
    expect(rows.rows.get(entity.id)!.lastUsedAt!.getTime()).toBe(first);
    now += 30_000;
    await service.authenticate(token);
    expect(rows.rows.get(entity.id)!.lastUsedAt!.getTime()).toBe(now);
  });
});
