import { InventoryQueryRepository } from '../queries/inventory-query.repository.js';
import { VmQueryRepository } from '../queries/vm-query.repository.js';
import { AutomationRuleRepository } from './automation-rule.repository.js';
import { EventRepository } from './event.repository.js';
import { MachineCredentialRepository } from './machine-credential.repository.js';
import { MetricCaptureRepository } from './metric-capture.repository.js';
import { MetricRepository } from './metric.repository.js';
import { PlaybookRunRepository } from './playbook-run.repository.js';

/**
 * Every repository the global PersistenceModule provides: one per aggregate, each owning its
 * queries. A new repository is added here (and exported from the lib's index) and nowhere else.
 */
export const REPOSITORIES = [VmQueryRepository, InventoryQueryRepository, EventRepository, MetricRepository, MetricCaptureRepository, PlaybookRunRepository, AutomationRuleRepository, MachineCredentialRepository];
