import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { bufferTime, filter, type Subscription } from 'rxjs';
import { AutomationRuleEngine, type RuleFiring } from '@hybridforms/automation';
import { EventStream } from '@hybridforms/telemetry';
import { AuditLogService } from '../audit/audit-log.service.js';

/**
 * Hands the events this process stored to the automation rules (once per event in a cluster: the
 * process that caught it fires them). The wiring lives in the app so that neither
 * library imports the other: telemetry stores events, automation fires rules.
 */
@Injectable()
export class RuleTriggerBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RuleTriggerBridge.name);
  private subscription: Subscription | null = null;

  constructor(
    private readonly events: EventStream,
    private readonly engine: AutomationRuleEngine,
    private readonly audit: AuditLogService,
  ) {}

  onModuleInit(): void {
    this.subscription = this.events.stored$
      .pipe(
        bufferTime(200),
        filter((batch) => batch.length > 0),
      )
      .subscribe((batch) => {
        this.engine
          .onEvents(batch)
          .then((firings) => this.recordRuns(firings))
          .catch((error: Error) => this.logger.error(`automation rules failed on ${batch.length} event(s): ${error.message}`));
      });
  }

  /** A run a rule started is a change like one an operator asks for: the audit log names the rule and the event. */
  private async recordRuns(firings: RuleFiring[]): Promise<void> {
    for (const firing of firings) {
      if (!firing.runId) continue;
      await this.audit.record({
        principal: { tokenId: null, name: `rule:${firing.ruleId}`, role: 'operator' },
        action: 'playbook-run.start',
        targetType: 'playbook-run',
        targetId: firing.runId,
        method: 'EVENT',
        path: `/api/v1/events/${firing.eventId}`,
        clientIp: null,
        outcome: 'success',
        statusCode: 202,
        detail: { ruleId: firing.ruleId, eventId: firing.eventId, vmId: firing.vmId },
      });
    }
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
