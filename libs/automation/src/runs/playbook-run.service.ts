import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, BadInputError, ConflictError, NotFoundError, RUNS_JOBS, SECRET_BOX, SecretMasker, type AppConfig, type SecretBox } from '@hybridforms/core';
import { CLUSTER_BUS, JOB_QUEUE, type ClusterBus, type JobQueue } from '@hybridforms/jobs';
import {
  FINISHED_RUN_STATUSES,
  PlaybookRunRepository,
  VmQueryRepository,
  type Page,
  type PlaybookRunEntity,
  type PlaybookRunEventEntity,
  type PlaybookRunOutcome,
  type PlaybookRunStatus,
  type VmEntity,
  type VmFilter,
} from '@hybridforms/persistence';
import { PlaybookCatalog } from '../catalog/playbook.catalog.js';
import { MachineCredentialsService } from '../credentials/machine-credentials.service.js';
import { buildInventory } from '../inventory/dynamic-inventory.builder.js';
import { AnsibleRunner } from '../runner/ansible-runner.js';
import { sweepDeadWorkerDirs } from '../runner/worker-dirs.js';
import type { AnsibleInventory, RunnerAvailability, RunnerEvent, RunnerHandle } from '../runner/ansible-runner.types.js';
import { validateExtraVars, validateLimit } from '../validation/run-input.validator.js';
import { RunEventStream } from './run-event.stream.js';
import { hasSealedMarker, runSecretsOf, sealSensitiveVars, unsealSensitiveVars } from './run-secrets.js';

export interface PlaybookRunRequest {
  /** A catalog id (GET /playbooks). */
  playbook: string;
  targets: { vmIds: string[] } | { selector: VmFilter };
  credentialId: string;
  extraVars?: unknown;
  limit?: string;
  timeoutSeconds?: number;
  trigger?: 'api' | 'rule';
  /** For a rule's run: the rule and the event that fired it. */
  ruleId?: string;
  eventId?: string;
}

const OWNER = `${hostname()}:${process.pid}`;
/** Cluster bus channel: "cancel this run", served by the process running it. */
const CANCEL_CHANNEL = 'runs.cancel';

/** The job kind that runs one playbook run (payload: its id). */
export const PLAYBOOK_RUN_JOB = 'playbook-run';

/**
 * Playbook runs: a request is checked (catalog playbook, credential, targets, extra vars, limit)
 * and stored queued with the inventory generated from the database, then run as a `playbook-run`
 * job (at most `automation.concurrency` at once per process, the rest wait in the queue); each
 * run's job events are stored in batches as they come and published live; the outcome is recorded.
 * A run whose process died is never run again: it ends `error` with the reason.
 */
