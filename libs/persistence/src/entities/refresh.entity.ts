import { Column, Entity } from 'typeorm';
import { JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

export const REFRESH_STATUSES = ['queued', 'running', 'completed', 'partial', 'failed'] as const;
export type RefreshStatus = (typeof REFRESH_STATUSES)[number];
export const ACTIVE_REFRESH_STATUSES: readonly RefreshStatus[] = ['queued', 'running'];

export interface RefreshErrorEntry {
  scope: string;
  code: string;
  message: string;
}

@Entity('refreshes')
export class RefreshEntity {
  @UuidPrimaryColumn()
  id: string;

  @UuidColumn()
  providerId: string;

  /** 'full' or 'targeted'. */
  @TextColumn({ nullable: false, length: 16 })
  kind: 'full' | 'targeted';

  /** Native ids of a targeted refresh. */
  @JsonColumn({ nullable: true })
  targets: string[] | null;

  /** Who asked: api, schedule, created, event, demo. */
  @TextColumn({ nullable: false, length: 16 })
  trigger: string;

  @TextColumn({ nullable: false, length: 16 })
  status: RefreshStatus;

  /** Counts reported while collecting and saving (vms collected, created, updated, archived…). */
  @JsonColumn()
  progress: Record<string, number>;

  @JsonColumn()
  errors: RefreshErrorEntry[];

  @TimestampColumn()
  requestedAt: Date;

  @TimestampColumn({ nullable: true })
  startedAt: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt: Date | null;

  /** Touched while running; a stale heartbeat means the process that ran it died. */
  @TimestampColumn({ nullable: true })
  heartbeatAt: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  owner: string | null;

  /** Targeted refresh: the operation that asked for each target (native id → operation id), recorded on its changes. */
  @JsonColumn({ nullable: true })
  causes?: Record<string, string> | null;
}
