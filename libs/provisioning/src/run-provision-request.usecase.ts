import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { connect } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  APP_CONFIG,
  abortableSleep,
  ProviderError,
  ProviderErrorCode,
  RUNS_JOBS,
  SECRET_BOX,
  redactSecrets,
  type AppConfig,
  type SecretBox,
  type ProviderContext,
  type ProviderPlugin,
  type ProvisionSpec,
  type ResourceRef,
} from '@hybridforms/core';
import { StartPlaybookRun, unsealSensitiveVars } from '@hybridforms/automation';
import { ProvidersService, TargetedRefreshQueue } from '@hybridforms/discovery';
import { HandlesJob, JOB_QUEUE, type JobContext, type JobQueue } from '@hybridforms/jobs';
import {
  EventRepository,
  FINISHED_RUN_STATUSES,
  OperationRepository,
  PlaybookRunRepository,
  ProvisionRequestRepository,
  VmQueryRepository,
  type OperationEntity,
  type OperationStep,
  type ProvisionRequestEntity,
} from '@hybridforms/persistence';
import { HandedBack, OPERATION_OWNER, OperationProgressStream, OperationStepLog, RetireVm, requestAndSettle } from '@hybridforms/operations';
import { PROVISION_SLOTS, type ProvisionSlots } from './provider-slots.js';
import { HOST_STEPS, endingOf, madeVmOf, newProvisionTask, specOfTask, storedSpecOf } from './provision-task.js';

/** The job kind that runs one provision task (payload: its operation id). */
export const VM_PROVISION_JOB = 'vm-provision';

const POLL_MS = 500;
// While the VM made is not in the inventory (or not classified) yet, its refresh is asked again this often.
const REFRESH_AGAIN_MS = 5_000;
// How long a VM in the inventory may stay unclassified (its guest agent not reporting yet) before the task goes on.
const CLASSIFY_WAIT_MS = 120_000;

/** A cancel of the request reached the task between two steps. */
class Canceled extends Error {}

/** What the steps of one try of a task share. */
interface TaskRun {
  task: OperationEntity;
  request: ProvisionRequestEntity;
  spec: ProvisionSpec;
  log: OperationStepLog;
  plugin: ProviderPlugin;
  ctx: ProviderContext;
  /** Frees the task's provider slot (the slot bounds calls to the cloud, not the waits after them). */
  releaseSlot: () => void;
}

/**
 * Runs approved provision requests: one task (an operation of kind `vm-provision`) per VM, each a
 * `vm-provision` job. A task runs the plugin's steps through the same step record as every other
 * operation (recorded before and after each call, an accepted create's poller stored first), so a
 * task that comes back after its process died polls what it asked instead of asking again; and
 * every create is a PUT of a deterministic name, so asking again finds what was made. Then the
 * VM is read in by a targeted refresh and linked to its task, given its retirement date, and
 * handed to the post-provision playbook once SSH answers. A task that fails before its VM is in
 * the inventory, or is canceled, deletes what it made, last first, unless the request keeps it.
 */
