import { Column, PrimaryColumn } from 'typeorm';
import type { OsFamily, OsSource } from '@hybridforms/core';

// Timestamps are declared with the abstract Date type so one entity serves both drivers
// (SQLite "datetime", PostgreSQL "timestamptz" in the migrations).
export const TimestampColumn = (options: { nullable?: boolean } = {}): PropertyDecorator =>
  Column({ type: Date, nullable: options.nullable ?? false });

export const UuidPrimaryColumn = (): PropertyDecorator => PrimaryColumn({ type: 'varchar', length: 36 });

export const UuidColumn = (options: { nullable?: boolean } = {}): PropertyDecorator =>
  Column({ type: 'varchar', length: 36, nullable: options.nullable ?? false });

export const TextColumn = (options: { nullable?: boolean; length?: number } = {}): PropertyDecorator =>
  Column({ type: 'varchar', length: options.length ?? 255, nullable: options.nullable ?? true });

export const IntColumn = (options: { nullable?: boolean } = {}): PropertyDecorator =>
  Column({ type: 'integer', nullable: options.nullable ?? true });

export const JsonColumn = (options: { nullable?: boolean } = {}): PropertyDecorator =>
  Column({ type: 'simple-json', nullable: options.nullable ?? false });

/** Columns every inventory collection shares: who owns it, its native key, and its lifecycle. */
export abstract class InventoryRow {
  @UuidPrimaryColumn()
  id: string;

  @UuidColumn()
  providerId: string;

  /** The provider's native id (Azure resource id lower-cased, Hyper-V GUID). */
  @TextColumn({ nullable: false, length: 1024 })
  nativeId: string;

  /** Set when a completed full refresh no longer saw the record; never deleted. */
  @TimestampColumn({ nullable: true })
  archivedAt: Date | null;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}

/** An inventory row that carries an OS classification (VMs, and the images they come from). */
export abstract class ClassifiedInventoryRow extends InventoryRow {
  @TextColumn({ nullable: false, length: 16 })
  osFamily: OsFamily;

  @TextColumn()
  osName: string | null;

  @TextColumn()
  osVersion: string | null;

  @TextColumn({ length: 16 })
  osSource: OsSource | null;
}
