import type { ProviderEvent, ProviderEventType } from '@hybridforms/core';
import { nativeIdOf } from './azure-inventory.parser.js';

/** A localizable string of the Activity Log (`{ value, localizedValue }`). */
export interface AzureLocalizable {
  value?: string;
  localizedValue?: string;
}

/**
 * One Activity Log record in its wire shape (reference/azure.md §3.2, spec example
 * GetActivityLogsFiltered.json): the fields this parser reads; the rest is kept in `raw`.
 */
export interface AzureActivityLogEvent {
  eventDataId?: string;
  id?: string;
  correlationId?: string;
  operationId?: string;
  eventTimestamp?: string;
  submissionTimestamp?: string;
  eventName?: AzureLocalizable;
  operationName?: AzureLocalizable;
  status?: AzureLocalizable;
  subStatus?: AzureLocalizable;
  level?: string;
  caller?: string;
  resourceId?: string;
  resourceGroupName?: string;
  resourceProviderName?: AzureLocalizable;
  resourceType?: AzureLocalizable;
  subscriptionId?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

const VM_OPERATION_PREFIX = 'microsoft.compute/virtualmachines/';
// A VM's ARM id at the start of a resource id (the VM itself or one of its sub-resources).
const VM_ID = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+))(?:\/|$)/i;
const VM_ACTIONS: Record<string, ProviderEventType> = {
  'start/action': 'vm.started',
  'poweroff/action': 'vm.stopped',
  'deallocate/action': 'vm.deallocated',
  'restart/action': 'vm.restarted',
  delete: 'vm.deleted',
};
const TERMINAL_STATUSES = new Set(['succeeded', 'failed']);

/**
 * What the other records of a batch say about an operation, by lower-cased correlationId: the
 * request body of a write (only its BeginRequest carries one) and whether it created the VM (only
 * its EndRequest says so).
 */
export interface ActivityLogContext {
  bodies: ReadonlyMap<string, unknown>;
  created: ReadonlySet<string>;
}

const NO_CONTEXT: ActivityLogContext = { bodies: new Map(), created: new Set() };

/**
 * Normalizes a batch of Activity Log records. The request body of a write travels on its
 * BeginRequest record only, so it is looked up by correlationId for the EndRequest of the same
 * operation. Records without an eventDataId (no stable identity) are left out.
 */
export function parseActivityLogEvents(events: readonly AzureActivityLogEvent[]): ProviderEvent[] {
  const bodies = new Map<string, unknown>();
  const created = new Set<string>();
  for (const event of events) {
    if (!event.correlationId) continue;
    const body = requestBodyOf(event);
    if (body !== undefined) bodies.set(event.correlationId.toLowerCase(), body);
    if (isCreated(event)) created.add(event.correlationId.toLowerCase());
  }
  const out: ProviderEvent[] = [];
  for (const event of events) {
    const parsed = parseActivityLogEvent(event, { bodies, created });
    if (parsed) out.push(parsed);
  }
  return out;
}

/** Normalizes one Activity Log record; null when it has no eventDataId or no valid eventTimestamp. */
export function parseActivityLogEvent(event: AzureActivityLogEvent, context: ActivityLogContext = NO_CONTEXT): ProviderEvent | null {
  const nativeId = event.eventDataId;
  const occurredAt = event.eventTimestamp ? new Date(event.eventTimestamp) : null;
  if (!nativeId || !occurredAt || Number.isNaN(occurredAt.getTime())) return null;
  const vm = VM_ID.exec(event.resourceId ?? '');
  const status = event.status?.value || null;
  const type = classify(event, context);
  const operation = event.operationName?.localizedValue || event.operationName?.value || null;
  return {
    nativeId,
    occurredAt,
    type,
    vmNativeId: vm ? nativeIdOf(vm[1]) : null,
    vmName: vm ? vm[2] : null,
    status,
    actor: event.caller || null,
    message: operation ? (status ? `${operation}: ${status}` : operation) : null,
    refreshesVm: type !== 'other' && vm !== null && TERMINAL_STATUSES.has((status ?? '').toLowerCase()),
    raw: event,
  };
}

/** Our event type from the operation name (compared case-insensitively: its casing varies). */
export function classify(event: AzureActivityLogEvent, context: ActivityLogContext = NO_CONTEXT): ProviderEventType {
  const operation = (event.operationName?.value ?? '').toLowerCase();
  if (!operation.startsWith(VM_OPERATION_PREFIX) || !VM_ID.test(event.resourceId ?? '')) return 'other';
  const rest = operation.slice(VM_OPERATION_PREFIX.length);
  if (rest === 'write') {
    const correlation = event.correlationId?.toLowerCase();
    if (isCreated(event) || (correlation !== undefined && context.created.has(correlation))) return 'vm.created';
    const body = requestBodyOf(event) ?? (correlation !== undefined ? context.bodies.get(correlation) : undefined);
    return setsVmSize(body) ? 'vm.resized' : 'vm.updated';
  }
  const action = VM_ACTIONS[rest];
  if (action) return action;
  // Writes and deletes of a VM's sub-resources (extensions, run commands…) change the VM.
  const parts = rest.split('/');
  if (parts.length >= 2 && (parts[parts.length - 1] === 'write' || parts[parts.length - 1] === 'delete')) return 'vm.updated';
  return 'other';
}

function isCreated(event: AzureActivityLogEvent): boolean {
  const subStatus = (event.subStatus?.value ?? '').toLowerCase();
  const statusCode = String(event.properties?.statusCode ?? '').toLowerCase();
  return subStatus === 'created' || statusCode === 'created' || statusCode === '201';
}

/** The request body of a write record: `properties.requestbody`, a JSON string (or already an object). */
function requestBodyOf(event: AzureActivityLogEvent): unknown {
  const properties = event.properties ?? {};
  const key = Object.keys(properties).find((k) => k.toLowerCase() === 'requestbody');
  if (!key) return undefined;
  const value = properties[key];
  if (typeof value !== 'string') return value ?? undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a VM write body sets hardwareProfile.vmSize (a resize; the log does not say the previous size). */
function setsVmSize(body: unknown): boolean {
  const properties = lowerKeys(lowerKeys(body).properties);
  const hardware = lowerKeys(properties.hardwareprofile);
  return typeof hardware.vmsize === 'string' && hardware.vmsize.length > 0;
}

function lowerKeys(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
}
