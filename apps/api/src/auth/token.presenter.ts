import type { ApiTokenEntity } from '@hybridforms/persistence';

/** A token as the API shows it: never its hash. */
export function presentToken(entity: ApiTokenEntity) {
  return {
    id: entity.id,
    name: entity.name,
    role: entity.role,
    prefix: entity.prefix,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt,
    expiresAt: entity.expiresAt,
    lastUsedAt: entity.lastUsedAt,
    revokedAt: entity.revokedAt,
  };
}
