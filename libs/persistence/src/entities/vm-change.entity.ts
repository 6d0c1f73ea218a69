import { Entity } from 'typeorm';
import { JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** One tracked field of a VM that changed in one refresh: what, from, to, when, which refresh. */
@Entity('vm_changes')
export class VmChangeEntity {
  @UuidPrimaryColumn()
  id: string;

  @UuidColumn()
  vmId: string;

  @UuidColumn()
  providerId: string;

  @UuidColumn({ nullable: true })
  refreshId: string | null;

  /** A tracked field name (powerState, osVersion, size, ipAddresses, tags…), or 'archived'. */
  @TextColumn({ nullable: false, length: 64 })
  field: string;

  @JsonColumn({ nullable: true })
  fromValue: unknown;

  @JsonColumn({ nullable: true })
  toValue: unknown;

  @TimestampColumn()
  changedAt: Date;

  /** The operation that caused it: its optimistic power state, or the refresh that confirmed it. */
  @UuidColumn({ nullable: true })
  operationId?: string | null;
}
