import { Entity } from 'typeorm';
import type { ProviderEventType } from '@hybridforms/core';
import { JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** One provider event, stored once per (provider, native id), with the provider's record kept raw. */
@Entity('events')
export class EventEntity {
  @UuidPrimaryColumn()
  id: string;

  @UuidColumn()
  providerId: string;

  @TextColumn({ nullable: false, length: 255 })
  nativeId: string;

  @TimestampColumn()
  occurredAt: Date;

  /** When we stored it; the gap to occurredAt is the catch lag. */
  @TimestampColumn()
  receivedAt: Date;

  @TextColumn({ nullable: false, length: 32 })
  type: ProviderEventType;

  @TextColumn({ length: 1024 })
  vmNativeId: string | null;

  /** The inventory row, when the VM was known as the event was stored (or linked later). */
  @UuidColumn({ nullable: true })
  vmId: string | null;

  @TextColumn()
  vmName: string | null;

  @TextColumn({ length: 64 })
  status: string | null;

  @TextColumn()
  actor: string | null;

  @TextColumn({ length: 1024 })
  message: string | null;

  @JsonColumn()
  raw: unknown;
}
