import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, NotFoundError, RUNS_JOBS, SECRET_BOX, SecretMasker, type AppConfig, type SecretBox } from '@hybridforms/core';
import { HandlesJob, JOB_QUEUE, OnJobInterrupted, type JobContext, type JobQueue } from '@hybridforms/jobs';
import {
  FINISHED_RUN_STATUSES,
  PlaybookRunRepository,
  type PlaybookRunEventEntity,
  type PlaybookRunOutcome,
  type PlaybookRunStatus,
} from '@hybridforms/persistence';
import { PlaybookCatalog } from '../catalog/playbook.catalog.js';
import { MachineCredentialsService } from '../credentials/machine-credentials.service.js';
import { AnsibleRunner } from '../runner/ansible-runner.js';
import { sweepDeadWorkerDirs } from '../runner/worker-dirs.js';
import type { AnsibleInventory, RunnerAvailability, RunnerEvent, RunnerHandle } from '../runner/ansible-runner.types.js';
import { RunEventStream } from './run-event.stream.js';
import { runSecretsOf, unsealSensitiveVars } from './run-secrets.js';

const OWNER = `${hostname()}:${process.pid}`;

/** The job kind that runs one playbook run (payload: its id). */
export const PLAYBOOK_RUN_JOB = 'playbook-run';

/**
 * Runs stored playbook runs as `playbook-run` jobs (at most `automation.concurrency` at once per
 * process, the rest wait in the queue): ansible-runner on the run's stored inventory, its job
 * events stored in batches as they come and published live, the outcome recorded. A run whose
 * process died is never run again: it ends `error` with the reason.
 */
@Injectable()
export class ExecutePlaybookRun implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExecutePlaybookRun.name);
  private readonly handles = new Map<string, RunnerHandle>();
  private readonly work = new Map<string, Promise<void>>();
  private readonly canceled = new Set<string>();
  private stopping = false;

  private availability: Promise<RunnerAvailability> | null = null;

  constructor(
    private readonly runs: PlaybookRunRepository,
    private readonly catalog: PlaybookCatalog,
    private readonly credentials: MachineCredentialsService,
    private readonly runner: AnsibleRunner,
    private readonly stream: RunEventStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
  ) {}

  // A playbook is not idempotent: a run whose worker died is failed, never started again.
  @HandlesJob(PLAYBOOK_RUN_JOB, (config: AppConfig) => ({ concurrency: config.automation.concurrency, attempts: 1, backoffMs: 0, interrupted: 'fail' }))
  async execute(job: JobContext<{ runId: string }>): Promise<void> {
    // Shutdown out of grace: the run is canceled (TERM to its process group), not left behind.
    const onAbort = () => void this.cancelHere(job.payload.runId).catch(() => undefined);
    job.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.runTracked(job.payload.runId);
    } finally {
      job.signal.removeEventListener('abort', onAbort);
    }
  }

  @OnJobInterrupted(PLAYBOOK_RUN_JOB)
  async interrupted(job: JobContext<{ runId: string }>, reason: string): Promise<void> {
    const run = await this.runs.findById(job.payload.runId);
    if (!run || FINISHED_RUN_STATUSES.includes(run.status)) return;
    await this.finish(run.id, 'error', { reason: `the worker running this run (${run.owner ?? 'unknown process'}) stopped (${reason}); it was not run again` });
    this.logger.warn(`playbook run ${run.id} interrupted: its worker ${run.owner ?? ''} stopped`);
    await this.sweepDeadWorkers();
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
    for (const run of await this.runs.queued()) this.enqueue(run.id);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.handles.values()].map((handle) => handle.cancel()));
    await Promise.allSettled([...this.work.values()]);
  }

  /** Queues the job of a stored, queued run. */
  enqueue(id: string): void {
    if (this.stopping) return;
    this.queue
      .enqueue(PLAYBOOK_RUN_JOB, { runId: id }, { key: id })
      .catch((error: Error) => this.logger.error(`playbook run ${id} could not be queued: ${error.message}`));
  }

  /** Whether this process runs the run now. */
  runsHere(id: string): boolean {
    return this.work.has(id);
  }

  /** Cancels a run of this process: through its process group once ansible-runner is up, or as soon as it is. */
  async cancelHere(id: string): Promise<void> {
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
    const run = await this.runs.findById(id);
    if (!run) throw new NotFoundError(`playbook run ${id} not found`);
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

  private async finish(id: string, status: PlaybookRunStatus, outcome: PlaybookRunOutcome): Promise<void> {
    await this.runs.finish(id, status, outcome, new Date());
    this.stream.end(id);
  }
}
