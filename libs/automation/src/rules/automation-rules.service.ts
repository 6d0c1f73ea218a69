import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BadInputError, ConflictError, NotFoundError, SECRET_BOX, type OsFamily, type ProviderEventType, type SecretBox } from '@hybridforms/core';
import { AutomationRuleRepository, type AutomationRuleEntity } from '@hybridforms/persistence';
import { PlaybookCatalog } from '../catalog/playbook.catalog.js';
import { MachineCredentialsService } from '../credentials/machine-credentials.service.js';
import { hasSealedMarker, sealSensitiveVars, unsealSensitiveVars } from '../runs/run-secrets.js';
import { validateExtraVars } from '../validation/run-input.validator.js';

export interface AutomationRuleInput {
  name: string;
  on: { provider?: string | null; type: ProviderEventType; osFamily?: OsFamily | null };
  playbook: string;
  extraVars?: unknown;
  credentialId: string;
  enabled?: boolean;
  cooldownSeconds?: number;
  maxRunsPerHour?: number;
}

export const DEFAULT_RULE_COOLDOWN_SECONDS = 600;
export const DEFAULT_RULE_MAX_RUNS_PER_HOUR = 20;

/** Automation rules: checked like a run request (catalog playbook, credential, extra vars) when saved. */
@Injectable()
export class AutomationRulesService {
  constructor(
    private readonly rules: AutomationRuleRepository,
    private readonly catalog: PlaybookCatalog,
    private readonly credentials: MachineCredentialsService,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
  ) {}

  list(): Promise<AutomationRuleEntity[]> {
    return this.rules.list();
  }

  enabled(): Promise<AutomationRuleEntity[]> {
    return this.rules.enabled();
  }

  async get(id: string): Promise<AutomationRuleEntity> {
    const rule = await this.rules.findById(id);
    if (!rule) throw new NotFoundError(`automation rule ${id} not found`);
    return rule;
  }

  async create(input: AutomationRuleInput): Promise<AutomationRuleEntity> {
    if (await this.rules.nameTaken(input.name)) throw new ConflictError(`an automation rule named "${input.name}" already exists`);
    const now = new Date();
    return this.rules.add({ id: randomUUID(), createdAt: now, updatedAt: now, ...(await this.checked(input)), extraVars: this.sealedExtraVars(input.extraVars) });
  }

  async update(id: string, input: Partial<AutomationRuleInput>): Promise<AutomationRuleEntity> {
    const rule = await this.get(id);
    if (input.name && input.name !== rule.name && (await this.rules.nameTaken(input.name))) {
      throw new ConflictError(`an automation rule named "${input.name}" already exists`);
    }
    const merged: Omit<AutomationRuleInput, 'extraVars'> = {
      name: input.name ?? rule.name,
      on: input.on ?? { provider: rule.onProviderId, type: rule.onType, osFamily: rule.onOsFamily },
      playbook: input.playbook ?? rule.playbook,
      credentialId: input.credentialId ?? rule.credentialId,
      enabled: input.enabled ?? rule.enabled,
      cooldownSeconds: input.cooldownSeconds ?? rule.cooldownSeconds,
      maxRunsPerHour: input.maxRunsPerHour ?? rule.maxRunsPerHour,
    };
    // Extra vars not given are kept as stored (already checked, their secrets already sealed).
    const extraVars = input.extraVars === undefined ? rule.extraVars : this.sealedExtraVars(input.extraVars);
    Object.assign(rule, await this.checked(merged), { extraVars, updatedAt: new Date() });
    await this.rules.save(rule);
    return rule;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.rules.delete(id);
  }

  /** The rule's extra vars as a run takes them: sensitive values opened (a run seals them again). */
  extraVarsForRun(rule: AutomationRuleEntity): Record<string, unknown> {
    return unsealSensitiveVars(rule.extraVars, this.secretBox);
  }

  /** Checked like a run's, then values under secret-like names sealed at rest, as runs store them. */
  private sealedExtraVars(input: unknown): Record<string, unknown> {
    const valid = validateExtraVars(input ?? {});
    if (hasSealedMarker(valid)) throw new BadInputError('extraVars: "$sealed" is not a name an extra var object may use');
    return sealSensitiveVars(valid, this.secretBox);
  }

  private async checked(input: Omit<AutomationRuleInput, 'extraVars'>) {
    const playbook = await this.catalog.resolve(input.playbook);
    await this.credentials.get(input.credentialId);
    return {
      name: input.name,
      enabled: input.enabled ?? true,
      onProviderId: input.on.provider ?? null,
      onType: input.on.type,
      onOsFamily: input.on.osFamily ?? null,
      playbook: playbook.id,
      credentialId: input.credentialId,
      cooldownSeconds: input.cooldownSeconds ?? DEFAULT_RULE_COOLDOWN_SECONDS,
      maxRunsPerHour: input.maxRunsPerHour ?? DEFAULT_RULE_MAX_RUNS_PER_HOUR,
    };
  }
}
