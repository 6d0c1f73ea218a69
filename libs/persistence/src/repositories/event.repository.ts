import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { ProviderEventType } from '@hybridforms/core';
import { EventCheckpointEntity, EventEntity } from '../entities/index.js';
import { fitToColumns } from '../fit-to-columns.js';
import type { Page } from '../queries/cursor.js';
import { paginate } from '../queries/inventory-query.js';
import { fromTimestamp, SqlDialect, type SqlRunner } from '../sql-dialect.js';

/** The filters of `GET /events`; a VM is named by its provider and native id (see forVm). */
export interface EventFilter {
  provider?: string;
  vm?: { providerId: string; nativeId: string };
  type?: ProviderEventType[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

/** Whether a live event passes a filter (the SSE stream applies the list's filters), as the query does. */
export function matchesEventFilter(event: EventEntity, filter: EventFilter): boolean {
  if (filter.provider && event.providerId !== filter.provider) return false;
  if (filter.vm && (event.providerId !== filter.vm.providerId || event.vmNativeId !== filter.vm.nativeId)) return false;
  if (filter.type?.length && !filter.type.includes(event.type)) return false;
  if (filter.since && event.occurredAt < filter.since) return false;
  if (filter.until && event.occurredAt >= filter.until) return false;
  return true;
}

const INSERT_CHUNK = 200;

/**
 * Events, the poll checkpoints that follow them and the refresh targets they leave: one
 * aggregate, because a batch of events, its targets and its checkpoint are stored in one
 * transaction.
 */
@Injectable()
export class EventRepository {
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(EventEntity) private readonly events: Repository<EventEntity>,
    @InjectRepository(EventCheckpointEntity) private readonly checkpoints: Repository<EventCheckpointEntity>,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  /** Newest first, keyset-paginated. */
  list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<Page<EventEntity>> {
    return paginate(this.filtered(filter), 'event', { property: 'occurredAt', descending: true }, page.limit, page.cursor);
  }

  /**
   * Events stored since the given one (a live client's Last-Event-ID), oldest first, at most
   * `limit`. Events stored in the same batch as it are included (but it): a reconnecting client
   * may see one again, never miss one.
   */
  async storedSince(lastId: string, filter: EventFilter, limit: number): Promise<EventEntity[]> {
    const last = await this.events.findOneBy({ id: lastId });
    if (!last) return [];
    return this.filtered(filter)
      .andWhere('event.receivedAt >= :receivedAt', { receivedAt: last.receivedAt })
      .andWhere('event.id <> :lastId', { lastId }).orderBy('event.receivedAt', 'ASC').addOrderBy('event.occurredAt', 'ASC').limit(limit).getMany();
  }

  get(id: string): Promise<EventEntity | null> {
    return this.events.findOneBy({ id });
  }

  /** The events of these ids, in no particular order. */
  findByIds(ids: string[]): Promise<EventEntity[]> {
    return this.events.findBy({ id: In(ids) });
  }

  checkpointOf(providerId: string): Promise<EventCheckpointEntity | null> {
    return this.checkpoints.findOneBy({ providerId });
  }

  /**
   * Stores a batch in one transaction: the rows whose (provider, native id) is new (their VM
   * linked when it is inventoried), the refresh targets `targetsOf` picks from what was stored,
   * and the checkpoint that follows the batch.
   */
  async storeBatch(
    providerId: string,
    rows: EventEntity[],
    checkpoint: string | null,
    now: Date,
    targetsOf: (stored: EventEntity[]) => string[],
  ): Promise<{ stored: EventEntity[]; refreshTargets: string[] }> {
    return this.dataSource.transaction(async (manager) => {
      const linked = fitToColumns(this.dataSource, EventEntity, await this.linkRows(manager, providerId, rows));
      const stored: EventEntity[] = [];
      for (let i = 0; i < linked.length; i += INSERT_CHUNK) stored.push(...(await this.insertNew(manager, linked.slice(i, i + INSERT_CHUNK))));
      const refreshTargets = targetsOf(stored);
      await this.addRefreshTargets(manager, providerId, refreshTargets, now);
      await this.saveCheckpoint(manager, providerId, checkpoint, stored.length, now);
      return { stored, refreshTargets };
    });
  }

  /**
   * Stores events Hybridforms raises itself about a provider's VMs (a retirement warning): new
   * (provider, native id) pairs only, VMs linked; the provider's poll checkpoint is not touched.
   */
  storeOwn(providerId: string, rows: EventEntity[]): Promise<EventEntity[]> {
    return this.dataSource.transaction(async (manager) => {
      const linked = fitToColumns(this.dataSource, EventEntity, await this.linkRows(manager, providerId, rows));
      const stored: EventEntity[] = [];
      for (let i = 0; i < linked.length; i += INSERT_CHUNK) stored.push(...(await this.insertNew(manager, linked.slice(i, i + INSERT_CHUNK))));
      return stored;
    });
  }

  /** A failed poll is recorded without touching the checkpoint. */
  async recordPollFailure(providerId: string, message: string, now: Date): Promise<void> {
    const existing = await this.checkpoints.findOneBy({ providerId });
    if (existing) await this.checkpoints.update({ providerId }, { polledAt: now, lastError: message.slice(0, 1024) });
    else await this.checkpoints.insert({ providerId, checkpoint: null, polledAt: now, succeededAt: null, lastError: message.slice(0, 1024), eventsStored: 0 });
  }

  /** Links events stored before their VM was inventoried to the VM's row. */
  linkVms(providerId: string): Promise<number> {
    return this.dialect.execute(
      this.dataSource,
      `UPDATE "events" SET "vm_id" = (SELECT "vms"."id" FROM "vms" WHERE "vms"."provider_id" = "events"."provider_id" AND "vms"."native_id" = "events"."vm_native_id")
         WHERE "provider_id" = ? AND "vm_id" IS NULL AND "vm_native_id" IS NOT NULL
           AND EXISTS (SELECT 1 FROM "vms" WHERE "vms"."provider_id" = "events"."provider_id" AND "vms"."native_id" = "events"."vm_native_id")`,
      [providerId],
    );
  }

  /** Deletes events older than the cutoff; returns how many. */
  purgeBefore(cutoff: Date): Promise<number> {
    return this.dialect.execute(this.dataSource, `DELETE FROM "events" WHERE "occurred_at" < ?`, [this.dialect.timestamp(cutoff)]);
  }

  /**
   * Native ids of the VMs that events asked to refresh and no refresh has taken yet, and the time
   * of the latest request among them (a target asked for again later is kept by clearRefreshTargets).
   */
  async refreshTargets(providerId: string): Promise<{ nativeIds: string[]; requestedUpTo: Date | null; causes: Record<string, string> }> {
    const rows = await this.dialect.query<{ native_id: string; requested_at: Date | string; operation_id: string | null }>(
      this.dataSource,
      `SELECT "native_id", "requested_at", "operation_id" FROM "refresh_targets" WHERE "provider_id" = ?`,
      [providerId],
    );
    const latest = rows.reduce((max, row) => Math.max(max, fromTimestamp(row.requested_at).getTime()), Number.NEGATIVE_INFINITY);
    const causes = Object.fromEntries(rows.filter((row) => row.operation_id).map((row) => [row.native_id, row.operation_id!]));
    return { nativeIds: rows.map((row) => row.native_id), requestedUpTo: rows.length > 0 ? new Date(latest) : null, causes };
  }

  /**
   * Asks for a targeted refresh of a VM on behalf of an operation that ended (its outcome reaches
   * the inventory only through a refresh). It joins the targets events leave, so the refresh an
   * action's own events ask for and the operation's are one.
   */
  async addOperationRefreshTarget(providerId: string, nativeId: string, operationId: string, now: Date): Promise<void> {
    await this.dialect.query(
      this.dataSource,
      `INSERT INTO "refresh_targets" ("provider_id", "native_id", "requested_at", "operation_id") VALUES ${this.dialect.valuesList(1, 4)}
       ON CONFLICT ("provider_id", "native_id") DO UPDATE SET "requested_at" = excluded."requested_at", "operation_id" = excluded."operation_id"`,
      [providerId, nativeId, this.dialect.timestamp(now), operationId],
    );
  }

  async providersWithRefreshTargets(): Promise<string[]> {
    const rows = await this.dialect.query<{ provider_id: string }>(this.dataSource, `SELECT DISTINCT "provider_id" FROM "refresh_targets"`);
    return rows.map((row) => row.provider_id);
  }

  /**
   * Targets a refresh has taken; one asked for again after `requestedUpTo` (an event stored while
   * the refresh was being queued, which that refresh may already have missed) stays for the next.
   */
  async clearRefreshTargets(providerId: string, nativeIds: string[], requestedUpTo: Date): Promise<void> {
    for (let i = 0; i < nativeIds.length; i += 500) {
      const chunk = nativeIds.slice(i, i + 500);
      await this.dialect.execute(
        this.dataSource,
        `DELETE FROM "refresh_targets" WHERE "provider_id" = ? AND "requested_at" <= ? AND "native_id" IN (${chunk.map(() => '?').join(', ')})`,
        [providerId, this.dialect.timestamp(requestedUpTo), ...chunk],
      );
    }
  }

  /** Targets requested before a full refresh started: it saw their VMs' new state. */
  clearRefreshTargetsBefore(providerId: string, before: Date): Promise<number> {
    return this.dialect.execute(this.dataSource, `DELETE FROM "refresh_targets" WHERE "provider_id" = ? AND "requested_at" < ?`, [
      providerId,
      this.dialect.timestamp(before),
    ]);
  }

  private filtered(filter: EventFilter): SelectQueryBuilder<EventEntity> {
    const qb = this.events.createQueryBuilder('event');
    if (filter.provider) qb.andWhere('event.providerId = :provider', { provider: filter.provider });
    // By native id, so events from before the VM was inventoried (its creation) belong to it too.
    if (filter.vm) qb.andWhere('event.providerId = :vmProvider AND event.vmNativeId = :vmNativeId', { vmProvider: filter.vm.providerId, vmNativeId: filter.vm.nativeId });
    if (filter.type?.length) qb.andWhere('event.type IN (:...types)', { types: filter.type });
    if (filter.since) qb.andWhere('event.occurredAt >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('event.occurredAt < :until', { until: filter.until });
    return qb;
  }

  /** The rows with the id of their VM where it is inventoried already. */
  private async linkRows(manager: EntityManager, providerId: string, rows: EventEntity[]): Promise<EventEntity[]> {
    const vmIds = await this.vmIdsByNativeId(manager, providerId, [...new Set(rows.flatMap((row) => (row.vmNativeId ? [row.vmNativeId] : [])))]);
    return rows.map((row) => ({ ...row, vmId: row.vmNativeId ? (vmIds.get(row.vmNativeId) ?? null) : null }));
  }

  private async vmIdsByNativeId(runner: SqlRunner, providerId: string, nativeIds: string[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (let i = 0; i < nativeIds.length; i += 500) {
      const chunk = nativeIds.slice(i, i + 500);
      const rows = await this.dialect.query<{ id: string; native_id: string }>(
        runner,
        `SELECT "id", "native_id" FROM "vms" WHERE "provider_id" = ? AND "native_id" IN (${chunk.map(() => '?').join(', ')})`,
        [providerId, ...chunk],
      );
      for (const row of rows) ids.set(row.native_id, row.id);
    }
    return ids;
  }

  /** Inserts the rows whose (provider, native id) is new and returns those. */
  private async insertNew(manager: EntityManager, rows: EventEntity[]): Promise<EventEntity[]> {
    if (rows.length === 0) return [];
    const columns = ['id', 'provider_id', 'native_id', 'occurred_at', 'received_at', 'type', 'vm_native_id', 'vm_id', 'vm_name', 'status', 'actor', 'message', 'raw'];
    const params = rows.flatMap((row) => [
      row.id,
      row.providerId,
      row.nativeId,
      this.dialect.timestamp(row.occurredAt),
      this.dialect.timestamp(row.receivedAt),
      row.type,
      row.vmNativeId,
      row.vmId,
      row.vmName,
      row.status,
      row.actor,
      row.message,
      JSON.stringify(row.raw),
    ]);
    const inserted = await this.dialect.query<{ id: string }>(
      manager,
      `INSERT INTO "events" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${this.dialect.valuesList(rows.length, columns.length)}
       ON CONFLICT ("provider_id", "native_id") DO NOTHING RETURNING "id"`,
      params,
    );
    const ids = new Set(inserted.map((row) => row.id));
    return rows.filter((row) => ids.has(row.id));
  }

  private async addRefreshTargets(manager: EntityManager, providerId: string, nativeIds: string[], now: Date): Promise<void> {
    for (let i = 0; i < nativeIds.length; i += 300) {
      const chunk = nativeIds.slice(i, i + 300);
      await this.dialect.query(
        manager,
        `INSERT INTO "refresh_targets" ("provider_id", "native_id", "requested_at") VALUES ${this.dialect.valuesList(chunk.length, 3)}
         ON CONFLICT ("provider_id", "native_id") DO UPDATE SET "requested_at" = excluded."requested_at"`,
        chunk.flatMap((nativeId) => [providerId, nativeId, this.dialect.timestamp(now)]),
      );
    }
  }

  private async saveCheckpoint(manager: EntityManager, providerId: string, checkpoint: string | null, stored: number, now: Date): Promise<void> {
    const ts = this.dialect.timestamp(now);
    await this.dialect.query(
      manager,
      `INSERT INTO "event_checkpoints" ("provider_id", "checkpoint", "polled_at", "succeeded_at", "last_error", "events_stored") VALUES (?, ?, ?, ?, NULL, ?)
       ON CONFLICT ("provider_id") DO UPDATE SET "checkpoint" = excluded."checkpoint", "polled_at" = excluded."polled_at",
         "succeeded_at" = excluded."succeeded_at", "last_error" = NULL, "events_stored" = "event_checkpoints"."events_stored" + excluded."events_stored"`,
      [providerId, checkpoint, ts, ts, stored],
    );
  }
}
