import { Entity } from 'typeorm';
import { TextColumn, TimestampColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** When a VM is to be retired (ManageIQ's retirement date), and whether its warning went out. Ours, not the cloud's: refreshes never touch it. */
@Entity('vm_retirements')
export class VmRetirementEntity {
  /** The VM's id. */
  @UuidPrimaryColumn()
  vmId: string;

  @TimestampColumn()
  retiresAt: Date;

  /** When the `vm.retirement_warning` event was stored for this date. */
  @TimestampColumn({ nullable: true })
  warnedAt: Date | null;

  @TextColumn({ nullable: false, length: 128 })
  setBy: string;

  @TimestampColumn()
  updatedAt: Date;
}
