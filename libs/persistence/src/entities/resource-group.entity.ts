import { Entity } from 'typeorm';
import { InventoryRow, JsonColumn, TextColumn } from './inventory-columns.js';

@Entity('resource_groups')
export class ResourceGroupEntity extends InventoryRow {
  @TextColumn({ nullable: false })
  name: string;

  @TextColumn()
  location: string | null;

  @JsonColumn()
  tags: Record<string, string>;
}
