import { Injectable, Logger } from '@nestjs/common';
import type { ProviderEventType } from '@hybridforms/core';
import { AutomationRuleRepository, PlaybookRunRepository } from '@hybridforms/persistence';
import { StartPlaybookRun } from '../runs/start-playbook-run.usecase.js';
import { AutomationRulesService } from './automation-rules.service.js';

/** What a rule looks at in a stored event. */
export interface RuleEvent {
  id: string;
  providerId: string;
  type: ProviderEventType;
  vmId: string | null;
  vmNativeId: string | null;
}

export interface RuleFiring {
  ruleId: string;
  eventId: string;
  vmId: string;
  runId: string | null;
  /** Why no run was made (cooldown, hourly cap, the run request was refused). */
  skipped: string | null;
}

/**
 * Fires automation rules on stored events: a matching event queues a run of the rule's playbook on
 * the event's VM, at most once per VM within the rule's cooldown and at most `maxRunsPerHour` runs
 * of the rule an hour, so an event storm cannot launch hundreds of runs. Batches are handled one
 * at a time, so a burst in one batch sees its own first run.
 */
@Injectable()
export class AutomationRuleEngine {
  private readonly logger = new Logger(AutomationRuleEngine.name);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rules: AutomationRulesService,
    private readonly runs: StartPlaybookRun,
    private readonly runRows: PlaybookRunRepository,
    private readonly ruleRows: AutomationRuleRepository,
  ) {}

  onEvents(events: RuleEvent[]): Promise<RuleFiring[]> {
    const next = this.queue.then(() => this.handle(events));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async handle(events: RuleEvent[]): Promise<RuleFiring[]> {
    const rules = await this.rules.enabled();
    if (rules.length === 0) return [];
    const firings: RuleFiring[] = [];
    for (const event of events) {
      for (const rule of rules) {
        if (rule.onType !== event.type || (rule.onProviderId && rule.onProviderId !== event.providerId)) continue;
        const vm = await this.ruleRows.vmOfEvent(event);
        if (!vm || (rule.onOsFamily && vm.osFamily !== rule.onOsFamily)) continue;
        const firing: RuleFiring = { ruleId: rule.id, eventId: event.id, vmId: vm.id, runId: null, skipped: null };
        const now = Date.now();
        // A rule's runs are few (capped per hour): its recent ones are read and matched by VM here.
        const recent = await this.runRows.ofRuleSince(rule.id, new Date(now - rule.cooldownSeconds * 1000));
        if (recent.some((run) => (run.targets as { vmIds?: string[] }).vmIds?.includes(vm.id))) {
          firing.skipped = 'cooldown';
        } else if ((await this.runRows.countOfRuleSince(rule.id, new Date(now - 3600_000))) >= rule.maxRunsPerHour) {
          firing.skipped = 'hourly cap';
          this.logger.warn(`rule ${rule.name} reached its ${rule.maxRunsPerHour} runs an hour; event ${event.id} fires nothing`);
        } else {
          try {
            const run = await this.runs.request({
              playbook: rule.playbook,
              targets: { vmIds: [vm.id] },
              credentialId: rule.credentialId,
              extraVars: this.rules.extraVarsForRun(rule),
              trigger: 'rule',
              ruleId: rule.id,
              eventId: event.id,
            });
            firing.runId = run.id;
            this.logger.log(`rule ${rule.name} fired on event ${event.id} (${event.type}): run ${run.id} on vm ${vm.name}`);
          } catch (error) {
            firing.skipped = `refused: ${(error as Error).message}`;
            this.logger.warn(`rule ${rule.name} could not run on vm ${vm.name}: ${(error as Error).message}`);
          }
        }
        firings.push(firing);
      }
    }
    return firings;
  }
}
