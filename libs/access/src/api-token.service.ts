import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, BadInputError, NotFoundError, type AppConfig, type Role } from '@hybridforms/core';
import { ApiTokenRepository, type ApiTokenEntity } from '@hybridforms/persistence';

/** Who a request acts as: a stored token, or the bootstrap token from the environment. */
export interface Principal {
  tokenId: string | null;
  name: string;
  role: Role;
}

export const ENV_ADMIN_NAME = 'env-admin';
// 256 random bits, base64url, behind a prefix that secret scanners and operators recognise.
const TOKEN_PREFIX = 'hf_';
const TOKEN_BYTES = 32;
// lastUsedAt is a hint, not an access log: one write a minute per token, not one per request.
const LAST_USED_WRITE_MS = 60_000;
/**
 * How long a verified token is believed without asking the database again: a dashboard's token
 * costs one lookup per this window instead of one per request. A revocation made through this
 * process applies at once (its entry is dropped); one made through another process of a cluster
 * applies within this bound. Expiry is checked on every request, cached or not.
 */
export const VERIFIED_TOKEN_TTL_MS = 2_000;
// Only tokens that verified are kept, so a flood of wrong ones cannot grow it; a bound all the same.
const VERIFIED_TOKEN_MAX_ENTRIES = 10_000;

interface VerifiedToken {
  principal: Principal;
  expiresAt: number | null;
  until: number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  expiresAt?: Date | null;
  createdBy: string;
}

/** Issues, checks, lists and revokes API tokens. Only hashes are stored; a token is shown once. */
@Injectable()
export class ApiTokenService {
  private readonly envAdminHash: Buffer | null;
  private readonly lastUsedWritten = new Map<string, number>();
  /** By token hash: what the database said of it, and until when that is believed. */
  private readonly verified = new Map<string, VerifiedToken>();
  /** The clock, replaceable by tests. */
  now: () => number = Date.now;

  constructor(
    private readonly tokens: ApiTokenRepository,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'auth'>,
  ) {
    this.envAdminHash = config.auth.adminToken ? Buffer.from(hashToken(config.auth.adminToken), 'hex') : null;
  }

  async create(input: CreateTokenInput): Promise<{ entity: ApiTokenEntity; token: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new BadInputError('expiresAt: must be in the future');
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const entity: ApiTokenEntity = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      tokenHash: hashToken(token),
      prefix: token.slice(0, 10),
      createdBy: input.createdBy,
      createdAt: new Date(),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.tokens.insert(entity);
    return { entity, token };
  }

  /** The principal of a presented token, or null when it is unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    if (this.envAdminHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.envAdminHash)) {
      return { tokenId: null, name: ENV_ADMIN_NAME, role: 'admin' };
    }
    const now = this.now();
    let known = this.verified.get(hash);
    if (known && known.until <= now) {
      this.verified.delete(hash);
      known = undefined;
    }
    if (!known) {
      const entity = await this.tokens.findUnrevokedByHash(hash);
      if (!entity) return null;
      known = { principal: { tokenId: entity.id, name: entity.name, role: entity.role as Role }, expiresAt: entity.expiresAt?.getTime() ?? null, until: now + VERIFIED_TOKEN_TTL_MS };
      if (this.verified.size >= VERIFIED_TOKEN_MAX_ENTRIES) this.verified.clear();
      this.verified.set(hash, known);
    }
    if (known.expiresAt !== null && known.expiresAt <= now) return null;
    await this.touch(known.principal.tokenId!, now);
    return { ...known.principal };
  }

  list(): Promise<ApiTokenEntity[]> {
    return this.tokens.list();
  }

  async get(id: string): Promise<ApiTokenEntity> {
    const entity = await this.tokens.get(id);
    if (!entity) throw new NotFoundError(`token ${id} not found`);
    return entity;
  }

  /** Revoked tokens stay listed (who had access, until when); revoking twice is a no-op. */
  async revoke(id: string): Promise<ApiTokenEntity> {
    const entity = await this.get(id);
    if (!entity.revokedAt) {
      entity.revokedAt = new Date();
      await this.tokens.revoke(id, entity.revokedAt);
    }
    // Refused by this process from the next request on, not after the cache's window.
    this.verified.delete(entity.tokenHash);
    return entity;
  }

  private async touch(id: string, now: number): Promise<void> {
    const last = this.lastUsedWritten.get(id);
    if (last !== undefined && now - last < LAST_USED_WRITE_MS) return;
    this.lastUsedWritten.set(id, now);
    await this.tokens.touch(id, new Date(now));
  }
}
