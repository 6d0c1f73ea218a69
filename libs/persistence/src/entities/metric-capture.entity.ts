import { Entity, PrimaryColumn } from 'typeorm';
import { IntColumn, TextColumn, TimestampColumn } from './inventory-columns.js';

/** Where a provider's metric capture stands: samples are complete up to `capturedUntil`. */
@Entity('metric_captures')
export class MetricCaptureEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  providerId: string;

  @TimestampColumn({ nullable: true })
  capturedUntil: Date | null;

  @TimestampColumn({ nullable: true })
  capturedAt: Date | null;

  @TextColumn({ length: 1024 })
  lastError: string | null;

  @IntColumn({ nullable: false })
  samplesStored: number;
}
