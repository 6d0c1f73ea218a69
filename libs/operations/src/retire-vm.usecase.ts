import { Injectable, Logger } from '@nestjs/common';
import { BadInputError, ConflictError, NotFoundError, ProviderRegistry } from '@hybridforms/core';
import { ProvidersService } from '@hybridforms/discovery';
import { OperationRepository, RetirementRepository, VmQueryRepository, type OperationEntity, type OperationStep, type VmRetirementEntity } from '@hybridforms/persistence';
import { ExecuteOperation } from './execute-operation.usecase.js';
import { busyReason, newOperation, pendingStep, type Requester } from './new-operation.js';

/**
 * Retirement (ManageIQ's): a date set on a VM, and the operation that retires it — list what it
 * owns, stop it, delete it, delete what it owned, read it back (the refresh archives it as
 * `retired`). A retirement that failed half-way is taken up again at the step that failed.
 */
@Injectable()
export class RetireVm {
  private readonly logger = new Logger(RetireVm.name);

  constructor(
    private readonly operations: OperationRepository,
    private readonly retirements: RetirementRepository,
    private readonly vms: VmQueryRepository,
    private readonly providers: ProvidersService,
    private readonly registry: ProviderRegistry,
    private readonly execution: ExecuteOperation,
  ) {}

  /** Sets (or with null clears) a VM's retirement date; a date must be in the future. */
  async schedule(vmId: string, retiresAt: unknown, requester: Requester, now = new Date()): Promise<VmRetirementEntity | null> {
    const vm = (await this.vms.detail(vmId))?.vm;
    if (!vm) throw new NotFoundError(`vm ${vmId} not found`);
    if (retiresAt === null) return this.retirements.set(vmId, null, requester.name, now);
    const date = typeof retiresAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(retiresAt) ? new Date(retiresAt) : null;
    if (!date || Number.isNaN(date.getTime())) throw new BadInputError('retiresAt: must be an ISO 8601 date-time (e.g. 2027-01-31T18:00:00Z), or null to clear it');
    if (date.getTime() <= now.getTime()) throw new BadInputError('retiresAt: is in the past; to retire the VM now, POST /vms/:id/retire');
    if (vm.archivedAt) throw new ConflictError(`the VM ${vm.name} is archived: there is nothing left to retire`);
    await this.deletable(vm.providerId);
    return this.retirements.set(vmId, date, requester.name, now);
  }

  /**
   * Retires a VM now: `confirm` must be its name. A failed retirement of the VM is taken up again
   * where it stopped rather than started over (the VM may be gone already, its list of what it
   * owned is in the failed operation's steps).
   */
  async retire(vmId: string, confirm: unknown, requester: Requester): Promise<OperationEntity> {
    const detail = await this.vms.detail(vmId);
    if (!detail) throw new NotFoundError(`vm ${vmId} not found`);
    const { vm } = detail;
    if (confirm !== vm.name) throw new BadInputError(`confirm: must be the VM's name (${vm.name}), to say which VM is to be deleted`);
    await this.deletable(vm.providerId);
    if (vm.archivedAt) throw new ConflictError(`the VM ${vm.name} is archived: there is nothing left to retire`);
    const earlier = await this.operations.latestOfVm(vm.id, 'vm-retire');
    if (earlier?.status === 'failed') return this.resume(earlier);
    const deleteVm = pendingStep('delete', { kind: 'vm', nativeId: vm.nativeId, name: vm.name, hostNativeId: detail.host?.nativeId ?? null });
    const steps = [pendingStep('inventory'), pendingStep('stop'), deleteVm, pendingStep('refresh')];
    const stored = await this.operations.add(newOperation({ kind: 'vm-retire', action: 'retire', vm, steps, requester }));
    if ('active' in stored) throw new ConflictError(busyReason(stored.active));
    this.logger.log(`retirement ${stored.added.id} of ${vm.name} queued by ${requester.name}`);
    this.execution.enqueue(stored.added.id);
    return stored.added;
  }

  /**
   * A failed operation queued again from the step that failed. That step asks the cloud again,
   * unless it only ran out of time waiting: then it polls the same request once more.
   */
  async resume(operation: OperationEntity): Promise<OperationEntity> {
    if (operation.status !== 'failed') throw new ConflictError(`operation ${operation.id} is ${operation.status}: only a failed operation can be resumed`);
    // A failed provision task cleaned up after itself: a new request makes the VM again.
    if (!operation.vmId) throw new ConflictError(`operation ${operation.id} is a provision task: submit a new provision request to make its VM again`);
    const vmId = operation.vmId;
    const timedOut = operation.errorCode === 'timeout';
    // The closing refresh runs again too: the one the failure asked for read the VM back half-way.
    const steps = operation.steps.map((step): OperationStep =>
      step.status === 'done' && step.name !== 'refresh'
        ? step
        : { ...step, status: 'pending', finishedAt: null, detail: null, continuation: timedOut ? (step.continuation ?? null) : null },
    );
    if (!(await this.operations.requeue(operation.id, steps))) {
      const active = await this.operations.activeOfVm(vmId);
      throw new ConflictError(active ? busyReason(active) : `operation ${operation.id} is no longer failed`);
    }
    this.logger.log(`operation ${operation.id} (${operation.action} ${operation.vmName}) resumed at step ${steps.find((step) => step.status !== 'done')?.name ?? '(none)'}`);
    this.execution.enqueue(operation.id);
    return (await this.operations.findById(operation.id))!;
  }

  private async deletable(providerId: string): Promise<void> {
    const provider = await this.providers.get(providerId);
    if (!this.registry.find(provider.type)?.deleteResource) throw new BadInputError(`provider ${provider.name} (${provider.type}) cannot delete VMs: its VMs cannot be retired`);
  }
}
