import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  APP_CONFIG,
  ProviderError,
  ProviderErrorCode,
  RUNS_JOBS,
  redactSecrets,
  redactingLogger,
  type AppConfig,
  type ProviderContext,
  type ProviderPlugin,
  type ResourceRef,
  type VmAction,
  type VmActionTarget,
} from '@hybridforms/core';
import { ProvidersService, RefreshService, TargetedRefreshQueue } from '@hybridforms/discovery';
import { HandlesJob, JOB_QUEUE, type JobContext, type JobQueue } from '@hybridforms/jobs';
import {
  EventRepository,
  InventoryPersister,
  OperationRepository,
  VmQueryRepository,
  type OperationEntity,
  type OperationStatus,
  type OperationStep,
  type RefreshEntity,
} from '@hybridforms/persistence';
import { OperationProgressStream } from './operation-progress.stream.js';
import { HandedBack, OPERATION_OWNER, OperationStepLog, requestAndSettle } from './operation-steps.js';
import { OPTIMISTIC_STATE } from './vm-action.rules.js';

/** The job kind that runs one operation (payload: its id). */
export const VM_OPERATION_JOB = 'vm-operation';

/** What the steps of one try share. */
interface StepContext {
  operation: OperationEntity;
  vmId: string;
  steps: OperationStep[];
  log: OperationStepLog;
  plugin: ProviderPlugin;
  ctx: ProviderContext;
  vm: VmActionTarget;
  providerNativeIdOfVm: string;
}

/**
 * Runs stored operations as `vm-operation` jobs. Each step is recorded before and after its call
 * to the cloud, and an accepted request's continuation (Azure: the async-operation URL) is stored
 * before anything else, so a job that comes back after its process died resumes at the step it
 * was in and polls instead of asking the cloud twice. The outcome reaches the inventory only
 * through a targeted refresh (the persister stays the one writer of rows), except the optimistic
 * power state the persister records when the cloud accepts an action.
 */
