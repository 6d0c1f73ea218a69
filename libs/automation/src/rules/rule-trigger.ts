import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { bufferTime, filter, type Subscription } from 'rxjs';
import { AuditLogService } from '@hybridforms/access';
import { STORED_EVENTS, type StoredEventSource } from '@hybridforms/core';
import { AutomationRuleEngine, type RuleFiring } from './automation-rule.engine.js';

/**
 * Hands the events this process stored to the automation rules (once per event in a cluster: the
 * process that caught it fires them), and puts the runs they start in the audit log.
 */
@Injectable()
export class RuleTrigger implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RuleTrigger.name);
  private subscription: Subscription | null = null;

  constructor(
    @Inject(STORED_EVENTS) private readonly events: StoredEventSource,
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
