import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { bufferTime, filter, type Subscription } from 'rxjs';
import { AutomationRuleEngine } from '@hybridforms/automation';
import { EventStream } from '@hybridforms/telemetry';

/**
 * Hands stored events to the automation rules. The wiring lives in the app so that neither
 * library imports the other: telemetry stores events, automation fires rules.
 */
@Injectable()
export class RuleTriggerBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RuleTriggerBridge.name);
  private subscription: Subscription | null = null;

  constructor(
    private readonly events: EventStream,
    private readonly engine: AutomationRuleEngine,
  ) {}

  onModuleInit(): void {
    this.subscription = this.events.events$
      .pipe(
        bufferTime(200),
        filter((batch) => batch.length > 0),
      )
      .subscribe((batch) => {
        this.engine.onEvents(batch).catch((error: Error) => this.logger.error(`automation rules failed on ${batch.length} event(s): ${error.message}`));
      });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
