import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, TextColumn, TimestampColumn } from './inventory-columns.js';

/** One ansible-runner job event of a run, stored in batches as the run goes. */
@Entity('playbook_run_events')
export class PlaybookRunEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  runId: string;

  /** 1..n within the run (runner's counter): the order, and the cursor of the list. */
  @PrimaryColumn({ type: 'integer' })
  counter: number;

  @TextColumn({ nullable: false, length: 36 })
  uuid: string;

  @TextColumn({ nullable: false, length: 64 })
  event: string;

  @TimestampColumn()
  created: Date;

  @TextColumn()
  host: string | null;

  @TextColumn({ length: 1024 })
  task: string | null;

  @Column({ type: 'text' })
  stdout: string;

  @JsonColumn()
  data: Record<string, unknown>;
}
