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

  @TextColumn()
  osVersion: string | null;

  @IntColumn()
  cpuCount: number | null;

  @IntColumn()
  memoryMb: number | null;

  @TextColumn()
  hypervisorVersion: string | null;

  @TextColumn()
  location: string | null;
}
