import { Entity } from 'typeorm';
import { InventoryRow, IntColumn, TextColumn } from './inventory-columns.js';

@Entity('hosts')
export class HostEntity extends InventoryRow {
  @TextColumn({ nullable: false })
  name: string;

  @TextColumn({ nullable: false, length: 32 })
  kind: string;

  @TextColumn()
  osName: string | null;

  @TextColumn({ length: 64 })
  osVersion: string | null;

  @IntColumn()
  cpuCount: number | null;

  @IntColumn()
  memoryMb: number | null;

  @TextColumn({ length: 64 })
  hypervisorVersion: string | null;

  @TextColumn({ length: 64 })
  location: string | null;
}
