import { InventoryQueryRepository } from '../queries/inventory-query.repository.js';
import { VmQueryRepository } from '../queries/vm-query.repository.js';
import { ApiTokenRepository } from './api-token.repository.js';
import { AuditRepository } from './audit.repository.js';
import { SealedSecretsRepository } from './sealed-secrets.repository.js';

export { ApiTokenRepository } from './api-token.repository.js';
export { AuditRepository, type AuditFilter } from './audit.repository.js';
export { SealedSecretsRepository, type Reseal, type SealedValueKind } from './sealed-secrets.repository.js';

/**
 * Every repository the global PersistenceModule provides: one per aggregate, each owning its
 * queries. A new repository is added here (and exported above) and nowhere else.
 */
export const REPOSITORIES = [VmQueryRepository, InventoryQueryRepository, ApiTokenRepository, AuditRepository, SealedSecretsRepository];
