import { Module } from '@nestjs/common';
import { AccessModule } from '@hybridforms/access';
import { AutomationModule } from '../automation.module.js';
import { RuleTrigger } from './rule-trigger.js';

/**
 * Automation rules fired by the events this process stores. Needs STORED_EVENTS bound by the
 * process's composition (the runtime module binds it to telemetry's event stream).
 */
@Module({
  imports: [AutomationModule, AccessModule],
  providers: [RuleTrigger],
})
export class RuleTriggerModule {}
