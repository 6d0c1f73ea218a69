import { Column, Entity } from 'typeorm';
import { InventoryRow, JsonColumn, TextColumn, UuidColumn } from './inventory-columns.js';

@Entity('nics')
export class NicEntity extends InventoryRow {
  @UuidColumn({ nullable: true })
  vmId: string | null;

  @TextColumn({ nullable: false })
  name: string;

  @TextColumn({ length: 64 })
  macAddress: string | null;

  @Column({ type: 'boolean', default: false })
  primary: boolean;

  @JsonColumn()
  privateIps: string[];

  @JsonColumn()
  publicIps: string[];

  @UuidColumn({ nullable: true })
  networkId: string | null;
}
