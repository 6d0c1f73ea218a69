import { Entity } from 'typeorm';
import { ClassifiedInventoryRow, TextColumn } from './inventory-columns.js';

@Entity('images')
export class ImageEntity extends ClassifiedInventoryRow {
  @TextColumn({ nullable: false, length: 512 })
  name: string;

  @TextColumn({ nullable: false, length: 16 })
  kind: 'marketplace' | 'custom';

  @TextColumn({ length: 128 })
  publisher: string | null;

  @TextColumn({ length: 128 })
  offer: string | null;

  @TextColumn({ length: 128 })
  sku: string | null;

  @TextColumn()
  version: string | null;
}
