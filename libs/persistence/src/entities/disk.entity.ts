import { Entity } from 'typeorm';
import { InventoryRow, IntColumn, TextColumn, UuidColumn } from './inventory-columns.js';

@Entity('disks')
export class DiskEntity extends InventoryRow {
  @UuidColumn({ nullable: true })
  vmId: string | null;

  @TextColumn({ nullable: false })
  name: string;

  @TextColumn({ nullable: false, length: 8 })
  role: 'os' | 'data';

  @IntColumn()
  sizeGb: number | null;

  @TextColumn()
  storageType: string | null;

  @TextColumn()
  location: string | null;
}
