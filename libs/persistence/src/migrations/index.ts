import { InitialSchema1795600000000 } from './1795600000000-initial-schema.js';
import { VmDetails1795600000001 } from './1795600000001-vm-details.js';
import { Telemetry1795600000002 } from './1795600000002-telemetry.js';
import { Automation1795600000003 } from './1795600000003-automation.js';
import { AutomationRules1795600000004 } from './1795600000004-automation-rules.js';
import { Security1795600000005 } from './1795600000005-security.js';
import { Operations1795600000006 } from './1795600000006-operations.js';
import { Provisioning1795600000007 } from './1795600000007-provisioning.js';
import { ProvisionTasks1795600000008 } from './1795600000008-provision-tasks.js';
import { VmListIndexes1795600000009 } from './1795600000009-vm-list-indexes.js';

/** Every migration, oldest first. Listed, not globbed: ESM has no require-time directory scan. */
export const MIGRATIONS = [InitialSchema1795600000000, VmDetails1795600000001, Telemetry1795600000002, Automation1795600000003, AutomationRules1795600000004, Security1795600000005, Operations1795600000006, Provisioning1795600000007, ProvisionTasks1795600000008, VmListIndexes1795600000009];
