import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { mapSealed, SEALED_MARKER } from '@hybridforms/core';
import { AutomationRuleEntity } from '../entities/automation-rule.entity.js';
import { MachineCredentialEntity } from '../entities/machine-credential.entity.js';
import { PlaybookRunEntity } from '../entities/playbook-run.entity.js';
import { ProviderEntity } from '../entities/provider.entity.js';
import { ProvisionRequestEntity } from '../entities/provision-request.entity.js';

/** The columns that hold sealed values: whole ciphertexts, or extra vars with sealed leaves. */
export type SealedValueKind = 'providers' | 'machineCredentials' | 'playbookRunExtraVars' | 'automationRuleExtraVars' | 'provisionRequestSecrets';

/**
 * What to put in place of one sealed value (`where` names the row, never the secret), or null to
 * leave it. Throwing aborts the whole pass and changes nothing.
 */
export type Reseal = (kind: SealedValueKind, where: string, sealed: string) => string | null;

// Playbook runs can be many: read them a page at a time.
const PAGE = 500;

/** Every sealed value of the database, visited in one transaction (key rotation). */
@Injectable()
export class SealedSecretsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async resealAll(reseal: Reseal): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      for (const provider of await manager.find(ProviderEntity, { select: { id: true, credentialsCiphertext: true }, order: { id: 'ASC' } })) {
        const next = reseal('providers', `provider ${provider.id}`, provider.credentialsCiphertext);
        if (next) await manager.update(ProviderEntity, { id: provider.id }, { credentialsCiphertext: next });
      }
      for (const credential of await manager.find(MachineCredentialEntity, { select: { id: true, secretCiphertext: true }, order: { id: 'ASC' } })) {
        const next = reseal('machineCredentials', `machine credential ${credential.id}`, credential.secretCiphertext);
        if (next) await manager.update(MachineCredentialEntity, { id: credential.id }, { secretCiphertext: next });
      }
      let after = '';
      for (;;) {
        const page = await manager.find(PlaybookRunEntity, { select: { id: true, extraVars: true }, where: after ? { id: MoreThan(after) } : {}, order: { id: 'ASC' }, take: PAGE });
        for (const run of page) {
          const extraVars = resealVars(reseal, 'playbookRunExtraVars', `playbook run ${run.id} (extra vars)`, run.extraVars);
          if (extraVars) await manager.update(PlaybookRunEntity, { id: run.id }, { extraVars } as QueryDeepPartialEntity<PlaybookRunEntity>);
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1].id;
      }
      for (const rule of await manager.find(AutomationRuleEntity, { select: { id: true, extraVars: true }, order: { id: 'ASC' } })) {
        const extraVars = resealVars(reseal, 'automationRuleExtraVars', `automation rule ${rule.id} (extra vars)`, rule.extraVars);
        if (extraVars) await manager.update(AutomationRuleEntity, { id: rule.id }, { extraVars } as QueryDeepPartialEntity<AutomationRuleEntity>);
      }
      // A provision request's user data and its post-provision playbook's secret-like extra vars.
      after = '';
      for (;;) {
        const page = await manager.find(ProvisionRequestEntity, { select: { id: true, spec: true }, where: after ? { id: MoreThan(after) } : {}, order: { id: 'ASC' }, take: PAGE });
        for (const request of page) {
          const spec = resealVars(reseal, 'provisionRequestSecrets', `provision request ${request.id} (user data, extra vars)`, request.spec);
          if (spec) await manager.update(ProvisionRequestEntity, { id: request.id }, { spec } as QueryDeepPartialEntity<ProvisionRequestEntity>);
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1].id;
      }
    });
  }
}

/** Extra vars with every sealed leaf resealed, or null when none changed. */
function resealVars(reseal: Reseal, kind: SealedValueKind, where: string, vars: unknown): Record<string, unknown> | null {
  if (!JSON.stringify(vars ?? {}).includes(`"${SEALED_MARKER}"`)) return null;
  let changed = false;
  const next = mapSealed(vars, (sealed) => {
    const resealed = reseal(kind, where, sealed);
    if (resealed === null) return { [SEALED_MARKER]: sealed };
    changed = true;
    return { [SEALED_MARKER]: resealed };
  }) as Record<string, unknown>;
  return changed ? next : null;
}
