import { Column, Entity, PrimaryColumn } from 'typeorm';
import { IntColumn, TextColumn, TimestampColumn } from './inventory-columns.js';

/** Where a provider's event catching stands: the plugin's opaque checkpoint and the last outcome. */
@Entity('event_checkpoints')
export class EventCheckpointEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  providerId: string;

  /** Opaque to us; written in the same transaction as the events it follows. */
  @Column({ type: 'text', nullable: true })
  checkpoint: string | null;

  @TimestampColumn({ nullable: true })
  polledAt: Date | null;

  @TimestampColumn({ nullable: true })
  succeededAt: Date | null;

  @TextColumn({ length: 1024 })
  lastError: string | null;

  @IntColumn({ nullable: false })
  eventsStored: number;
}
