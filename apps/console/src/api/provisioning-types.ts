import type { Operation, OperationStep } from './api-types.js';

// The shapes of the operations and provision-requests answers beyond what api-types.ts has
// (apps/api/src/operations/operation.presenter.ts, provisioning/provision-request.presenter.ts).

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const OPERATION_KINDS = ['vm-action', 'vm-retire', 'vm-provision'] as const;
export const PROVISION_REQUEST_STATUSES = ['pending_approval', 'approved', 'denied', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type ProvisionRequestStatus = (typeof PROVISION_REQUEST_STATUSES)[number];

/** Statuses a request can still be canceled in (README, Provisioning: Failure and cancel). */
export const CANCELABLE_REQUEST_STATUSES: readonly string[] = ['pending_approval', 'approved', 'running'];

export interface OperationStepView extends OperationStep {
  /** A one-line account of how the step ended (the cloud's answer, the error, a cleanup note). */
  detail: string | null;
}

/** An operation as GET /operations shows it: a provision task has no VM until its VM is in the inventory. */
export interface OperationView extends Omit<Operation, 'vmId' | 'steps'> {
  vmId: string | null;
  vmName: string;
  providerId: string;
  requestedBy: string;
  batchId: string | null;
  provisionRequestId: string | null;
  startedAt: string | null;
  durationMs: number | null;
  steps: OperationStepView[];
}

export interface ProvisionSourceView {
  ref?: string;
  kind?: string;
  name?: string;
  osFamily?: string;
  osVersion?: string | null;
  licenseModel?: string | null;
}

export interface ProvisionRequest {
  id: string;
  status: ProvisionRequestStatus;
  providerId: string;
  source: ProvisionSourceView;
  count: number;
  names: string[];
  vcpus: number;
  size: Record<string, unknown> | null;
  placement: Record<string, unknown> | null;
  admin?: { username: string } | null;
  tags?: Record<string, string> | null;
  licenseModel?: string | null;
  retiresAt?: string | null;
  keepOnFailure?: boolean;
  /** Never the user data itself: it may hold secrets. */
  userData: { bytes: number | null; sha256: string | null } | null;
  postProvision: { playbook: string; credentialId: string } | null;
  requestedBy: string;
  decidedBy: string | null;
  reason: string | null;
  requestedAt: string;
  decidedAt: string | null;
  finishedAt: string | null;
  /** On GET /provision-requests/:id and its stream only. */
  tasks?: OperationView[];
}
