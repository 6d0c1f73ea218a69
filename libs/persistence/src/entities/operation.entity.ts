import { Column, Entity } from 'typeorm';
import { JsonColumn, TextColumn, TimestampColumn, UuidColumn, UuidPrimaryColumn } from './inventory-columns.js';

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export const ACTIVE_OPERATION_STATUSES: readonly OperationStatus[] = ['queued', 'running'];
export const FINISHED_OPERATION_STATUSES: readonly OperationStatus[] = ['succeeded', 'failed', 'canceled'];

/**
 * `vm-action`: a power action; `vm-retire`: stop, delete the VM and what it owned; `vm-provision`:
 * one VM of a provision request, made step by step (its VM is known once the inventory has it).
 */
export const OPERATION_KINDS = ['vm-action', 'vm-retire', 'vm-provision'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STEP_STATUSES = ['pending', 'running', 'done', 'failed'] as const;
export type OperationStepStatus = (typeof OPERATION_STEP_STATUSES)[number];

/**
 * One step of an operation, recorded before and after each call to a cloud. `continuation` is the
 * provider's handle of an accepted request (Azure: the poller with its async-operation URL): a
 * step resumed after a crash polls it instead of sending the request again. Never shown by the API.
 */
export interface OperationStep {
  name: string;
  status: OperationStepStatus;
  /** What the step acts on, when not the VM itself (a disk, a NIC). */
  target?: { kind: string; nativeId: string; name: string; hostNativeId?: string | null } | null;
  startedAt: string | null;
  finishedAt: string | null;
  continuation?: string | null;
  /** A one-line account of how it ended (the cloud's answer, the error). */
  detail?: string | null;
  /** The error's code (a ProviderError code) when the step failed. */
  errorCode?: string | null;
}

/** A lifecycle operation on one VM: what was asked, by whom, its steps and how it ended. */
@Entity('operations')
export class OperationEntity {
  @UuidPrimaryColumn()
  id: string;

  @TextColumn({ nullable: false, length: 16 })
  kind: OperationKind;

  /** The power action (start, stop…), or `retire`. */
  @TextColumn({ nullable: false, length: 32 })
  action: string;

  /** Null for a provision task until the VM it made is in the inventory. */
  @UuidColumn({ nullable: true })
  vmId: string | null;

  @UuidColumn()
  providerId: string;

  /** The VM's name when asked (kept once the VM is archived). */
  @TextColumn({ nullable: false })
  vmName: string;

  @TextColumn({ nullable: false, length: 16 })
  status: OperationStatus;

  /** Options of the request (force). */
  @JsonColumn()
  options: Record<string, unknown>;

  /** The token name, or `scheduler` for a retirement the schedule started. */
  @TextColumn({ nullable: false, length: 128 })
  requestedBy: string;

  @UuidColumn({ nullable: true })
  requestedByTokenId: string | null;

  /** The provision request a `vm-provision` task belongs to. */
  @UuidColumn({ nullable: true })
  provisionRequestId: string | null;

  /** The bulk request (POST /vm-actions) it belongs to. */
  @UuidColumn({ nullable: true })
  batchId: string | null;

  @JsonColumn()
  steps: OperationStep[];

  /** A ProviderError code (or `interrupted`, `timeout`) when it failed. */
  @TextColumn({ length: 64 })
  errorCode: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @TimestampColumn()
  requestedAt: Date;

  @TimestampColumn({ nullable: true })
  startedAt: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt: Date | null;

  /** The process running it (host:pid). */
  @TextColumn()
  owner: string | null;

  /** The targeted (or full) refresh that read the VM back after it ended. */
  @UuidColumn({ nullable: true })
  confirmedByRefreshId: string | null;
}
