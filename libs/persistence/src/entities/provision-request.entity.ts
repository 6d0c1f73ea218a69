import { Column, Entity } from 'typeorm';
import { IntColumn, JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

/**
 * `pending_approval`: waits for an admin; `approved`: approved (by the policy or an admin) and
 * queued for execution; `denied`, `canceled`: ended before anything was made; `running`,
 * `succeeded`, `failed`: its tasks' progress.
 */
export const PROVISION_REQUEST_STATUSES = ['pending_approval', 'approved', 'denied', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type ProvisionRequestStatus = (typeof PROVISION_REQUEST_STATUSES)[number];
/** What counts against a token's quota of requests in progress. */
export const ACTIVE_PROVISION_REQUEST_STATUSES: readonly ProvisionRequestStatus[] = ['pending_approval', 'approved', 'running'];
/** Ended: nothing more happens to the request (a canceled one's tasks may still be cleaning up). */
export const FINISHED_PROVISION_REQUEST_STATUSES: readonly ProvisionRequestStatus[] = ['denied', 'succeeded', 'failed', 'canceled'];

/** A request to make VMs from one source, as validated (names expanded, the source as it was listed). */
@Entity('provision_requests')
export class ProvisionRequestEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 24 })
  status: ProvisionRequestStatus;

  @UuidColumn()
  providerId: string;

  /** The source's ref (GET /provisioning/sources). */
  @TextColumn({ nullable: false })
  sourceRef: string;

  /** The source as it was listed when the request was made (the plugin's ProvisionSource). */
  @JsonColumn()
  source: Record<string, unknown>;

  @IntColumn({ nullable: false })
  count: number;

  /** The VM names, one per task, in order. */
  @JsonColumn()
  names: string[];

  /** vCPUs of all its VMs (what the quotas and the approval policy count). */
  @IntColumn({ nullable: false })
  vcpus: number;

  /** The validated request (size, placement, admin, userData, tags, licenseModel, retiresAt, postProvision, keepOnFailure). */
  @JsonColumn()
  spec: Record<string, unknown>;

  @TextColumn({ nullable: false, length: 128 })
  requestedBy: string;

  @UuidColumn({ nullable: true })
  requestedByTokenId: string | null;

  /** `policy` when the approval policy approved it, else the admin's token name. */
  @TextColumn({ length: 128 })
  decidedBy: string | null;

  /** Why it was approved (the policy's rule) or denied (the admin's reason), or why it ended so. */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @TimestampColumn()
  requestedAt: Date;

  @TimestampColumn({ nullable: true })
  decidedAt: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt: Date | null;
}
