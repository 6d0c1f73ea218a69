import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, ConflictError, type AppConfig } from '@hybridforms/core';
import { CLUSTER_BUS, type ClusterBus } from '@hybridforms/jobs';
import { FINISHED_RUN_STATUSES, PlaybookRunRepository, type PlaybookRunEntity } from '@hybridforms/persistence';
import { ExecutePlaybookRun } from './execute-playbook-run.usecase.js';
import { PlaybookRunQueries } from './playbook-run.queries.js';
import { RunEventStream } from './run-event.stream.js';

/** Cluster bus channel: "cancel this run", served by the process running it. */
const CANCEL_CHANNEL = 'runs.cancel';

/** Stops a queued run at once, a running one through its process group (in whichever process runs it); a finished one is a conflict. */
@Injectable()
export class CancelPlaybookRun implements OnModuleInit {
  private readonly logger = new Logger(CancelPlaybookRun.name);

  constructor(
    private readonly runs: PlaybookRunRepository,
    private readonly queries: PlaybookRunQueries,
    private readonly execution: ExecutePlaybookRun,
    private readonly stream: RunEventStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe<{ runId: string }>(CANCEL_CHANNEL, (message) => {
      if (typeof message?.runId === 'string' && this.execution.runsHere(message.runId)) {
        void this.execution.cancelHere(message.runId).catch((error: Error) => this.logger.error(`cancel of playbook run ${message.runId} failed: ${error.message}`));
      }
    });
  }

  async cancel(id: string): Promise<PlaybookRunEntity> {
    const run = await this.queries.get(id);
    if (FINISHED_RUN_STATUSES.includes(run.status)) throw new ConflictError(`playbook run ${id} has already ended (${run.status})`);
    if (await this.runs.cancelQueued(id, new Date(), 'canceled before it started')) {
      this.stream.end(id);
      return this.queries.get(id);
    }
    if (this.execution.runsHere(id)) {
      await this.execution.cancelHere(id);
      return this.queries.get(id);
    }
    // It runs in another process (a worker): ask it, then wait a while for the outcome.
    await this.bus.publish(CANCEL_CHANNEL, { runId: id });
    const deadline = Date.now() + (this.config.automation.cancelGraceSeconds + 10) * 1000;
    for (;;) {
      const current = await this.queries.get(id);
      if (FINISHED_RUN_STATUSES.includes(current.status) || Date.now() > deadline) return current;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
