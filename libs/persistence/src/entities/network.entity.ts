import { Entity } from 'typeorm';
import { InventoryRow, TextColumn } from './inventory-columns.js';

@Entity('networks')
export class NetworkEntity extends InventoryRow {
  @TextColumn({ nullable: false })
  name: string;

  /** subnet, vnet, switch */
  @TextColumn({ nullable: false, length: 16 })
  kind: string;

  @TextColumn()
  location: string | null;
}
