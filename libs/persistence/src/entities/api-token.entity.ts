import { Entity } from 'typeorm';
import { TextColumn, TimestampColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** An API token: only the SHA-256 of its secret is kept; the secret is shown once, at creation. */
@Entity('api_tokens')
export class ApiTokenEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 128 })
  name: string;

  /** viewer < operator < admin. */
  @TextColumn({ nullable: false, length: 16 })
  role: string;

  /** Hex SHA-256 of the token (a 256-bit random secret needs no slow hash). */
  @TextColumn({ nullable: false, length: 64 })
  tokenHash: string;

  /** The token's first characters, so an operator can tell tokens apart without the secret. */
  @TextColumn({ nullable: false, length: 16 })
  prefix: string;

  /** Who made it: a token name, or `cli`. */
  @TextColumn({ nullable: false, length: 128 })
  createdBy: string;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn({ nullable: true })
  expiresAt: Date | null;

  @TimestampColumn({ nullable: true })
  lastUsedAt: Date | null;

  @TimestampColumn({ nullable: true })
  revokedAt: Date | null;
}
