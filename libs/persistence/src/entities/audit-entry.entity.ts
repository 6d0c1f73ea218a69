import { Column, Entity } from 'typeorm';
import { IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidPrimaryColumn } from './inventory-columns.js';

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One change asked of the service (or refused): who, what, when, from where, and how it ended. */
@Entity('audit_log')
export class AuditEntryEntity {
  @UuidPrimaryColumn()
  id: string;

  @TimestampColumn()
  at: Date;

  /** The token's name (or `anonymous` for a request without a valid token). */
  @TextColumn({ nullable: false, length: 128 })
  actor: string;

  @TextColumn({ length: 36 })
  actorTokenId: string | null;

  @TextColumn({ length: 16 })
  actorRole: string | null;

  /** What was asked, e.g. `provider.create`, `playbook-run.cancel`, `token.revoke`. */
  @TextColumn({ nullable: false, length: 64 })
  action: string;

  @TextColumn({ length: 32 })
  targetType: string | null;

  @TextColumn({ length: 128 })
  targetId: string | null;

  @TextColumn({ nullable: false, length: 8 })
  method: string;

  @TextColumn({ nullable: false, length: 512 })
  path: string;

  /** The client's address as the HTTP server saw it. */
  @TextColumn({ length: 64 })
  clientIp: string | null;

  @TextColumn({ nullable: false, length: 16 })
  outcome: AuditOutcome;

  @IntColumn({ nullable: false })
  statusCode: number;

  /** The error message of a failure (already free of secrets: our errors never carry them). */
  @Column({ type: 'text', nullable: true })
  message: string | null;

  @JsonColumn({ nullable: true })
  detail: Record<string, unknown> | null;
}
