import { Injectable } from '@nestjs/common';
import { filter, map, Observable, Subject, takeUntil } from 'rxjs';
import type { PlaybookRunEventEntity } from '@hybridforms/persistence';

type RunSignal = { runId: string; event: PlaybookRunEventEntity } | { runId: string; ended: true };

/**
 * Job events of running playbooks as they are stored, and the end of each run, for live watchers
 * (the SSE stream of a run). In-process: a watcher sees the runs of its own process.
 */
@Injectable()
export class RunEventStream {
  private readonly signals = new Subject<RunSignal>();

  publish(runId: string, events: PlaybookRunEventEntity[]): void {
    for (const event of events) this.signals.next({ runId, event });
  }

  end(runId: string): void {
    this.signals.next({ runId, ended: true });
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
}
