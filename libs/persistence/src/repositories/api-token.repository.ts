import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { ApiTokenEntity } from '../entities/api-token.entity.js';

/** API token rows: looked up by the hash of the presented secret, never by the secret. */
@Injectable()
export class ApiTokenRepository {
  constructor(@InjectRepository(ApiTokenEntity) private readonly tokens: Repository<ApiTokenEntity>) {}

  /** For a command that opens its own data source (the token CLI) rather than Nest's. */
  static of(manager: EntityManager): ApiTokenRepository {
    return new ApiTokenRepository(manager.getRepository(ApiTokenEntity));
  }

  async insert(token: ApiTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  /** The token with this hash unless it is revoked (expiry is the caller's rule). */
  findUnrevokedByHash(tokenHash: string): Promise<ApiTokenEntity | null> {
    return this.tokens.findOne({ where: { tokenHash, revokedAt: IsNull() } });
  }

  list(): Promise<ApiTokenEntity[]> {
    return this.tokens.find({ order: { createdAt: 'DESC', id: 'ASC' } });
  }

  get(id: string): Promise<ApiTokenEntity | null> {
    return this.tokens.findOneBy({ id });
  }

  /** Revokes once: a token already revoked keeps its first time. */
  async revoke(id: string, at: Date): Promise<void> {
    await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt: at });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.tokens.update({ id }, { lastUsedAt: at });
  }
}
