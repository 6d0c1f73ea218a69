// The shapes of the /api/v1 answers the console reads (apps/api's presenters); dates arrive as ISO strings.

export type Role = 'viewer' | 'operator' | 'admin';

export const OS_FAMILIES = ['rhel', 'linux-other', 'windows', 'unknown'] as const;
export const LICENSE_MODELS = ['byos', 'payg', 'unknown'] as const;
export const POWER_STATES = ['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated', 'suspended', 'unknown'] as const;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Whoami {
  name: string;
  role: Role;
  tokenId: string | null;
}

export interface Vm {
  id: string;
  providerId: string;
  nativeId: string;
  name: string;
  powerState: string;
  osFamily: string;
  osName: string | null;
  osVersion: string | null;
  osSource: string | null;
  licenseModel: string | null;
  licenseType: string | null;
  guestAgentVersion: string | null;
  location: string | null;
  resourceGroup: string | null;
  subscriptionId: string | null;
  size: string | null;
  cpuCount: number | null;
  memoryMb: number | null;
  ipAddresses: string[];
  tags: Record<string, string>;
  createdAtProvider: string | null;
  archivedAt: string | null;
  archiveReason: string | null;
  updatedAt: string;
}

export interface Nic {
  id: string;
  name: string;
  macAddress: string | null;
  primary: boolean;
  privateIps: string[];
  publicIps: string[];
}

export interface Disk {
  id: string;
  name: string;
  role: string;
  sizeGb: number | null;
  storageType: string | null;
}

export interface VmDetail extends Vm {
  nics: Nic[];
  disks: Disk[];
  host: { id: string; name: string; kind: string; osName: string | null; hypervisorVersion: string | null } | null;
  image: { id: string; name: string; kind: string; publisher: string | null; offer: string | null; sku: string | null; version: string | null } | null;
  retirement: { retiresAt: string; warnedAt: string | null; setBy: string } | null;
  activeOperation: { id: string; kind: string; action: string | null; status: string } | null;
}

export interface VmChange {
  id: string;
  field: string;
  from: unknown;
  to: unknown;
  changedAt: string;
  refreshId: string | null;
  operationId: string | null;
}

export const EVENT_TYPES = ['vm.created', 'vm.deleted', 'vm.started', 'vm.stopped', 'vm.deallocated', 'vm.restarted', 'vm.resized', 'vm.updated', 'vm.retirement_warning', 'other'] as const;

export interface ProviderEvent {
  id: string;
  providerId: string;
  occurredAt: string;
  type: string;
  vmId: string | null;
  vmName: string | null;
  status: string | null;
  actor: string | null;
  message: string | null;
}

export interface MetricPoint {
  timestamp: string;
  value: number;
  min?: number;
  max?: number;
}

export interface MetricSeries {
  name: string;
  unit: string;
  points: MetricPoint[];
}

export interface VmMetrics {
  from: string;
  to: string;
  interval: 'raw' | 'hour' | 'day';
  series: MetricSeries[];
}

export interface Provider {
  id: string;
  name: string;
  type: string;
  refreshIntervalSeconds: number | null;
  lastFullRefreshAt: string | null;
}

export interface Refresh {
  id: string;
  providerId: string;
  kind: string;
  trigger: string;
  status: 'queued' | 'running' | 'completed' | 'partial' | 'failed';
  progress: Record<string, number>;
  errors: unknown[];
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface OperationStep {
  name: string;
  status: string;
  /** What the step acts on when not the VM itself (a disk, a NIC, a playbook run). */
  target: { kind: string; nativeId: string; name: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Set only when the step failed. */
  errorCode?: string | null;
}

export interface Operation {
  id: string;
  kind: string;
  action: string | null;
  vmId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  steps: OperationStep[];
  errorCode: string | null;
  error: string | null;
  requestedAt: string;
  finishedAt: string | null;
}

export const ACTIVE_REFRESH_STATUSES: readonly string[] = ['queued', 'running'];
export const ACTIVE_OPERATION_STATUSES: readonly string[] = ['queued', 'running'];

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(role: Role, least: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[least];
}