@Injectable()
export class ExecuteOperation implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExecuteOperation.name);
  private readonly work = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly operations: OperationRepository,
    private readonly vms: VmQueryRepository,
    private readonly providers: ProvidersService,
    private readonly persister: InventoryPersister,
    private readonly events: EventRepository,
    private readonly refreshes: RefreshService,
    private readonly targetedRefreshes: TargetedRefreshQueue,
    private readonly progress: OperationProgressStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
  ) {}

  // Safe to run again: every step resumes from what it recorded. A job whose process died goes
  // to another process (`retry`), which takes the operation over where it stood.
  @HandlesJob(VM_OPERATION_JOB, (config: AppConfig) => ({ concurrency: config.operations.concurrency, attempts: 3, backoffMs: 2000, interrupted: 'retry' }))
  async execute(job: JobContext<{ operationId: string }>): Promise<void> {
    const id = job.payload.operationId;
    const work = this.run(id, job.signal);
    this.work.set(id, work);
    try {
      await work;
    } finally {
      this.work.delete(id);
    }
  }

  onModuleInit(): void {
    this.refreshes.onFinished((refresh) => this.confirmedBy(refresh));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsJobs) return;
    // Embedded mode: the in-process queue died with the last process, so every unfinished
    // operation is queued again (and resumes where it stood). Distributed: the broker keeps the
    // jobs; this only requeues an operation whose enqueue failed (the key stops a duplicate).
    const unfinished = (await this.operations.unfinished()).filter((operation) => operation.kind !== 'vm-provision');
    for (const operation of unfinished) this.enqueue(operation.id);
    if (unfinished.length > 0) this.logger.log(`queued ${unfinished.length} unfinished operation(s) again`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.work.values()]);
  }

  /** Queues the job of a stored operation. */
  enqueue(id: string): void {
    if (this.stopping) return;
    this.queue
      .enqueue(VM_OPERATION_JOB, { operationId: id }, { key: id })
      .catch((error: Error) => this.logger.error(`operation ${id} could not be queued (${error.message}); it is queued again at the next start`));
  }

  /** Resolves once no operation is queued or running (tests, the demo). */
  async idle(): Promise<void> {
    for (;;) {
      const counts = (await this.queue.counts())[VM_OPERATION_JOB];
      const jobs = counts ? counts.waiting + counts.delayed + counts.active : 0;
      if (jobs === 0 && this.work.size === 0 && (await this.operations.countUnfinished(['vm-action', 'vm-retire'])) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async run(id: string, handBack: AbortSignal): Promise<void> {
    if (!(await this.operations.claim(id, OPERATION_OWNER, new Date(), true))) return;
    const operation = (await this.operations.findById(id))!;
    const vmId = operation.vmId;
    if (!vmId) throw new Error(`operation ${id} (${operation.kind}) has no VM: not a ${VM_OPERATION_JOB} job`);
    this.progress.publish(operation);
    const steps = operation.steps.map((step) => ({ ...step }));
    const abort = new AbortController();
    setMaxListeners(64, abort.signal);
    // The bound is per try: a resumed operation (a restart, POST …/resume) gets the whole wait again.
    const timeout = setTimeout(
      () => abort.abort(new ProviderError(ProviderErrorCode.Timeout, `the provider did not settle the operation within ${this.config.operations.timeoutSeconds} s`)),
      this.config.operations.timeoutSeconds * 1000,
    );
    const onHandBack = () => abort.abort(new HandedBack('handed back: this process is shutting down'));
    if (handBack.aborted) onHandBack();
    handBack.addEventListener('abort', onHandBack, { once: true });
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(operation.providerId);
      secrets = [credentials];
      const detail = await this.vms.detail(vmId);
      if (!detail) throw new ProviderError(ProviderErrorCode.NotFound, `the VM ${operation.vmName} is no longer in the inventory`);
      const ctx: ProviderContext = {
        providerId: provider.id,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`provider:${provider.name}`), [credentials]),
        signal: abort.signal,
      };
      const vm: VmActionTarget = { nativeId: detail.vm.nativeId, name: detail.vm.name, hostNativeId: detail.host?.nativeId ?? null, powerState: detail.vm.powerState };
      const log = new OperationStepLog(this.operations, this.progress, operation, steps);
      const run: StepContext = { operation, vmId, steps, log, plugin, ctx, vm, providerNativeIdOfVm: detail.vm.nativeId };
      for (const step of steps) {
        if (step.status === 'done') continue;
        if (abort.signal.aborted) throw abort.signal.reason;
        await this.runStep(run, step);
      }
      await this.finish(operation, 'succeeded', {}, steps);
      this.logger.log(`operation ${id} (${operation.action} ${operation.vmName}) succeeded`);
    } catch (error) {
      const reason = abort.signal.aborted && abort.signal.reason instanceof HandedBack ? abort.signal.reason : error;
      if (reason instanceof HandedBack) {
        await this.operations.saveSteps(id, steps).catch(() => undefined);
        this.logger.warn(`operation ${id} handed back unfinished (this process is shutting down)`);
        throw reason; // the queue gives the job to the next process, which resumes it
      }
      const failure = ProviderError.is(reason) ? reason : ProviderError.is(abort.signal.reason) ? abort.signal.reason : null;
      const message = redactSecrets(failure?.message ?? (reason instanceof Error ? reason.message : String(reason)), secrets);
      const running = steps.find((step) => step.status === 'running');
      if (running) Object.assign(running, { status: 'failed', finishedAt: new Date().toISOString(), detail: message.slice(0, 1024) });
      await this.finish(operation, 'failed', { errorCode: failure?.code ?? 'internal', error: message }, steps);
      this.logger.warn(`operation ${id} (${operation.action} ${operation.vmName}) failed: ${message}`);
    } finally {
      clearTimeout(timeout);
      handBack.removeEventListener('abort', onHandBack);
    }
  }

  private async runStep(run: StepContext, step: OperationStep): Promise<void> {
    switch (step.name) {
      case 'refresh':
        await this.askRefresh(run.operation, run.providerNativeIdOfVm);
        await run.log.end(step, 'done', 'a targeted refresh of the VM was asked for');
        return;
      case 'inventory':
        return this.listOwnedResources(run, step);
      case 'delete': {
        const target = step.target as ResourceRef | null | undefined;
        if (!target) throw new Error('a delete step without its target');
        // What a VM owns is on its host (Hyper-V): a ref listed without one gets the VM's.
        const ref: ResourceRef = { ...target, hostNativeId: target.hostNativeId ?? run.vm.hostNativeId };
        if (!run.plugin.deleteResource) throw new ProviderError(ProviderErrorCode.InvalidConfig, `provider type ${run.plugin.type} cannot delete resources`);
        const deleteResource = run.plugin.deleteResource.bind(run.plugin);
        return requestAndSettle(run.log, run.plugin, run.ctx, step, () => deleteResource(run.ctx, ref), `${ref.kind} ${ref.name} deleted`);
      }
      default: {
        // A power action; a retirement's `stop` is one too (turning off: the VM is deleted next).
        const action = (step.name === 'stop' ? 'stop' : run.operation.action) as VmAction;
        if (!run.plugin.act) throw new ProviderError(ProviderErrorCode.InvalidConfig, `provider type ${run.plugin.type} cannot act on VMs`);
        const retiring = run.operation.kind === 'vm-retire';
        if (retiring && ['stopped', 'deallocated'].includes(run.vm.powerState)) {
          await run.log.end(step, 'done', `already ${run.vm.powerState}`);
          return;
        }
        const force = retiring ? run.plugin.type === 'hyperv' : Boolean(run.operation.options.force);
        const act = run.plugin.act.bind(run.plugin);
        const optimistic = OPTIMISTIC_STATE[action];
        await requestAndSettle(
          run.log,
          run.plugin,
          run.ctx,
          step,
          (resumed) => act(run.ctx, run.vm, { action, ...(force ? { force: true } : {}), ...(resumed ? { resumed } : {}) }),
          'carried out',
          async (answer) => {
            if (answer.state === 'accepted' && optimistic) await this.persister.recordPowerTransition(run.vmId, optimistic, run.operation.id);
          },
        );
        // No refresh reads a retired VM back (it is gone): the stop the cloud settled is its last state.
        if (retiring) await this.persister.recordPowerTransition(run.vmId, 'stopped', run.operation.id);
        return;
      }
    }
  }

  /**
   * A retirement's first step: what the VM owns, from the provider when it can say (the inventory
   * otherwise), stored as one delete step each before anything is deleted: a resumed retirement
   * knows what is left even once the VM is gone.
   */
  private async listOwnedResources(run: StepContext, step: OperationStep): Promise<void> {
    await run.log.begin(step);
    let owned: ResourceRef[];
    if (run.plugin.resourcesOwnedBy) {
      owned = await run.plugin.resourcesOwnedBy(run.ctx, run.vm);
    } else {
      const inventory = await this.operations.ownedBy(run.vmId);
      owned = [
        ...inventory.nics.map((nic): ResourceRef => ({ kind: 'nic', nativeId: nic.nativeId, name: nic.name, hostNativeId: run.vm.hostNativeId })),
        ...inventory.disks.map((disk): ResourceRef => ({ kind: 'disk', nativeId: disk.nativeId, name: disk.name, hostNativeId: run.vm.hostNativeId })),
      ];
      // Hyper-V's NICs are part of the VM's configuration: Remove-VM takes them with it.
      if (run.plugin.type === 'hyperv') owned = owned.filter((ref) => ref.kind !== 'nic');
    }
    const deletes = owned
      .filter((ref) => ref.kind !== 'vm')
      .map((ref): OperationStep => ({ name: 'delete', status: 'pending', target: ref, startedAt: null, finishedAt: null }));
    const refresh = run.steps.findIndex((candidate) => candidate.name === 'refresh');
    run.steps.splice(refresh < 0 ? run.steps.length : refresh, 0, ...deletes);
    await run.log.end(step, 'done', owned.length === 0 ? 'the VM owns nothing else to delete' : `owns ${owned.map((ref) => `${ref.kind} ${ref.name}`).join(', ')}`);
  }

  /** The outcome (or a failure's aftermath: an optimistic state to correct) is read back by a targeted refresh. */
  private async askRefresh(operation: OperationEntity, nativeId: string): Promise<void> {
    await this.events.addOperationRefreshTarget(operation.providerId, nativeId, operation.id, new Date());
    await this.targetedRefreshes.drain(operation.providerId).catch((error: Error) => {
      this.logger.warn(`targeted refresh after operation ${operation.id} not started now (${error.message}); the next event tick starts it`);
    });
  }

  private async finish(operation: OperationEntity, status: OperationStatus, outcome: { errorCode?: string; error?: string }, steps: OperationStep[]): Promise<void> {
    const pending = steps.find((step) => step.name === 'refresh' && step.status !== 'done');
    if (status === 'failed' && pending) {
      // Whatever the cloud did (or the state it refused from, which the inventory may not know) must
      // reach the inventory, and an optimistic state be undone: the VM is read back either way.
      const detail = operation.vmId ? await this.vms.detail(operation.vmId).catch(() => null) : null;
      if (detail) {
        await this.askRefresh(operation, detail.vm.nativeId).catch(() => undefined);
        Object.assign(pending, { status: 'done', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), detail: 'a targeted refresh of the VM was asked for' });
      }
    }
    await this.operations.finish(operation.id, status, outcome, steps, new Date());
    const stored = await this.operations.findById(operation.id);
    if (stored) this.progress.publish(stored);
  }

  private async confirmedBy(refresh: RefreshEntity): Promise<void> {
    if (refresh.status !== 'completed' && refresh.status !== 'partial') return;
    const ids = await this.operations.markConfirmed(refresh);
    for (const operation of await this.operations.findByIds(ids)) this.progress.publish(operation);
  }
}
