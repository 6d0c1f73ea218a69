import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, In, MoreThan, MoreThanOrEqual, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { NicEntity, PlaybookRunEntity, PlaybookRunEventEntity, ProviderEntity, VmEntity, type PlaybookRunStatus } from '../entities/index.js';
import type { Page } from '../queries/cursor.js';
import { paginate } from '../queries/inventory-query.js';

/** What a finished run records besides its status. */
export type PlaybookRunOutcome = Partial<Pick<PlaybookRunEntity, 'rc' | 'reason' | 'hostSummary' | 'stdout' | 'startedAt'>>;

const EVENT_INSERT_CHUNK = 100;

/** Playbook runs and their job events, and the inventory reads a run's targets need. */
@Injectable()
export class PlaybookRunRepository {
  constructor(
    @InjectRepository(PlaybookRunEntity) private readonly runs: Repository<PlaybookRunEntity>,
    @InjectRepository(PlaybookRunEventEntity) private readonly events: Repository<PlaybookRunEventEntity>,
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
    @InjectRepository(NicEntity) private readonly nics: Repository<NicEntity>,
    @InjectRepository(ProviderEntity) private readonly providers: Repository<ProviderEntity>,
  ) {}

  /** Stores a new run and returns it. */
  async add(fields: PlaybookRunEntity): Promise<PlaybookRunEntity> {
    const run = this.runs.create(fields);
    await this.runs.insert(run as QueryDeepPartialEntity<PlaybookRunEntity>);
    return run;
  }

  findById(id: string): Promise<PlaybookRunEntity | null> {
    return this.runs.findOneBy({ id });
  }

  /** Newest first, keyset-paginated; optionally of one status. */
  list(page: { limit: number; cursor?: string; status?: PlaybookRunStatus }): Promise<Page<PlaybookRunEntity>> {
    const qb = this.runs.createQueryBuilder('run');
    if (page.status) qb.andWhere('run.status = :status', { status: page.status });
    return paginate(qb, 'run', { property: 'requestedAt', descending: true }, page.limit, page.cursor);
  }

  running(): Promise<PlaybookRunEntity[]> {
    return this.runs.find({ where: { status: 'running' } });
  }

  /** Oldest request first: the order they are dispatched again. */
  queued(): Promise<PlaybookRunEntity[]> {
    return this.runs.find({ where: { status: 'queued' }, order: { requestedAt: 'ASC' } });
  }

  /** Runs not finished yet (queued or running). */
  countUnfinished(): Promise<number> {
    return this.runs.countBy({ status: In(['queued', 'running']) });
  }

  /** Moves a queued run to running for its owner; false when it was not queued any more (canceled, or taken). */
  async claim(id: string, owner: string, now: Date): Promise<boolean> {
    const claimed = await this.runs.update({ id, status: 'queued' }, { status: 'running', startedAt: now, owner });
    return Boolean(claimed.affected);
  }

  /** Cancels a run that has not started; false when it was not queued. */
  async cancelQueued(id: string, now: Date, reason: string): Promise<boolean> {
    const dequeued = await this.runs.update({ id, status: 'queued' }, { status: 'canceled', finishedAt: now, reason });
    return Boolean(dequeued.affected);
  }

  async finish(id: string, status: PlaybookRunStatus, outcome: PlaybookRunOutcome, now: Date): Promise<void> {
    await this.runs.update({ id }, { ...outcome, status, finishedAt: now, reason: outcome.reason?.slice(0, 1024) ?? null } as QueryDeepPartialEntity<PlaybookRunEntity>);
  }

  /** A rule's runs requested since a time, with their targets (a rule's runs are few: capped per hour). */
  ofRuleSince(ruleId: string, since: Date): Promise<Pick<PlaybookRunEntity, 'id' | 'targets'>[]> {
    return this.runs.find({ select: { id: true, targets: true }, where: { ruleId, requestedAt: MoreThanOrEqual(since) } });
  }

  countOfRuleSince(ruleId: string, since: Date): Promise<number> {
    return this.runs.countBy({ ruleId, requestedAt: MoreThanOrEqual(since) });
  }

  /** The batch and the run's event count in one transaction: a crash never leaves them disagreeing. */
  async addEvents(runId: string, rows: PlaybookRunEventEntity[]): Promise<void> {
    await this.events.manager.transaction(async (manager) => {
      for (let i = 0; i < rows.length; i += EVENT_INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(PlaybookRunEventEntity)
          .values(rows.slice(i, i + EVENT_INSERT_CHUNK) as QueryDeepPartialEntity<PlaybookRunEventEntity>[])
          .orIgnore()
          .execute();
      }
      await manager.increment(PlaybookRunEntity, { id: runId }, 'eventCount', rows.length);
    });
  }

  /** The run's events after a counter, in order, at most `take` when given. */
  eventsAfter(runId: string, afterCounter?: number, take?: number): Promise<PlaybookRunEventEntity[]> {
    return this.events.find({
      where: { runId, ...(afterCounter !== undefined ? { counter: MoreThan(afterCounter) } : {}) },
      order: { counter: 'ASC' },
      ...(take !== undefined ? { take } : {}),
    });
  }

  /** The run's events with counters in [from, to], in order. */
  eventsBetween(runId: string, from: number, to: number): Promise<PlaybookRunEventEntity[]> {
    return this.events.find({ where: { runId, counter: Between(from, to) }, order: { counter: 'ASC' } });
  }

  vmsByIds(ids: string[]): Promise<VmEntity[]> {
    return this.vms.findBy({ id: In(ids) });
  }

  nicsOf(vmIds: string[]): Promise<NicEntity[]> {
    return vmIds.length > 0 ? this.nics.findBy({ vmId: In(vmIds) }) : Promise.resolve([]);
  }

  /** Every provider's name by id (the inventory groups hosts by provider name). */
  async providerNames(): Promise<Map<string, string>> {
    return new Map((await this.providers.find({ select: { id: true, name: true } })).map((p) => [p.id, p.name]));
  }
}
