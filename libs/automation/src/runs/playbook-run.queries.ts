import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@hybridforms/core';
import { PlaybookRunRepository, type Page, type PlaybookRunEntity, type PlaybookRunEventEntity, type PlaybookRunStatus } from '@hybridforms/persistence';

/** What the API reads of playbook runs: a missing run is a NotFoundError, event pages carry a counter cursor. */
@Injectable()
export class PlaybookRunQueries {
  constructor(private readonly runs: PlaybookRunRepository) {}

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
}