@Injectable()
export class PlaybookRunService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PlaybookRunService.name);
  private readonly handles = new Map<string, RunnerHandle>();
  private readonly work = new Map<string, Promise<void>>();
  private readonly canceled = new Set<string>();
  private stopping = false;

  private availability: Promise<RunnerAvailability> | null = null;

  constructor(
    private readonly runs: PlaybookRunRepository,
    private readonly vmQueries: VmQueryRepository,
    private readonly catalog: PlaybookCatalog,
    private readonly credentials: MachineCredentialsService,
    private readonly runner: AnsibleRunner,
    private readonly stream: RunEventStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe<{ runId: string }>(CANCEL_CHANNEL, (message) => {
      if (typeof message?.runId === 'string' && this.work.has(message.runId)) {
        void this.cancelHere(message.runId).catch((error: Error) => this.logger.error(`cancel of playbook run ${message.runId} failed: ${error.message}`));
      }
    });
    this.queue.define<{ runId: string }>({
      kind: PLAYBOOK_RUN_JOB,
      // A playbook is not idempotent: a run whose worker died is failed, never started again.
      options: { concurrency: this.config.automation.concurrency, attempts: 1, backoffMs: 0, interrupted: 'fail' },
      handle: async (job) => {
        // Shutdown out of grace: the run is canceled (TERM to its process group), not left behind.
        const onAbort = () => void this.cancelHere(job.payload.runId).catch(() => undefined);
        job.signal.addEventListener('abort', onAbort, { once: true });
        try {
          await this.runTracked(job.payload.runId);
        } finally {
          job.signal.removeEventListener('abort', onAbort);
        }
      },
      onInterrupted: async (job, reason) => {
        const run = await this.runs.findById(job.payload.runId);
        if (!run || FINISHED_RUN_STATUSES.includes(run.status)) return;
        await this.finish(run.id, 'error', { reason: `the worker running this run (${run.owner ?? 'unknown process'}) stopped (${reason}); it was not run again` });
        this.logger.warn(`playbook run ${run.id} interrupted: its worker ${run.owner ?? ''} stopped`);
        await this.sweepDeadWorkers();
      },
    });
  }

  /** Whether ansible-runner is usable, as checked at start-up (its presence changes only with a package install). */
  runnerAvailability(): Promise<RunnerAvailability> {
    this.availability ??= AnsibleRunner.check(this.config.automation.runnerPath);
    return this.availability;
  }

  async onApplicationBootstrap(): Promise<void> {
    const runner = await this.runnerAvailability();
    if (!this.runsJobs) return;
    if (!runner.available) this.logger.error(`playbook runs cannot run: ${runner.problem}`);
    if (this.queue.implementation === 'in-process') {
      // Embedded mode: one process runs every run, so whatever was running died with the last one
      // (and the in-process queue with it).
      const interrupted = await this.runs.running();
      for (const run of interrupted) {
        await this.finish(run.id, 'error', { reason: `the service stopped while this run was running (${run.owner ?? 'unknown process'}); it was not run again` });
      }
      if (interrupted.length > 0) this.logger.warn(`marked ${interrupted.length} interrupted playbook run(s) as error`);
      await AnsibleRunner.sweepOrphans(this.config.automation.workDir).catch((error: Error) => this.logger.warn(`orphan sweep failed: ${error.message}`));
    } else {
      await this.sweepDeadWorkers();
    }
    const queued = await this.runs.queued();
    for (const run of queued) this.dispatch(run.id);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.handles.values()].map((handle) => handle.cancel()));
    await Promise.allSettled([...this.work.values()]);
  }

  /**
   * Distributed mode: each worker runs ansible under its own directory (`runnerWorkDir`); those of
   * workers on this host that are gone are swept (their ansible processes killed, their keys removed).
   */
  private async sweepDeadWorkers(): Promise<void> {
    if (this.queue.implementation === 'in-process') return;
    const swept = await sweepDeadWorkerDirs(this.config.automation.workDir).catch((error: Error) => {
      this.logger.warn(`orphan sweep failed: ${error.message}`);
      return 0;
    });
    if (swept > 0) this.logger.warn(`swept the run directories of ${swept} stopped worker(s) on this host`);
  }

  async request(input: PlaybookRunRequest): Promise<PlaybookRunEntity> {
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
    const built = buildInventory(selected, {
      addressPolicy: Object.fromEntries(selected.map((vm) => [vm.providerId, this.config.automation.providerAddress[vm.providerName] ?? this.config.automation.defaultAddress])),
      hostVars: { ansible_user: credential.username },
      ...(this.config.automation.sshTarget ? { mapAddress: () => this.config.automation.sshTarget! } : {}),
    });
    if (built.hosts.length === 0) {
      const reasons = built.skipped.map((s) => `${s.name}: ${s.reason}`).join(', ');
      throw new BadInputError(`targets: no VM of the selection can be reached${reasons ? ` (${reasons})` : ''}`);
    }
    const run = await this.runs.add({
      id: randomUUID(),
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
    this.dispatch(run.id);
    return run;
  }

  /** Newest first, keyset-paginated; optionally of one status. */
  list(page: { limit: number; cursor?: string; status?: PlaybookRunStatus }): Promise<Page<PlaybookRunEntity>> {
    return this.runs.list(page);
  }

  async get(id: string): Promise<PlaybookRunEntity> {
    const run = await this.runs.findById(id);
    if (!run) throw new NotFoundError(`playbook run ${id} not found`);
    return run;
  }

  /** A page of the run's events in order; the cursor is the last counter seen. */
  async eventsOf(id: string, page: { limit: number; afterCounter?: number }): Promise<{ items: PlaybookRunEventEntity[]; nextCursor: string | null }> {
    await this.get(id);
    const items = await this.runs.eventsAfter(id, page.afterCounter, page.limit + 1);
    const more = items.length > page.limit;
    const shown = items.slice(0, page.limit);
    return { items: shown, nextCursor: more ? String(shown[shown.length - 1].counter) : null };
  }

  /** Every stored event after a counter (a live watcher's replay), in order. */
  eventsAfter(id: string, afterCounter: number): Promise<PlaybookRunEventEntity[]> {
    return this.runs.eventsAfter(id, afterCounter);
  }

  /** Stops a queued run at once, a running one through its process group; a finished one is a conflict. */
  async cancel(id: string): Promise<PlaybookRunEntity> {
    const run = await this.get(id);
    if (FINISHED_RUN_STATUSES.includes(run.status)) throw new ConflictError(`playbook run ${id} has already ended (${run.status})`);
    if (await this.runs.cancelQueued(id, new Date(), 'canceled before it started')) {
      this.stream.end(id);
      return this.get(id);
    }
    if (this.work.has(id)) {
      await this.cancelHere(id);
      return this.get(id);
    }
    // It runs in another process (a worker): ask it, then wait a while for the outcome.
    await this.bus.publish(CANCEL_CHANNEL, { runId: id });
    const deadline = Date.now() + (this.config.automation.cancelGraceSeconds + 10) * 1000;
    for (;;) {
      const current = await this.get(id);
      if (FINISHED_RUN_STATUSES.includes(current.status) || Date.now() > deadline) return current;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Cancels a run of this process: through its process group once ansible-runner is up, or as soon as it is. */
  private async cancelHere(id: string): Promise<void> {
    this.canceled.add(id);
    await this.handles.get(id)?.cancel();
    await this.work.get(id);
  }

  /** Resolves when no run is queued or running, in the database or the queue (tests, the demo). */
  async idle(): Promise<void> {
    for (;;) {
      const counts = (await this.queue.counts())[PLAYBOOK_RUN_JOB];
      const jobs = counts ? counts.waiting + counts.delayed + counts.active : 0;
      if (jobs === 0 && this.work.size === 0 && (await this.runs.countUnfinished()) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private dispatch(id: string): void {
    if (this.stopping) return;
    this.queue
      .enqueue(PLAYBOOK_RUN_JOB, { runId: id }, { key: id })
      .catch((error: Error) => this.logger.error(`playbook run ${id} could not be queued: ${error.message}`));
  }

  private async runTracked(id: string): Promise<void> {
    const work = this.run(id).catch((error: Error) => this.logger.error(`playbook run ${id} crashed: ${error.message}`));
    this.work.set(id, work);
    try {
      await work;
    } finally {
      this.work.delete(id);
    }
  }

  private async run(id: string): Promise<void> {
    if (!(await this.runs.claim(id, OWNER, new Date()))) return;
    const run = await this.get(id);
    // Everything of the run that is stored, published or logged goes through the masker: the
    // credential's key (and its lines), sensitive extra vars, and the values of secret-like names.
    let masker = new SecretMasker([]);
    try {
      const playbook = await this.catalog.resolve(run.playbook);
      if (!run.credentialId) throw new Error('its machine credential was deleted');
      const extraVars = unsealSensitiveVars(run.extraVars, this.secretBox);
      masker = new SecretMasker(runSecretsOf(extraVars));
      const { credential, secret } = await this.credentials.secretOf(run.credentialId);
      masker = new SecretMasker(runSecretsOf(extraVars, secret));
      const handle = this.runner.start(
        {
          id,
          projectDir: playbook.directory,
          playbook: playbook.path,
          inventory: run.inventory as unknown as AnsibleInventory,
          extraVars,
          limit: run.limit ?? undefined,
          sshPrivateKey: secret.privateKey,
          knownHosts: credential.knownHosts ?? undefined,
          timeoutSeconds: run.timeoutSeconds,
        },
        { onEvents: (events) => this.storeEvents(id, events, masker) },
      );
      this.handles.set(id, handle);
      if (this.canceled.has(id)) void handle.cancel();
      const result = await handle.done;
      await this.finish(id, this.canceled.has(id) ? 'canceled' : result.status, {
        rc: result.rc,
        reason: masker.text(result.reason),
        hostSummary: result.hosts,
        stdout: masker.text(result.stdout),
        startedAt: result.startedAt,
      });
      this.logger.log(`playbook run ${id} ${result.status}${result.reason ? `: ${masker.text(result.reason)}` : ''}`);
    } catch (error) {
      await this.finish(id, 'error', { reason: masker.text((error as Error).message) });
    } finally {
      this.handles.delete(id);
      this.canceled.delete(id);
    }
  }

  private async storeEvents(runId: string, events: RunnerEvent[], masker: SecretMasker): Promise<void> {
    const rows: PlaybookRunEventEntity[] = events.map((event) => ({
      runId,
      counter: event.counter,
      uuid: event.uuid,
      event: event.event.slice(0, 64),
      created: event.created,
      host: masker.text(event.host)?.slice(0, 255) ?? null,
      task: masker.text(event.task)?.slice(0, 1024) ?? null,
      stdout: masker.text(event.stdout),
      data: masker.json(event.data),
    }));
    await this.runs.addEvents(runId, rows);
    this.stream.publish(runId, rows);
  }

  private async finish(id: string, status: PlaybookRunStatus, fields: PlaybookRunOutcome): Promise<void> {
    await this.runs.finish(id, status, fields, new Date());
    this.stream.end(id);
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
