import { ApiTokenEntity } from './api-token.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AutomationRuleEntity } from './automation-rule.entity.js';
import { DiskEntity } from './disk.entity.js';
import { EventCheckpointEntity } from './event-checkpoint.entity.js';
import { EventEntity } from './event.entity.js';
import { HostEntity } from './host.entity.js';
import { ImageEntity } from './image.entity.js';
import { MachineCredentialEntity } from './machine-credential.entity.js';
import { MetricCaptureEntity } from './metric-capture.entity.js';
import { NetworkEntity } from './network.entity.js';
import { NicEntity } from './nic.entity.js';
import { OperationEntity } from './operation.entity.js';
import { PlaybookRunEventEntity } from './playbook-run-event.entity.js';
import { PlaybookRunEntity } from './playbook-run.entity.js';
import { ProviderEntity } from './provider.entity.js';
import { ProvisionRequestEntity } from './provision-request.entity.js';
import { RefreshEntity } from './refresh.entity.js';
import { ResourceGroupEntity } from './resource-group.entity.js';
import { VmChangeEntity } from './vm-change.entity.js';
import { VmEntity } from './vm.entity.js';
import { VmRetirementEntity } from './vm-retirement.entity.js';

export {
  ApiTokenEntity,
  AuditEntryEntity,
  AutomationRuleEntity,
  DiskEntity,
  EventCheckpointEntity,
  EventEntity,
  HostEntity,
  ImageEntity,
  MachineCredentialEntity,
  MetricCaptureEntity,
  NetworkEntity,
  NicEntity,
  OperationEntity,
  PlaybookRunEntity,
  PlaybookRunEventEntity,
  ProviderEntity,
  ProvisionRequestEntity,
  RefreshEntity,
  ResourceGroupEntity,
  VmChangeEntity,
  VmEntity,
  VmRetirementEntity,
};
export * from './refresh.entity.js';
export * from './playbook-run.entity.js';
export * from './operation.entity.js';
export { PROVISION_REQUEST_STATUSES, ACTIVE_PROVISION_REQUEST_STATUSES, FINISHED_PROVISION_REQUEST_STATUSES, type ProvisionRequestStatus } from './provision-request.entity.js';
export * from './inventory-columns.js';
export { AUDIT_OUTCOMES, type AuditOutcome } from './audit-entry.entity.js';

export const ENTITIES = [
  ProviderEntity,
  RefreshEntity,
  HostEntity,
  VmEntity,
  NicEntity,
  DiskEntity,
  ImageEntity,
  NetworkEntity,
  ResourceGroupEntity,
  VmChangeEntity,
  EventEntity,
  EventCheckpointEntity,
  MetricCaptureEntity,
  MachineCredentialEntity,
  PlaybookRunEntity,
  PlaybookRunEventEntity,
  AutomationRuleEntity,
  ApiTokenEntity,
  AuditEntryEntity,
  OperationEntity,
  VmRetirementEntity,
  ProvisionRequestEntity,
];
