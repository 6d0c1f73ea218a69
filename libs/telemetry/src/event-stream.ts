import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { EventEntity } from '@hybridforms/persistence';

/**
 * Newly stored events, published after their transaction commits, for live watchers (the SSE
 * stream). In-process: in a cluster every API process watches the events its own process stores.
 */
@Injectable()
export class EventStream {
  private readonly subject = new Subject<EventEntity>();

  publish(events: EventEntity[]): void {
    for (const event of events) this.subject.next(event);
  }

  get events$(): Observable<EventEntity> {
    return this.subject.asObservable();
  }
}
