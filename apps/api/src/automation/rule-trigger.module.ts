import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AutomationModule } from '@hybridforms/automation';
import { AuditEntryEntity } from '@hybridforms/persistence';
import { TelemetryModule } from '@hybridforms/telemetry';
import { AuditLogService } from '../audit/audit-log.service.js';
import { RuleTriggerBridge } from './rule-trigger.bridge.js';

/**
 * Automation rules fired by the events this process catches, with their runs in the audit log.
 * Imported by every process that runs jobs: the embedded API, and each worker of a cluster.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEntryEntity]), TelemetryModule, AutomationModule],
  providers: [AuditLogService, RuleTriggerBridge],
})
export class RuleTriggerModule {}
