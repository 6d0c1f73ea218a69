import { Column, Entity } from 'typeorm';
import { IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidPrimaryColumn } from './inventory-columns.js';

@Entity('providers')
export class ProviderEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 128 })
  name: string;

  @TextColumn({ nullable: false, length: 32 })
  type: string;

  /** Non-secret settings (validated by the plugin). */
  @JsonColumn()
  config: Record<string, unknown>;

  /** AES-256-GCM sealed JSON of the credentials; never returned, never logged. */
  @Column({ type: 'text' })
  credentialsCiphertext: string;

  /** Full refresh interval; null = the configured default. */
  @IntColumn()
  refreshIntervalSeconds: number | null;

  /** When the last full refresh was started (the scheduler's clock). */
  @TimestampColumn({ nullable: true })
  lastFullRefreshAt: Date | null;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