@Injectable()
export class RunProvisionRequest implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RunProvisionRequest.name);
  private readonly work = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly requests: ProvisionRequestRepository,
    private readonly operations: OperationRepository,
    private readonly providers: ProvidersService,
    private readonly vms: VmQueryRepository,
    private readonly events: EventRepository,
    private readonly targetedRefreshes: TargetedRefreshQueue,
    private readonly progress: OperationProgressStream,
    private readonly retirements: RetireVm,
    private readonly playbookRuns: StartPlaybookRun,
    private readonly runs: PlaybookRunRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
    @Inject(PROVISION_SLOTS) private readonly slots: ProvisionSlots,
  ) {}

  @HandlesJob(VM_PROVISION_JOB, (config: AppConfig) => ({ concurrency: config.operations.concurrency, attempts: 3, backoffMs: 2000, interrupted: 'retry' }))
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

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsJobs) return;
    // Requests approved or running whose tasks were not all stored or queued (a crash, a lost
    // enqueue) start again: storing tasks and queueing them are both safe to repeat.
    const started = await this.requests.unfinished();
    for (const request of started) await this.start(request.id).catch((error: Error) => this.logger.error(`provision request ${request.id} could not be started again: ${error.message}`));
    if (started.length > 0) this.logger.log(`started ${started.length} unfinished provision request(s) again`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.work.values()]);
    await this.slots.close();
  }

  /**
   * Starts an approved request: its tasks stored (those not stored yet), the request running, and
   * every unfinished task queued. Safe to call again at any point.
   */
  async start(requestId: string): Promise<void> {
    const request = await this.requests.findById(requestId);
    if (!request || !['approved', 'running'].includes(request.status)) return;
    const { plugin } = await this.providers.withSecrets(request.providerId);
    if (!plugin.provisionSteps || !plugin.provisionStep) throw new ProviderError(ProviderErrorCode.InvalidConfig, `provider type ${plugin.type} cannot provision VMs`);
    const provisionSteps = plugin.provisionSteps.bind(plugin);
    const now = new Date();
    await this.operations.addTasks(request.names.map((_, index) => newProvisionTask(request, index, provisionSteps(specOfTask(request, index)), now)));
    if (request.status === 'approved') await this.requests.transition(request.id, ['approved'], 'running', {});
    const tasks = await this.operations.tasksOf(request.id);
    for (const task of tasks) if (task.status === 'queued' || task.status === 'running') this.enqueue(task.id);
    this.logger.log(`provision request ${request.id} running: ${tasks.length} task(s) on provider ${request.providerId}`);
  }

  /** {@link start}, or (when it cannot start now) left approved for the next process start, said in the log. */
  async startOrLeave(requestId: string): Promise<void> {
    await this.start(requestId).catch((error: Error) => this.logger.error(`provision request ${requestId} approved but not started now (${error.message}); the next start of a job process starts it`));
  }

  /** Resolves once no provision task is queued or running (tests, the demo, the bench). */
  async idle(): Promise<void> {
    for (;;) {
      const counts = (await this.queue.counts())[VM_PROVISION_JOB];
      const jobs = counts ? counts.waiting + counts.delayed + counts.active : 0;
      if (jobs === 0 && this.work.size === 0 && (await this.operations.countUnfinished(['vm-provision'])) === 0) return;
      await abortableSleep(20);
    }
  }

  private enqueue(id: string): void {
    if (this.stopping) return;
    this.queue
      .enqueue(VM_PROVISION_JOB, { operationId: id }, { key: id })
      .catch((error: Error) => this.logger.error(`provision task ${id} could not be queued (${error.message}); it is queued again at the next start`));
  }

  private async run(id: string, handBack: AbortSignal): Promise<void> {
    if (!(await this.operations.claim(id, OPERATION_OWNER, new Date(), true))) return;
    const task = (await this.operations.findById(id))!;
    const request = task.provisionRequestId ? await this.requests.findById(task.provisionRequestId) : null;
    if (!request) {
      await this.operations.finish(id, 'failed', { errorCode: 'internal', error: 'the provision request of this task is gone' }, null, new Date());
      return;
    }
    const abort = new AbortController();
    setMaxListeners(64, abort.signal);
    const onHandBack = () => abort.abort(new HandedBack('handed back: this process is shutting down'));
    if (handBack.aborted) onHandBack();
    handBack.addEventListener('abort', onHandBack, { once: true });
    const steps = task.steps.map((step) => ({ ...step }));
    const log = new OperationStepLog(this.operations, this.progress, task, steps);
    this.progress.publish(task);
    const release = await this.slots.acquire(task.providerId, abort.signal).catch(() => null);
    let secrets: unknown[] = [];
    try {
      if (!release) throw abort.signal.reason;
      const { plugin, credentials, ctx } = await this.providers.openContext(task.providerId, abort.signal);
      const spec = specOfTask(request, Number(task.options.index), this.secretBox);
      secrets = [credentials, ...(spec.userData ? [spec.userData] : [])];
      const run: TaskRun = { task, request, spec, log, plugin, ctx, releaseSlot: release };
      if (!endingOf(steps)) {
        try {
          await this.runSteps(run);
          await this.end(run, 'succeeded', {});
          return;
        } catch (error) {
          if (abort.signal.aborted && abort.signal.reason instanceof HandedBack) throw abort.signal.reason;
          await this.recordEnding(run, error, secrets);
        }
      }
      await this.cleanUp(run, secrets);
      const ending = endingOf(steps)!;
      await this.end(run, ending.status, { ...(ending.errorCode ? { errorCode: ending.errorCode } : {}), error: ending.message });
    } catch (error) {
      if (error instanceof HandedBack) {
        await this.operations.saveSteps(id, steps).catch(() => undefined);
        this.logger.warn(`provision task ${id} handed back unfinished (this process is shutting down)`);
        throw error; // the queue gives the job to the next process, which resumes it
      }
      // The provider could not even be opened (or the record failed): the task ends as it stood.
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      await this.operations.finish(id, 'failed', { errorCode: ProviderError.is(error) ? error.code : 'internal', error: message }, steps, new Date());
      await this.rollUp(request.id);
      this.logger.warn(`provision task ${id} (${task.vmName}) failed: ${message}`);
    } finally {
      release?.();
      handBack.removeEventListener('abort', onHandBack);
    }
  }

  private async runSteps(run: TaskRun): Promise<void> {
    for (const step of run.log.steps) {
      if (step.status === 'done') continue;
      if (run.ctx.signal?.aborted) throw run.ctx.signal.reason;
      const current = await this.requests.findById(run.request.id);
      if (current?.status === 'canceled') throw new Canceled(current.reason ?? 'the request was canceled');
      if (HOST_STEPS.includes(step.name as (typeof HOST_STEPS)[number])) run.releaseSlot();
      await this.runStep(run, step);
    }
  }

  private async runStep(run: TaskRun, step: OperationStep): Promise<void> {
    switch (step.name) {
      case 'refresh':
        return this.readIntoInventory(run, step);
      case 'retirement': {
        const retiresAt = storedSpecOf(run.request).retiresAt!;
        await run.log.begin(step);
        await this.retirements.schedule(run.task.vmId!, retiresAt, { name: run.request.requestedBy, tokenId: run.request.requestedByTokenId });
        await run.log.end(step, 'done', `retires at ${retiresAt}`);
        return;
      }
      case 'postProvision':
        return this.postProvision(run, step);
      default: {
        const provisionStep = run.plugin.provisionStep!.bind(run.plugin);
        const made = step.target ? `${step.target.kind} ${step.target.name} made` : `${step.name} done`;
        // Each cloud step is bounded (operations.timeoutSeconds): a create the cloud never settles fails the task, which then cleans up.
        // A controller and a timer held here, not AbortSignal.timeout inside AbortSignal.any (Node may collect that one unfired).
        const seconds = this.config.operations.timeoutSeconds;
        const bound = new AbortController();
        const timer = setTimeout(() => bound.abort(new ProviderError(ProviderErrorCode.Timeout, `step ${step.name} timed out`)), seconds * 1000);
        const onOuterAbort = () => bound.abort(run.ctx.signal!.reason);
        if (run.ctx.signal?.aborted) onOuterAbort();
        run.ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });
        const ctx: ProviderContext = { ...run.ctx, signal: bound.signal };
        try {
          await requestAndSettle(run.log, run.plugin, ctx, step, (resumed) => provisionStep(ctx, run.spec, step.name, resumed), made, async (answer) => {
            // A resource whose id the cloud gives only once made (a Hyper-V VM's GUID): cleanup and the refresh need it.
            if (answer.made) {
              step.target = answer.made;
              await run.log.save();
            }
          });
        } catch (error) {
          if (bound.signal.aborted && !run.ctx.signal?.aborted) throw new ProviderError(ProviderErrorCode.Timeout, `the provider did not settle step ${step.name} within ${seconds} s (operations.timeoutSeconds)`);
          throw error;
        } finally {
          clearTimeout(timer);
          run.ctx.signal?.removeEventListener('abort', onOuterAbort);
        }
      }
    }
  }

  /**
   * A targeted refresh of the VM made, asked again until the inventory has it (then the task is the
   * VM's) and has classified it as its source says (a custom image's VM is classified only from
   * its guest, once the guest agent reports; a guest that never does ends the wait, with a note).
   */
  private async readIntoInventory(run: TaskRun, step: OperationStep): Promise<void> {
    const made = madeVmOf(run.log.steps);
    if (!made?.nativeId) throw new Error('no step of the task says which VM it made');
    await run.log.begin(step);
    const deadline = Date.now() + this.config.provisioning.inventoryWaitSeconds * 1000;
    let classifyBy = Number.POSITIVE_INFINITY;
    let askedAt = 0;
    for (;;) {
      const vm = await this.vms.liveByNativeId(run.task.providerId, made.nativeId);
      if (vm && !run.task.vmId) {
        await this.operations.linkVm(run.task.id, vm.id);
        run.task.vmId = vm.id;
        classifyBy = Math.min(deadline, Date.now() + CLASSIFY_WAIT_MS);
      }
      const classified = vm && (vm.osFamily !== 'unknown' || run.spec.source.osFamily === 'unknown');
      if (vm && (classified || Date.now() > classifyBy)) {
        const as = classified ? `${vm.osFamily}${vm.osVersion ? ` ${vm.osVersion}` : ''}` : 'not classified yet: its guest has not reported';
        await run.log.end(step, 'done', `in the inventory as VM ${vm.id} (${as})`);
        return;
      }
      if (Date.now() > deadline) throw new ProviderError(ProviderErrorCode.Timeout, `the VM ${made.name} was made but no refresh found it within ${this.config.provisioning.inventoryWaitSeconds} s`);
      if (Date.now() - askedAt > REFRESH_AGAIN_MS) {
        askedAt = Date.now();
        await this.events.addOperationRefreshTarget(run.task.providerId, made.nativeId, run.task.id, new Date());
        await this.targetedRefreshes.drain(run.task.providerId).catch((error: Error) => this.logger.warn(`targeted refresh for provision task ${run.task.id} not started now (${error.message})`));
      }
      await abortableSleep(POLL_MS, run.ctx.signal);
    }
  }

  /** Once the VM answers on its SSH port, the request's playbook runs on it through the automation; the task waits for its end. */
  private async postProvision(run: TaskRun, step: OperationStep): Promise<void> {
    const asked = storedSpecOf(run.request).postProvision!;
    // The run's id is fixed and stored before the run is asked for: a task asked again finds it.
    if (!step.target) {
      step.target = { kind: 'playbookRun', nativeId: randomUUID(), name: asked.playbook };
      await run.log.begin(step);
    }
    const runId = step.target.nativeId;
    if (!(await this.runs.findById(runId))) {
      step.detail = 'waiting for SSH to answer';
      await run.log.save();
      await this.waitForSsh(run);
      await this.playbookRuns.request({ id: runId, playbook: asked.playbook, targets: { vmIds: [run.task.vmId!] }, credentialId: asked.credentialId, extraVars: unsealSensitiveVars(asked.extraVars ?? {}, this.secretBox), trigger: 'provision' });
      step.detail = `playbook run ${runId} started`;
      await run.log.save();
    }
    for (;;) {
      const played = await this.runs.findById(runId);
      if (played && FINISHED_RUN_STATUSES.includes(played.status)) {
        if (played.status !== 'successful') throw new ProviderError(ProviderErrorCode.Conflict, `the post-provision playbook ${asked.playbook} ended ${played.status} (playbook run ${runId})${played.reason ? `: ${played.reason}` : ''}`);
        await run.log.end(step, 'done', `playbook run ${runId} successful`);
        return;
      }
      await abortableSleep(POLL_MS, run.ctx.signal);
    }
  }

  private async waitForSsh(run: TaskRun): Promise<void> {
    const vmNativeId = madeVmOf(run.log.steps)!.nativeId;
    const deadline = Date.now() + this.config.provisioning.sshWaitSeconds * 1000;
    let last = '';
    for (;;) {
      const endpoint = await this.playbookRuns.sshEndpointOf(run.task.vmId!);
      if ('skipped' in endpoint) last = `the VM is ${endpoint.skipped}`;
      else if (await answers(endpoint.host, endpoint.port)) return;
      else last = `nothing answers on ${endpoint.host}:${endpoint.port}`;
      if (Date.now() > deadline) throw new ProviderError(ProviderErrorCode.Timeout, `SSH did not answer within ${this.config.provisioning.sshWaitSeconds} s (${last})`);
      // The VM's address comes with a refresh: ask one now and then while waiting.
      await this.events.addOperationRefreshTarget(run.task.providerId, vmNativeId, run.task.id, new Date());
      await abortableSleep(2000, run.ctx.signal);
    }
  }

  /** Marks how the try ended (the failed step, or a cancel marker) and queues the cleanup steps. */
  private async recordEnding(run: TaskRun, error: unknown, secrets: unknown[]): Promise<void> {
    const steps = run.log.steps;
    const running = steps.find((step) => step.status === 'running');
    if (error instanceof Canceled) {
      if (running) Object.assign(running, { status: 'pending', finishedAt: null });
      const at = steps.findIndex((step) => step.status !== 'done');
      steps.splice(at < 0 ? steps.length : at, 0, { name: 'cancel', status: 'done', target: null, startedAt: now(), finishedAt: now(), detail: error.message });
    } else {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets).slice(0, 1024);
      const code = ProviderError.is(error) ? error.code : 'internal';
      if (running) Object.assign(running, { status: 'failed', finishedAt: now(), detail: message, errorCode: code });
      else steps.push({ name: 'fail', status: 'failed', target: null, startedAt: now(), finishedAt: now(), detail: message, errorCode: code });
    }
    const stored = storedSpecOf(run.request);
    // Once the VM is in the inventory it stays (the inventory and its retirement own it now).
    if (!run.task.vmId && !stored.keepOnFailure) {
      const made = steps.filter((step) => !HOST_STEPS.includes(step.name as (typeof HOST_STEPS)[number]) && step.status !== 'pending' && step.target?.nativeId).reverse();
      steps.push(...made.map((step): OperationStep => ({ name: 'cleanup', status: 'pending', target: step.target, startedAt: null, finishedAt: null })));
    }
    await run.log.save();
  }

  /** Deletes what the task made, last made first; a delete that fails is noted and the rest go on. */
  private async cleanUp(run: TaskRun, secrets: unknown[]): Promise<void> {
    const deleteResource = run.plugin.deleteResource?.bind(run.plugin);
    for (const step of run.log.steps) {
      if (step.name !== 'cleanup' || step.status === 'done' || step.status === 'failed') continue;
      const target = step.target as ResourceRef;
      const ref: ResourceRef = { ...target, hostNativeId: target.hostNativeId ?? run.spec.placement.hostNativeId ?? null };
      try {
        if (!deleteResource) throw new ProviderError(ProviderErrorCode.InvalidConfig, `provider type ${run.plugin.type} cannot delete resources`);
        await requestAndSettle(run.log, run.plugin, run.ctx, step, () => deleteResource(run.ctx, ref), `${ref.kind} ${ref.name} deleted`);
      } catch (error) {
        if (run.ctx.signal?.aborted && run.ctx.signal.reason instanceof HandedBack) throw run.ctx.signal.reason;
        const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
        await run.log.end(step, 'failed', `left in place, delete it by hand: ${message}`.slice(0, 1024));
      }
    }
  }

  private async end(run: TaskRun, status: 'succeeded' | 'failed' | 'canceled', outcome: { errorCode?: string; error?: string }): Promise<void> {
    await this.operations.finish(run.task.id, status, outcome, run.log.steps, new Date());
    // The request first: a watcher the task's end wakes reads the request as it ended.
    await this.rollUp(run.request.id);
    const stored = await this.operations.findById(run.task.id);
    if (stored) this.progress.publish(stored);
    const how = status === 'succeeded' ? 'made' : `${status}: ${outcome.error}`;
    this.logger[status === 'succeeded' ? 'log' : 'warn'](`provision task ${run.task.id} (${run.task.vmName}) ${how}`);
  }

  /** The request ends once its last task has: succeeded when every VM was made, failed otherwise; a canceled one stays canceled. */
  private async rollUp(requestId: string): Promise<void> {
    const counts = await this.operations.taskStatusesOf(requestId);
    if ((counts.queued ?? 0) + (counts.running ?? 0) > 0) return;
    const made = counts.succeeded ?? 0;
    const total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
    const finishedAt = new Date();
    if (await this.requests.transition(requestId, ['canceled'], 'canceled', { finishedAt })) return;
    const reason = made === total ? null : `${total - made} of ${total} VM(s) not made (their tasks say why)`;
    if (await this.requests.transition(requestId, ['running'], made === total ? 'succeeded' : 'failed', { finishedAt, ...(reason ? { reason } : {}) })) {
      this.logger.log(`provision request ${requestId} ${made === total ? 'succeeded' : 'failed'}: ${made} of ${total} VM(s) made`);
    }
  }
}


function now(): string {
  return new Date().toISOString();
}


/** Whether a TCP connection to the port opens (an SSH server answers there). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
