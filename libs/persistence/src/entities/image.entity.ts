import { Entity } from 'typeorm';
import type { OsFamily, OsSource } from '@hybridforms/core';
import { InventoryRow, TextColumn } from './inventory-columns.js';

@Entity('images')
export class ImageEntity extends InventoryRow {
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

  @TextColumn({ nullable: false, length: 16 })
  osFamily: OsFamily;

  @TextColumn()
  osName: string | null;

  @TextColumn()
  osVersion: string | null;

  @TextColumn({ length: 16 })
  osSource: OsSource | null;
}
