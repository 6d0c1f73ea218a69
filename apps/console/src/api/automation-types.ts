// The shapes of the playbook-run answers the console reads (apps/api/src/automation/automation.presenter.ts).

export const RUN_STATUSES = ['queued', 'running', 'successful', 'failed', 'canceled', 'timed_out', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_RUN_STATUSES: readonly string[] = ['queued', 'running'];

export interface HostSummary {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
}

export interface PlaybookRun {
  id: string;
  playbook: string;
  status: RunStatus;
  credentialId: string;
  targets: { vmIds?: string[]; selector?: Record<string, unknown> };
  hosts: { vmId: string; inventoryName: string; address: string; summary: HostSummary | null }[];
  skipped: { vmId: string; name: string; reason: string }[];
  extraVars: Record<string, unknown>;
  limit: string | null;
  trigger: string;
  ruleId: string | null;
  rc: number | null;
  reason: string | null;
  eventCount: number;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface RunEvent {
  counter: number;
  event: string;
  created: string | null;
  host: string | null;
  task: string | null;
  stdout: string | null;
}

export interface Playbook {
  id: string;
  name: string;
  description: string | null;
}

export interface MachineCredential {
  id: string;
  name: string;
  username: string;
}

/** What a run is started on: the VMs picked, or every VM the inventory's filters match when it starts. */
export type RunTargets = { vmIds: string[] } | { selector: Record<string, string | string[]> };
