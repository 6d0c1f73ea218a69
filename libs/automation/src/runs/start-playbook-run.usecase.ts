import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, BadInputError, NotFoundError, SECRET_BOX, type AppConfig, type SecretBox } from '@hybridforms/core';
import { PlaybookRunRepository, VmQueryRepository, type PlaybookRunEntity, type VmEntity, type VmFilter } from '@hybridforms/persistence';
import { PlaybookCatalog } from '../catalog/playbook.catalog.js';
import { MachineCredentialsService } from '../credentials/machine-credentials.service.js';
import { buildInventory } from '../inventory/dynamic-inventory.builder.js';
import { validateExtraVars, validateLimit } from '../validation/run-input.validator.js';
import { ExecutePlaybookRun } from './execute-playbook-run.usecase.js';
import { hasSealedMarker, sealSensitiveVars } from './run-secrets.js';

export interface PlaybookRunRequest {
  /** The run's id, when the caller fixes it beforehand (a provision task asked again finds its run, never a second one). */
  id?: string;
  /** A catalog id (GET /playbooks). */
  playbook: string;
  targets: { vmIds: string[] } | { selector: VmFilter };
  credentialId: string;
  extraVars?: unknown;
  limit?: string;
  timeoutSeconds?: number;
  trigger?: 'api' | 'rule' | 'provision';
  /** For a rule's run: the rule and the event that fired it. */
  ruleId?: string;
  eventId?: string;
}

/**
 * A playbook run request: checked (catalog playbook, credential, targets, extra vars, limit),
 * stored queued with the inventory generated from the database, and its job queued.
 */
@Injectable()
export class StartPlaybookRun {
  private readonly logger = new Logger(StartPlaybookRun.name);

  constructor(
    private readonly runs: PlaybookRunRepository,
    private readonly vmQueries: VmQueryRepository,
    private readonly catalog: PlaybookCatalog,
    private readonly credentials: MachineCredentialsService,
    private readonly execution: ExecutePlaybookRun,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
  ) {}

  async request(input: PlaybookRunRequest): Promise<PlaybookRunEntity> {
    if (input.id) {
      const earlier = await this.runs.findById(input.id);
      if (earlier) return earlier;
    }
    const playbook = await this.catalog.resolve(input.playbook);
    const validVars = validateExtraVars(input.extraVars ?? {});
    if (hasSealedMarker(validVars)) throw new BadInputError('extraVars: "$sealed" is not a name an extra var object may use');
    // Values under secret-like names (db_password, api_token…) are stored sealed, never readable.
    const extraVars = sealSensitiveVars(validVars, this.secretBox);
    const limit = input.limit === undefined ? null : validateLimit(input.limit);
    const timeoutSeconds = input.timeoutSeconds ?? this.config.automation.defaultTimeoutSeconds;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > this.config.automation.maxTimeoutSeconds) {
      throw new BadInputError(`timeoutSeconds: must be an integer from 1 to ${this.config.automation.maxTimeoutSeconds}`);
    }
    const credential = await this.credentials.get(input.credentialId).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new BadInputError(`credentialId: no machine credential ${input.credentialId}`);
      throw error;
    });
    const selected = await this.selectVms(input.targets);
    const built = this.inventoryOf(selected, { ansible_user: credential.username });
    if (built.hosts.length === 0) {
      const reasons = built.skipped.map((s) => `${s.name}: ${s.reason}`).join(', ');
      throw new BadInputError(`targets: no VM of the selection can be reached${reasons ? ` (${reasons})` : ''}`);
    }
    const run = await this.runs.add({
      id: input.id ?? randomUUID(),
      playbook: playbook.id,
      status: 'queued',
      credentialId: credential.id,
      targets: input.targets as Record<string, unknown>,
      inventory: built.inventory as unknown as Record<string, unknown>,
      hosts: built.hosts,
      skipped: built.skipped,
      extraVars,
      limit,
      timeoutSeconds,
      trigger: input.trigger ?? 'api',
      ruleId: input.ruleId ?? null,
      eventId: input.eventId ?? null,
      requestedAt: new Date(),
      startedAt: null,
      finishedAt: null,
      rc: null,
      reason: null,
      hostSummary: {},
      eventCount: 0,
      stdout: null,
      owner: null,
    });
    this.logger.log(`playbook run ${run.id} of ${playbook.id} queued for ${built.hosts.length} host(s), ${built.skipped.length} skipped`);
    this.execution.enqueue(run.id);
    return run;
  }

  /**
   * Where a run would reach the VM over SSH (the address the run's inventory would give it, or the
   * configured SSH target), or why it would skip it (powered off, no address yet).
   */
  async sshEndpointOf(vmId: string): Promise<{ host: string; port: number } | { skipped: string }> {
    const built = this.inventoryOf(await this.selectVms({ vmIds: [vmId] }), {});
    const host = built.hosts[0];
    if (!host) return { skipped: built.skipped[0]?.reason ?? 'not in the inventory' };
    return this.config.automation.sshTarget ?? { host: host.address, port: 22 };
  }

  private inventoryOf(selected: Awaited<ReturnType<StartPlaybookRun['selectVms']>>, hostVars: Record<string, string>) {
    return buildInventory(selected, {
      addressPolicy: Object.fromEntries(selected.map((vm) => [vm.providerId, this.config.automation.providerAddress[vm.providerName] ?? this.config.automation.defaultAddress])),
      hostVars,
      ...(this.config.automation.sshTarget ? { mapAddress: () => this.config.automation.sshTarget! } : {}),
    });
  }

  /** The VMs of the targets with what the inventory needs (addresses per kind, provider name). */
  private async selectVms(targets: PlaybookRunRequest['targets']) {
    let rows: VmEntity[];
    if ('vmIds' in targets) {
      rows = await this.runs.vmsByIds(targets.vmIds);
      const missing = targets.vmIds.filter((id) => !rows.some((vm) => vm.id === id));
      if (missing.length > 0) throw new BadInputError(`targets.vmIds: no such VM: ${missing.join(', ')}`);
    } else {
      rows = await this.vmQueries.select(targets.selector);
    }
    const nics = await this.runs.nicsOf(rows.map((vm) => vm.id));
    const providerNames = await this.runs.providerNames();
    return rows.map((vm) => {
      const own = nics.filter((nic) => nic.vmId === vm.id).sort((a, b) => Number(b.primary) - Number(a.primary));
      return {
        id: vm.id,
        name: vm.name,
        nativeId: vm.nativeId,
        providerId: vm.providerId,
        providerName: providerNames.get(vm.providerId) ?? vm.providerId,
        location: vm.location,
        osFamily: vm.osFamily,
        osVersion: vm.osVersion,
        licenseModel: vm.licenseModel,
        powerState: vm.powerState,
        archivedAt: vm.archivedAt,
        privateIps: own.flatMap((nic) => nic.privateIps),
        publicIps: own.flatMap((nic) => nic.publicIps),
      };
    });
  }
}
