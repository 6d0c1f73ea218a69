import { InventoryQueryRepository } from '../queries/inventory-query.repository.js';
import { VmQueryRepository } from '../queries/vm-query.repository.js';
import { ApiTokenRepository } from './api-token.repository.js';
import { AuditRepository } from './audit.repository.js';
import { AutomationRuleRepository } from './automation-rule.repository.js';
import { EventRepository } from './event.repository.js';
import { MachineCredentialRepository } from './machine-credential.repository.js';
import { MetricCaptureRepository } from './metric-capture.repository.js';
import { MetricRepository } from './metric.repository.js';
import { OperationRepository } from './operation.repository.js';
import { PlaybookRunRepository } from './playbook-run.repository.js';
import { ProviderRepository } from './provider.repository.js';
import { ProvisionRequestRepository } from './provision-request.repository.js';
import { RefreshRepository } from './refresh.repository.js';
import { RetirementRepository } from './retirement.repository.js';
import { SealedSecretsRepository } from './sealed-secrets.repository.js';

export * from './api-token.repository.js';
export * from './audit.repository.js';
export * from './automation-rule.repository.js';
export * from './event.repository.js';
export * from './machine-credential.repository.js';
export * from './metric-capture.repository.js';
export * from './metric.repository.js';
export * from './operation.repository.js';
export * from './playbook-run.repository.js';
export * from './provider.repository.js';
export * from './provision-request.repository.js';
export * from './refresh.repository.js';
export * from './retirement.repository.js';
export * from './sealed-secrets.repository.js';

/**
 * Every repository the global PersistenceModule provides: one per aggregate, each owning its
 * queries. A new repository is added here (and exported above) and nowhere else.
 */
export const REPOSITORIES = [
  VmQueryRepository,
  InventoryQueryRepository,
  ProviderRepository,
  RefreshRepository,
  ApiTokenRepository,
  AuditRepository,
  SealedSecretsRepository,
  EventRepository,
  MetricRepository,
  MetricCaptureRepository,
  PlaybookRunRepository,
  AutomationRuleRepository,
  MachineCredentialRepository,
  OperationRepository,
  RetirementRepository,
  ProvisionRequestRepository,
];
