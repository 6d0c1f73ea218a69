import { InventoryQueryRepository } from '../queries/inventory-query.repository.js';
import { VmQueryRepository } from '../queries/vm-query.repository.js';
import { ProviderRepository } from './provider.repository.js';
import { RefreshRepository } from './refresh.repository.js';

/**
 * Every repository the global PersistenceModule provides: one per aggregate, each owning its
 * queries. A new repository is added here (and exported from the lib's index) and nowhere else.
 */
export const REPOSITORIES = [VmQueryRepository, InventoryQueryRepository, RefreshRepository, ProviderRepository];
