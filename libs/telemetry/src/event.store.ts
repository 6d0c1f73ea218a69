import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, type EntityManager } from 'typeorm';
import type { EventBatch, ProviderEvent } from '@hybridforms/core';
import { EventCheckpointEntity, EventEntity, fitToColumns, fromTimestamp, SqlDialect, type SqlRunner } from '@hybridforms/persistence';
import { EventStream } from './event-stream.js';

export interface StoredEvents {
  /** Events that were new (a re-read overlap is dropped by the (provider, native id) key). */
  stored: EventEntity[];
  duplicates: number;
  /** Native ids of VMs queued for a targeted refresh by this batch. */
  refreshTargets: string[];
}

const INSERT_CHUNK = 200;
const NATIVE_ID_LENGTH = 255;

/**
 * Stores caught events and the checkpoint that follows them in one transaction, so a crash
 * between fetching and storing neither loses events (the old checkpoint re-reads them) nor
 * duplicates them (the key drops what is already stored). Events that ask for a refresh of their
 * VM leave a refresh target in the same transaction.
 */
@Injectable()
export class EventStore {
  private readonly dialect: SqlDialect;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(EventCheckpointEntity) private readonly checkpoints: Repository<EventCheckpointEntity>,
    private readonly stream: EventStream,
  ) {
    this.dialect = SqlDialect.of(dataSource);
  }

  async checkpointOf(providerId: string): Promise<string | null> {
    return (await this.checkpoints.findOneBy({ providerId }))?.checkpoint ?? null;
  }

  state(providerId: string): Promise<EventCheckpointEntity | null> {
    return this.checkpoints.findOneBy({ providerId });
  }

  async store(providerId: string, batch: EventBatch, now = new Date()): Promise<StoredEvents> {
    const result = await this.dataSource.transaction(async (manager) => {
      const rows = fitToColumns(this.dataSource, EventEntity, await this.toRows(manager, providerId, batch.events, now));
      const stored: EventEntity[] = [];
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) stored.push(...(await this.insertNew(manager, rows.slice(i, i + INSERT_CHUNK))));
      const storedIds = new Set(stored.map((row) => row.nativeId));
      const targets = [
        ...new Set(
          batch.events
            .filter((event) => event.refreshesVm && event.vmNativeId && storedIds.has(eventKey(event.nativeId)))
            .map((event) => event.vmNativeId!),
        ),
      ];
      await this.addRefreshTargets(manager, providerId, targets, now);
      await this.saveCheckpoint(manager, providerId, batch.checkpoint, stored.length, now);
      return { stored, duplicates: rows.length - stored.length, refreshTargets: targets };
    });
    this.stream.publish(result.stored);
    return result;
  }

  /** A failed poll is recorded without touching the checkpoint. */
  async recordFailure(providerId: string, message: string, now = new Date()): Promise<void> {
    const existing = await this.checkpoints.findOneBy({ providerId });
    if (existing) await this.checkpoints.update({ providerId }, { polledAt: now, lastError: message.slice(0, 1024) });
    else await this.checkpoints.insert({ providerId, checkpoint: null, polledAt: now, succeededAt: null, lastError: message.slice(0, 1024), eventsStored: 0 });
  }

  /** Links events stored before their VM was inventoried to the VM's row. */
  async linkVms(providerId: string): Promise<number> {
    return this.dialect.execute(
      this.dataSource,
      `UPDATE "events" SET "vm_id" = (SELECT "vms"."id" FROM "vms" WHERE "vms"."provider_id" = "events"."provider_id" AND "vms"."native_id" = "events"."vm_native_id")
         WHERE "provider_id" = ? AND "vm_id" IS NULL AND "vm_native_id" IS NOT NULL
           AND EXISTS (SELECT 1 FROM "vms" WHERE "vms"."provider_id" = "events"."provider_id" AND "vms"."native_id" = "events"."vm_native_id")`,
      [providerId],
    );
  }

  /**
   * Native ids of the VMs that events asked to refresh and no refresh has taken yet, and the time
   * of the latest request among them (a target asked for again later is kept by clearRefreshTargets).
   */
  async refreshTargets(providerId: string): Promise<{ nativeIds: string[]; requestedUpTo: Date | null }> {
    const rows = await this.dialect.query<{ native_id: string; requested_at: Date | string }>(
      this.dataSource,
      `SELECT "native_id", "requested_at" FROM "refresh_targets" WHERE "provider_id" = ?`,
      [providerId],
    );
    const latest = rows.reduce((max, row) => Math.max(max, fromTimestamp(row.requested_at).getTime()), Number.NEGATIVE_INFINITY);
    return { nativeIds: rows.map((row) => row.native_id), requestedUpTo: rows.length > 0 ? new Date(latest) : null };
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

  /** Deletes events older than the cutoff; returns how many. */
  async purgeBefore(cutoff: Date): Promise<number> {
    return this.dialect.execute(this.dataSource, `DELETE FROM "events" WHERE "occurred_at" < ?`, [this.dialect.timestamp(cutoff)]);
  }

  private async toRows(manager: EntityManager, providerId: string, events: ProviderEvent[], now: Date): Promise<EventEntity[]> {
    const vmIds = await this.vmIdsByNativeId(manager, providerId, [...new Set(events.flatMap((e) => (e.vmNativeId ? [e.vmNativeId] : [])))]);
    const seen = new Set<string>();
    const rows: EventEntity[] = [];
    for (const event of events) {
      const nativeId = eventKey(event.nativeId);
      if (seen.has(nativeId)) continue; // the same event twice in one batch (overlapping pages)
      seen.add(nativeId);
      rows.push({
        id: randomUUID(),
        providerId,
        nativeId,
        occurredAt: event.occurredAt,
        receivedAt: now,
        type: event.type,
        vmNativeId: event.vmNativeId,
        vmId: event.vmNativeId ? (vmIds.get(event.vmNativeId) ?? null) : null,
        vmName: event.vmName,
        status: event.status,
        actor: event.actor,
        message: event.message,
        raw: event.raw ?? null,
      });
    }
    return rows;
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

/** Our key of an event: the provider's id, or its digest when it is too long for the column. */
function eventKey(nativeId: string): string {
  return nativeId.length <= NATIVE_ID_LENGTH ? nativeId : `sha256:${createHash('sha256').update(nativeId).digest('hex')}`;
}
