import { Entity } from 'typeorm';
import type { LicenseModel, PowerState } from '@hybridforms/core';
import { ClassifiedInventoryRow, IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidColumn } from './inventory-columns.js';

@Entity('vms')
export class VmEntity extends ClassifiedInventoryRow {
  @TextColumn()
  uid: string | null;

  @TextColumn({ nullable: false })
  name: string;

  @UuidColumn({ nullable: true })
  hostId: string | null;

  @UuidColumn({ nullable: true })
  imageId: string | null;

  @TextColumn()
  location: string | null;

  @TextColumn()
  resourceGroup: string | null;

  @TextColumn()
  subscriptionId: string | null;

  @TextColumn()
  size: string | null;

  @IntColumn()
  cpuCount: number | null;

  @IntColumn()
  memoryMb: number | null;

  @TextColumn({ nullable: false, length: 16 })
  powerState: PowerState;

  @TextColumn({ length: 16 })
  licenseModel: LicenseModel | null;

  @TextColumn()
  licenseType: string | null;

  @TextColumn()
  guestAgentVersion: string | null;

  @JsonColumn()
  tags: Record<string, string>;

  /** Provider-specific facts (see VmRecord.details). */
  @JsonColumn()
  // Not JsonValue: TypeORM's deep-partial types recurse without end on a recursive type.
  details: Record<string, string | number | boolean | object | null>;

  /** Every private then public address of its NICs: what list views and `q` search need. */
  @JsonColumn()
  ipAddresses: string[];

  @TimestampColumn({ nullable: true })
  createdAtProvider: Date | null;

  /** Why it was archived, when we know better than "no longer seen": `retired` (a retirement deleted it). */
  @TextColumn({ length: 32 })
  archiveReason?: string | null;
}
