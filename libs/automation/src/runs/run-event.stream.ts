import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { filter, map, Observable, Subject, takeUntil } from 'rxjs';
import { CLUSTER_BUS, type ClusterBus } from '@hybridforms/jobs';
import { PlaybookRunRepository, type PlaybookRunEventEntity } from '@hybridforms/persistence';

type RunSignal = { runId: string; event: PlaybookRunEventEntity } | { runId: string; ended: true };

const EVENTS_CHANNEL = 'runs.events';
const ENDED_CHANNEL = 'runs.ended';

/**
 * Job events of running playbooks as they are stored, and the end of each run, for live watchers
 * (the SSE stream of a run). A run runs in one process (a worker); watchers in the others (the
 * API's) hear of each stored batch on the cluster bus and read it back from the database.
 */
@Injectable()
export class RunEventStream implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RunEventStream.name);
  private readonly signals = new Subject<RunSignal>();
  private readonly unsubscribes: (() => void)[] = [];
  /** Notes from other processes are handled in order: a run's end never overtakes its last events. */
  private relayed: Promise<void> = Promise.resolve();

  constructor(
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
    private readonly runs: PlaybookRunRepository,
  ) {}

  onModuleInit(): void {
    this.unsubscribes.push(
      this.bus.subscribe<{ runId: string; from: number; to: number }>(EVENTS_CHANNEL, (message) => this.inOrder(() => this.relay(message))),
      this.bus.subscribe<{ runId: string }>(ENDED_CHANNEL, (message) =>
        this.inOrder(async () => {
          if (typeof message?.runId === 'string') this.signals.next({ runId: message.runId, ended: true });
        }),
      ),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  publish(runId: string, events: PlaybookRunEventEntity[]): void {
    for (const event of events) this.signals.next({ runId, event });
    if (events.length === 0) return;
    const counters = events.map((event) => event.counter);
    this.announce(EVENTS_CHANNEL, { runId, from: Math.min(...counters), to: Math.max(...counters) });
  }

  end(runId: string): void {
    this.signals.next({ runId, ended: true });
    this.announce(ENDED_CHANNEL, { runId });
  }

  /** The run's events from now on, completing when the run ends. */
  eventsOf(runId: string): Observable<PlaybookRunEventEntity> {
    const ofRun = this.signals.pipe(filter((signal) => signal.runId === runId));
    return ofRun.pipe(
      takeUntil(ofRun.pipe(filter((signal) => 'ended' in signal))),
      filter((signal): signal is { runId: string; event: PlaybookRunEventEntity } => 'event' in signal),
      map((signal) => signal.event),
    );
  }

  private inOrder(work: () => Promise<void>): void {
    this.relayed = this.relayed.then(work, work);
  }

  private announce(channel: string, message: unknown): void {
    this.bus.publish(channel, message).catch((error: Error) => this.logger.warn(`run progress not announced: ${error.message}`));
  }

  private async relay(message: { runId: string; from: number; to: number }): Promise<void> {
    if (typeof message?.runId !== 'string' || !Number.isInteger(message.from) || !Number.isInteger(message.to)) return;
    try {
      const rows = await this.runs.eventsBetween(message.runId, message.from, message.to);
      for (const event of rows) this.signals.next({ runId: message.runId, event });
    } catch (error) {
      this.logger.warn(`run events stored elsewhere not relayed: ${(error as Error).message}`);
    }
  }
}
