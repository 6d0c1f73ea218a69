import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, BadInputError, ConflictError, NotFoundError, ProviderRegistry, VM_ACTIONS, type AppConfig, type VmAction } from '@hybridforms/core';
import { ProvidersService } from '@hybridforms/discovery';
import { OperationRepository, VmQueryRepository, type OperationEntity, type ProviderEntity, type VmEntity, type VmFilter } from '@hybridforms/persistence';
import { ExecuteOperation } from './execute-operation.usecase.js';
import { busyReason, newOperation, pendingStep, type Requester } from './new-operation.js';
import { isVmAction, wrongStateReason } from './vm-action.rules.js';

export interface VmActionInput {
  action: unknown;
  /** stop: turn off (Hyper-V) / skip the guest's shutdown (Azure). */
  force?: boolean;
}

export type VmActionTargets = { vmIds: string[] } | { selector: VmFilter };

/** A VM of a selection that got no operation, and why. */
export interface SkippedVm {
  vmId: string;
  name: string;
  reason: string;
  /** The operation that holds it, when that is the reason. */
  operationId?: string;
}

export interface BatchOfOperations {
  batchId: string;
  operations: OperationEntity[];
  skipped: SkippedVm[];
}

/** Why a VM cannot get the action: 400 (never for this provider) or 409 (not now). */
type Refusal = { status: 400 | 409; reason: string; operationId?: string };

/**
 * Asks for power actions: checked against what the VM's provider offers and the VM's state
 * (inventory), stored as a queued operation (the database's one-active-operation-per-VM index
 * decides races between processes), and queued as a job.
 */
@Injectable()
export class RequestVmAction {
  private readonly logger = new Logger(RequestVmAction.name);

  constructor(
    private readonly operations: OperationRepository,
    private readonly vms: VmQueryRepository,
    private readonly providers: ProvidersService,
    private readonly registry: ProviderRegistry,
    private readonly execution: ExecuteOperation,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One VM: 202 with the operation, or the reason it cannot be done (400/404/409). */
  async request(vmId: string, input: VmActionInput, requester: Requester): Promise<OperationEntity> {
    const action = this.actionOf(input);
    const vm = (await this.vms.detail(vmId))?.vm;
    if (!vm) throw new NotFoundError(`vm ${vmId} not found`);
    const provider = await this.providers.get(vm.providerId);
    const refusal = this.refusalFor(vm, provider, action);
    if (refusal?.status === 400) throw new BadInputError(refusal.reason);
    // The running operation is the reason, not the transitional state it put the VM in.
    const held = await this.operations.activeOfVm(vm.id);
    if (held) throw new ConflictError(busyReason(held));
    if (refusal) throw new ConflictError(`cannot ${action} ${vm.name}: ${refusal.reason}`);
    const stored = await this.store(vm, action, input, requester, null);
    if ('active' in stored) throw new ConflictError(busyReason(stored.active));
    return stored.added;
  }

  /** A selection: one operation per VM that can take the action, the others skipped with their reason. */
  async requestMany(targets: VmActionTargets, input: VmActionInput, requester: Requester): Promise<BatchOfOperations> {
    const action = this.actionOf(input);
    const vms = await this.select(targets);
    if (vms.length === 0) throw new BadInputError('targets: the selection matches no VM');
    const max = this.config.operations.maxTargets;
    if (vms.length > max) throw new BadInputError(`targets: the selection holds ${vms.length} VMs, more than the ${max} one request may act on (operations.maxTargets)`);
    const providers = new Map<string, ProviderEntity>();
    for (const providerId of new Set(vms.map((vm) => vm.providerId))) providers.set(providerId, await this.providers.get(providerId));
    const busy = await this.operations.activeOfVms(vms.map((vm) => vm.id));
    const batchId = randomUUID();
    const operations: OperationEntity[] = [];
    const skipped: SkippedVm[] = [];
    for (const vm of vms) {
      const held = busy.get(vm.id);
      const refusal = held ? { status: 409, reason: busyReason(held), operationId: held.id } : this.refusalFor(vm, providers.get(vm.providerId)!, action);
      if (refusal) {
        skipped.push({ vmId: vm.id, name: vm.name, reason: refusal.reason, ...(refusal.operationId ? { operationId: refusal.operationId } : {}) });
        continue;
      }
      const stored = await this.store(vm, action, input, requester, batchId);
      if ('active' in stored) skipped.push({ vmId: vm.id, name: vm.name, reason: busyReason(stored.active), operationId: stored.active.id });
      else operations.push(stored.added);
    }
    if (operations.length === 0) {
      const reasons = skipped.slice(0, 10).map((s) => `${s.name}: ${s.reason}`);
      throw new ConflictError(`no VM of the selection can be ${action === 'stop' ? 'stopped' : `given ${action}`} now (${reasons.join('; ')}${skipped.length > 10 ? `; and ${skipped.length - 10} more` : ''})`);
    }
    this.logger.log(`batch ${batchId}: ${action} queued for ${operations.length} VM(s), ${skipped.length} skipped`);
    return { batchId, operations, skipped };
  }

  private actionOf(input: VmActionInput): VmAction {
    if (!isVmAction(input.action)) throw new BadInputError(`action: must be one of ${VM_ACTIONS.join(', ')}`);
    if (input.force !== undefined && typeof input.force !== 'boolean') throw new BadInputError('force: must be true or false');
    if (input.force && input.action !== 'stop') throw new BadInputError('force: only a stop can be forced (turn the VM off)');
    return input.action;
  }

  private refusalFor(vm: VmEntity, provider: ProviderEntity, action: VmAction): Refusal | null {
    const plugin = this.registry.find(provider.type);
    const offered = plugin?.act ? (plugin.vmActions ?? []) : [];
    if (offered.length === 0) return { status: 400, reason: `provider ${provider.name} (${provider.type}) cannot act on VMs` };
    if (!offered.includes(action)) return { status: 400, reason: `action: ${action} is not an action of ${provider.type} VMs; allowed: ${offered.join(', ')}` };
    if (vm.archivedAt) return { status: 409, reason: `the VM ${vm.name} is archived (gone from its provider since ${vm.archivedAt.toISOString()})` };
    const wrong = wrongStateReason(action, vm.powerState);
    return wrong ? { status: 409, reason: wrong } : null;
  }

  private async store(vm: VmEntity, action: VmAction, input: VmActionInput, requester: Requester, batchId: string | null) {
    const steps = [pendingStep(action), pendingStep('refresh')];
    const stored = await this.operations.add(newOperation({ kind: 'vm-action', action, vm, steps, requester, options: input.force ? { force: true } : {}, batchId }));
    if ('added' in stored) this.execution.enqueue(stored.added.id);
    return stored;
  }

  private async select(targets: VmActionTargets): Promise<VmEntity[]> {
    if ('vmIds' in targets) {
      const ids = [...new Set(targets.vmIds)];
      const max = this.config.operations.maxTargets;
      if (ids.length > max) throw new BadInputError(`targets.vmIds: ${ids.length} VMs, more than the ${max} one request may act on (operations.maxTargets)`);
      const rows = await this.vms.byIds(ids);
      const missing = ids.filter((id) => !rows.some((vm) => vm.id === id));
      if (missing.length > 0) throw new BadInputError(`targets.vmIds: no such VM: ${missing.slice(0, 20).join(', ')}`);
      return rows;
    }
    return this.vms.select(targets.selector);
  }
}
