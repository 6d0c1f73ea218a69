import { Column, Entity } from 'typeorm';
import type { OsFamily, ProviderEventType } from '@hybridforms/core';
import { IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

/** When an event of a kind is stored (of a provider, about a VM of an OS family), run a playbook on its VM. */
@Entity('automation_rules')
export class AutomationRuleEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 128 })
  name: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  @UuidColumn({ nullable: true })
  onProviderId: string | null;

  @TextColumn({ nullable: false, length: 32 })
  onType: ProviderEventType;

  @TextColumn({ length: 16 })
  onOsFamily: OsFamily | null;

  /** A catalog id. */
  @TextColumn({ nullable: false, length: 512 })
  playbook: string;

  @JsonColumn()
  extraVars: Record<string, unknown>;

  @UuidColumn()
  credentialId: string;

  /** At most one run of this rule per VM within this many seconds (a burst of events is one run). */
  @IntColumn({ nullable: false })
  cooldownSeconds: number;

  /** At most this many runs of the rule in any hour (an event storm cannot launch hundreds). */
  @IntColumn({ nullable: false })
  maxRunsPerHour: number;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
