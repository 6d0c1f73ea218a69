import { Column, Entity } from 'typeorm';
import { IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

export const PLAYBOOK_RUN_STATUSES = ['queued', 'running', 'successful', 'failed', 'canceled', 'timed_out', 'error'] as const;
export type PlaybookRunStatus = (typeof PLAYBOOK_RUN_STATUSES)[number];
export const FINISHED_RUN_STATUSES: readonly PlaybookRunStatus[] = ['successful', 'failed', 'canceled', 'timed_out', 'error'];

export interface RunHost {
  vmId: string;
  inventoryName: string;
  address: string;
}

export interface SkippedRunHost {
  vmId: string;
  name: string;
  reason: string;
}

export interface RunHostSummary {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** One playbook run: what was asked, against which hosts, and how it ended. */
@Entity('playbook_runs')
export class PlaybookRunEntity {
  @UuidPrimaryColumn()
  id: string;

  /** The catalog id of the playbook. */
  @TextColumn({ nullable: false, length: 512 })
  playbook: string;

  @TextColumn({ nullable: false, length: 16 })
  status: PlaybookRunStatus;

  @UuidColumn({ nullable: true })
  credentialId: string | null;

  /** As requested: `{ vmIds }` or `{ selector }`. */
  @JsonColumn()
  targets: Record<string, unknown>;

  /** The inventory generated for the run when it was requested (ansible's JSON inventory format). */
  @JsonColumn()
  inventory: Record<string, unknown>;

  @JsonColumn()
  hosts: RunHost[];

  /** VMs of the selection left out (archived, powered off, no address). */
  @JsonColumn()
  skipped: SkippedRunHost[];

  @JsonColumn()
  extraVars: Record<string, unknown>;

  @TextColumn({ length: 1024 })
  limit: string | null;

  @IntColumn({ nullable: false })
  timeoutSeconds: number;

  /** api or rule. */
  @TextColumn({ nullable: false, length: 16 })
  trigger: string;

  @TimestampColumn()
  requestedAt: Date;

  @TimestampColumn({ nullable: true })
  startedAt: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt: Date | null;

  @IntColumn()
  rc: number | null;

  @TextColumn({ length: 1024 })
  reason: string | null;

  /** Per inventory host, from the run's stats event. */
  @JsonColumn()
  hostSummary: Record<string, RunHostSummary>;

  @IntColumn({ nullable: false })
  eventCount: number;

  /** The run's human output, bounded; filled when it ends. */
  @Column({ type: 'text', nullable: true })
  stdout: string | null;

  /** The automation rule that made the run (trigger `rule`), and the event that fired it. */
  @UuidColumn({ nullable: true })
  ruleId: string | null;

  @UuidColumn({ nullable: true })
  eventId: string | null;

  /** The process running it (host:pid). */
  @TextColumn()
  owner: string | null;
}
