import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EventBatch, ProviderEvent } from '@hybridforms/core';
import { EventRepository, type EventCheckpointEntity, type EventEntity } from '@hybridforms/persistence';
import { EventStream } from './event-stream.js';

export interface StoredEvents {
  /** Events that were new (a re-read overlap is dropped by the (provider, native id) key). */
  stored: EventEntity[];
  duplicates: number;
  /** Native ids of VMs queued for a targeted refresh by this batch. */
  refreshTargets: string[];
}

const NATIVE_ID_LENGTH = 255;

/**
 * Stores caught events and the checkpoint that follows them in one transaction, so a crash
 * between fetching and storing neither loses events (the old checkpoint re-reads them) nor
 * duplicates them (the key drops what is already stored). Events that ask for a refresh of their
 * VM leave a refresh target in the same transaction.
 */
@Injectable()
export class EventStore {
  constructor(
    private readonly events: EventRepository,
    private readonly stream: EventStream,
  ) {}

  async checkpointOf(providerId: string): Promise<string | null> {
    return (await this.events.checkpointOf(providerId))?.checkpoint ?? null;
  }

  state(providerId: string): Promise<EventCheckpointEntity | null> {
    return this.events.checkpointOf(providerId);
  }

  async store(providerId: string, batch: EventBatch, now = new Date()): Promise<StoredEvents> {
    const rows = toRows(providerId, batch.events, now);
    const { stored, refreshTargets } = await this.events.storeBatch(providerId, rows, batch.checkpoint, now, (newRows) => {
      const storedIds = new Set(newRows.map((row) => row.nativeId));
      return [
        ...new Set(
          batch.events
            .filter((event) => event.refreshesVm && event.vmNativeId && storedIds.has(eventKey(event.nativeId)))
            .map((event) => event.vmNativeId!),
        ),
      ];
    });
    this.stream.publish(stored);
    return { stored, duplicates: rows.length - stored.length, refreshTargets };
  }

  /** Events Hybridforms raises itself (a retirement warning): stored once each and published like the provider's. */
  async recordOwn(providerId: string, events: ProviderEvent[], now = new Date()): Promise<EventEntity[]> {
    const stored = await this.events.storeOwn(providerId, toRows(providerId, events, now));
    this.stream.publish(stored);
    return stored;
  }

  /** A failed poll is recorded without touching the checkpoint. */
  recordFailure(providerId: string, message: string, now = new Date()): Promise<void> {
    return this.events.recordPollFailure(providerId, message, now);
  }
}

/** One row per event key (the same event twice in one batch comes from overlapping pages); VMs are linked on store. */
function toRows(providerId: string, events: ProviderEvent[], now: Date): EventEntity[] {
  const seen = new Set<string>();
  const rows: EventEntity[] = [];
  for (const event of events) {
    const nativeId = eventKey(event.nativeId);
    if (seen.has(nativeId)) continue;
    seen.add(nativeId);
    rows.push({
      id: randomUUID(),
      providerId,
      nativeId,
      occurredAt: event.occurredAt,
      receivedAt: now,
      type: event.type,
      vmNativeId: event.vmNativeId,
      vmId: null,
      vmName: event.vmName,
      status: event.status,
      actor: event.actor,
      message: event.message,
      raw: event.raw ?? null,
    });
  }
  return rows;
}

/** Our key of an event: the provider's id, or its digest when it is too long for the column. */
function eventKey(nativeId: string): string {
  return nativeId.length <= NATIVE_ID_LENGTH ? nativeId : `sha256:${createHash('sha256').update(nativeId).digest('hex')}`;
}
