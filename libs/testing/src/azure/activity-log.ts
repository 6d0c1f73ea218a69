import { SeededRandom } from './seeded-random.js';

/**
 * The VM operations the simulated Activity Log records, by their ARM operation name
 * (reference/azure.md §3.2: `Microsoft.Compute/virtualMachines/start/action`, `/write`, `/delete`…).
 */
export type SimVmOperation =
  | 'create'
  | 'update'
  | 'delete'
  | 'start'
  | 'powerOff'
  | 'deallocate'
  | 'restart'
  /** A write of a VM extension (a sub-resource of the VM). */
  | 'extensionWrite';

export type SimActivityOutcome = 'Succeeded' | 'Failed';

/** How a scenario mutation is logged; every field is optional. */
export interface SimActivityOptions {
  /** 'Failed' logs a failed operation and leaves the estate as it was. Default 'Succeeded'. */
  outcome?: SimActivityOutcome;
  /** eventTimestamp of the EndRequest record (the BeginRequest is a little earlier). Default now. */
  at?: Date;
  /**
   * When the records become visible to readers. Default now: an `at` in the past with the default
   * makes a late-arriving event (the real log is eventually consistent).
   */
  visibleAt?: Date;
  /** caller (a UPN or an app id). Default an operator's UPN. */
  caller?: string;
}

/** The parts of a VM the log needs (its id in ARM casing). */
export interface SimActivityTarget {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Upper-case the resource group in `resourceId`, as the real log often does. */
  upperCaseGroup?: boolean;
}

/** An operation whose BeginRequest is logged; `end` logs its EndRequest. */
export interface PendingActivity {
  correlationId: string;
  end(
    outcome: SimActivityOutcome,
    options: { atMs: number; visibleAtMs?: number; created?: boolean; error?: { code: string; message: string } },
  ): void;
}

export interface SimActivityRecord {
  seq: number;
  subscriptionKey: string;
  timestampMs: number;
  visibleAtMs: number;
  wire: Record<string, unknown>;
}

const OPERATIONS: Record<SimVmOperation, { name: string; localized: string; method: string; subType?: string }> = {
  create: { name: 'Microsoft.Compute/virtualMachines/write', localized: 'Create or Update Virtual Machine', method: 'PUT' },
  update: { name: 'Microsoft.Compute/virtualMachines/write', localized: 'Create or Update Virtual Machine', method: 'PATCH' },
  delete: { name: 'Microsoft.Compute/virtualMachines/delete', localized: 'Delete Virtual Machine', method: 'DELETE' },
  start: { name: 'Microsoft.Compute/virtualMachines/start/action', localized: 'Start Virtual Machine', method: 'POST' },
  powerOff: { name: 'Microsoft.Compute/virtualMachines/powerOff/action', localized: 'Power Off Virtual Machine', method: 'POST' },
  deallocate: { name: 'Microsoft.Compute/virtualMachines/deallocate/action', localized: 'Deallocate Virtual Machine', method: 'POST' },
  restart: { name: 'Microsoft.Compute/virtualMachines/restart/action', localized: 'Restart Virtual Machine', method: 'POST' },
  extensionWrite: {
    name: 'Microsoft.Compute/virtualMachines/extensions/write',
    localized: 'Create or Update Virtual Machine Extension',
    method: 'PUT',
    subType: 'extensions',
  },
};

const DEFAULT_CALLER = 'ops.admin@contoso.onmicrosoft.com';
// .NET ticks at the Unix epoch: the `ticks` segment of an event id counts 100 ns from year 1.
const EPOCH_TICKS = 621355968000000000n;
const BEGIN_TO_END_MS = 1_350;

/** ISO with the seven fractional digits the Activity Log writes (`2015-01-21T22:14:26.9792776Z`). */
export function activityTimestamp(ms: number, subMsTicks: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(subMsTicks).padStart(4, '0')}Z`;
}

/** A parsed `$filter` of the Activity Log list. */
export interface ActivityLogFilter {
  fromMs: number;
  toMs: number | null;
  resourceGroupName?: string;
  resourceUri?: string;
  resourceProvider?: string;
  correlationId?: string;
}

/**
 * Parses the `$filter` the Activity Log accepts. The REST reference (learn.microsoft.com, Activity
 * Logs - List) allows only `eventTimestamp ge '<t>' [and eventTimestamp le '<t>']` plus at most one
 * of `resourceGroupName`, `resourceUri`, `resourceProvider`, `correlationId` (`eq`): "No other
 * syntax is allowed". Older clients add `eventChannels eq 'Admin, Operation'`, which is ignored.
 * Returns an error message for anything else.
 */
export function parseActivityLogFilter(filter: string | undefined): ActivityLogFilter | string {
  if (!filter || filter.trim() === '') return "The $filter query parameter is required and must contain 'eventTimestamp ge'.";
  const clauses = filter.split(/\s+and\s+/i);
  const result: Partial<ActivityLogFilter> = {};
  const selectors: string[] = [];
  for (const clause of clauses) {
    const match = /^\s*(\w+)\s+(eq|ge|le)\s+'([^']*)'\s*$/i.exec(clause);
    if (!match) return `The filter clause '${clause.trim()}' is not valid.`;
    const [, rawField, rawOp, value] = match;
    const field = rawField.toLowerCase();
    const op = rawOp.toLowerCase();
    if (field === 'eventtimestamp') {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return `The value '${value}' of eventTimestamp is not a valid date time.`;
      if (op === 'ge') result.fromMs = ms;
      else if (op === 'le') result.toMs = ms;
      else return `The operator '${rawOp}' is not supported for eventTimestamp.`;
      continue;
    }
    if (op !== 'eq') return `The operator '${rawOp}' is not supported for ${rawField}.`;
    if (field === 'eventchannels') continue;
    if (field === 'resourcegroupname') result.resourceGroupName = value;
    else if (field === 'resourceuri') result.resourceUri = value;
    else if (field === 'resourceprovider') result.resourceProvider = value;
    else if (field === 'correlationid') result.correlationId = value;
    else return `The filter field '${rawField}' is not supported.`;
    selectors.push(rawField);
  }
  if (result.fromMs === undefined) return "The $filter must contain 'eventTimestamp ge' with a start time.";
  if (selectors.length > 1) return `The $filter may name only one of resourceGroupName, resourceUri, resourceProvider, correlationId; it names ${selectors.join(', ')}.`;
  return { fromMs: result.fromMs, toMs: result.toMs ?? null, ...result } as ActivityLogFilter;
}

/**
 * The simulated Activity Log (Administrative category) of every subscription: BeginRequest /
 * EndRequest pairs in the wire shape of GetActivityLogsFiltered.json, with a visibility time so
 * that late arrivals can be simulated.
 */
export class ActivityLog {
  private readonly records: SimActivityRecord[] = [];
  private readonly random: SeededRandom;
  private seq = 0;

  constructor(
    private readonly tenantId: string,
    seed: number,
  ) {
    this.random = new SeededRandom(seed).fork(31);
  }

  /** Appends the BeginRequest (Started) and EndRequest (Succeeded/Failed) of one operation; returns the correlationId. */
  record(
    target: SimActivityTarget,
    operation: SimVmOperation,
    options: SimActivityOptions & { requestBody?: unknown; created?: boolean; nowMs?: number } = {},
  ): string {
    const nowMs = options.nowMs ?? Date.now();
    const endMs = options.at?.getTime() ?? nowMs;
    const visibleAtMs = options.visibleAt?.getTime() ?? nowMs;
    const pending = this.begin(target, operation, { ...options, atMs: endMs - BEGIN_TO_END_MS, visibleAtMs });
    pending.end(options.outcome ?? 'Succeeded', { atMs: endMs, visibleAtMs, created: options.created });
    return pending.correlationId;
  }

  /**
   * Appends the BeginRequest (Started) of an operation that ends later (a long-running operation);
   * its `end` appends the EndRequest with the same correlationId.
   */
  begin(
    target: SimActivityTarget,
    operation: SimVmOperation,
    options: { atMs: number; visibleAtMs?: number; caller?: string; requestBody?: unknown },
  ): PendingActivity {
    const beginMs = options.atMs;
    const correlationId = this.random.guid();
    const op = OPERATIONS[operation];
    const caller = options.caller ?? DEFAULT_CALLER;
    const clientRequestId = this.random.guid();
    const clientIpAddress = `20.${this.random.int(1, 250)}.${this.random.int(1, 250)}.${this.random.int(1, 250)}`;
    const group = target.upperCaseGroup ? target.resourceGroup.toUpperCase() : target.resourceGroup;
    const vmId = `/subscriptions/${target.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${target.name}`;
    const resourceId = op.subType ? `${vmId}/${op.subType}/${extensionName(this.random)}` : vmId;
    const resourceType = op.subType ? `Microsoft.Compute/virtualMachines/${op.subType}` : 'Microsoft.Compute/virtualMachines';
    const serviceRequestId = this.random.guid();

    const base = (): Record<string, unknown> => ({
      authorization: { action: op.name, scope: resourceId },
      caller,
      channels: 'Operation',
      claims: this.claims(caller, Math.floor(beginMs / 1000)),
      correlationId,
      description: '',
      httpRequest: { clientRequestId, clientIpAddress, method: op.method },
      level: 'Informational',
      resourceGroupName: group,
      resourceProviderName: { value: 'Microsoft.Compute', localizedValue: 'Microsoft.Compute' },
      resourceId,
      resourceType: { value: resourceType, localizedValue: resourceType },
      operationName: { value: op.name, localizedValue: op.localized },
      category: { value: 'Administrative', localizedValue: 'Administrative' },
      subscriptionId: target.subscriptionId,
      tenantId: this.tenantId,
    });

    const begin = base();
    Object.assign(begin, {
      eventName: { value: 'BeginRequest', localizedValue: 'Begin request' },
      operationId: correlationId,
      status: { value: 'Started', localizedValue: 'Started' },
      subStatus: { value: '', localizedValue: '' },
      properties: {
        eventCategory: 'Administrative',
        entity: resourceId,
        message: op.name,
        hierarchy: `${this.tenantId}/${target.subscriptionId}`,
        // Writes carry their request body as a JSON string; the key name and the string form
        // follow what Activity Log exports show for ARM writes (unverified against a primary source).
        ...(options.requestBody !== undefined ? { requestbody: JSON.stringify(options.requestBody) } : {}),
      },
    });
    this.push(target.subscriptionId, begin, beginMs, options.visibleAtMs ?? beginMs);

    return {
      correlationId,
      end: (outcome, endOptions) => {
        const failed = outcome === 'Failed';
        const created = endOptions.created === true && !failed;
        // Actions and deletes answer 202 and end later as OK (200) or, failed, as Conflict.
        const statusCode = failed ? 'Conflict' : created ? 'Created' : 'OK';
        const error = endOptions.error ?? { code: 'OperationNotAllowed', message: 'The operation is not allowed because the VM is in a conflicting state.' };
        const end = base();
        Object.assign(end, {
          eventName: { value: 'EndRequest', localizedValue: 'End request' },
          operationId: correlationId,
          level: failed ? 'Error' : 'Informational',
          status: { value: outcome, localizedValue: outcome },
          subStatus: failed
            ? { value: 'Conflict', localizedValue: 'Conflict (HTTP Status Code: 409)' }
            : created
              ? { value: 'Created', localizedValue: 'Created (HTTP Status Code: 201)' }
              : { value: 'OK', localizedValue: 'OK (HTTP Status Code: 200)' },
          properties: {
            statusCode,
            serviceRequestId,
            eventCategory: 'Administrative',
            entity: resourceId,
            message: op.name,
            hierarchy: `${this.tenantId}/${target.subscriptionId}`,
            ...(failed ? { statusMessage: JSON.stringify({ error }) } : {}),
          },
        });
        this.push(target.subscriptionId, end, endOptions.atMs, endOptions.visibleAtMs ?? endOptions.atMs);
      },
    };
  }

  /**
   * Events of a subscription visible at `nowMs` that match the filter, newest first (the order
   * the portal and CLI show; the REST reference does not state one, so readers must not rely on it).
   */
  query(subscriptionId: string, filter: ActivityLogFilter, nowMs: number): SimActivityRecord[] {
    const key = subscriptionId.toLowerCase();
    const eq = (a: unknown, b: string | undefined) => b === undefined || (typeof a === 'string' && a.toLowerCase() === b.toLowerCase());
    return this.records
      .filter(
        (r) =>
          r.subscriptionKey === key &&
          r.visibleAtMs <= nowMs &&
          r.timestampMs >= filter.fromMs &&
          (filter.toMs === null || r.timestampMs <= filter.toMs) &&
          eq(r.wire.resourceGroupName, filter.resourceGroupName) &&
          eq(r.wire.resourceId, filter.resourceUri) &&
          eq((r.wire.resourceProviderName as { value: string }).value, filter.resourceProvider) &&
          eq(r.wire.correlationId, filter.correlationId),
      )
      .sort(newestFirst);
  }

  /** Every record (all subscriptions, visible or not), newest first: for tests. */
  all(): SimActivityRecord[] {
    return [...this.records].sort(newestFirst);
  }

  private push(subscriptionId: string, wire: Record<string, unknown>, timestampMs: number, visibleAtMs: number): void {
    const subMs = this.random.int(0, 9999);
    const eventDataId = this.random.guid();
    const ticks = (BigInt(timestampMs) * 10000n + EPOCH_TICKS + BigInt(subMs)).toString();
    const submissionMs = Math.max(visibleAtMs, timestampMs) + this.random.int(5_000, 20_000);
    // Field order as in the spec example (id near the end, then level, resource fields, …).
    const record: Record<string, unknown> = {
      ...wire,
      eventDataId,
      eventTimestamp: activityTimestamp(timestampMs, subMs),
      id: `${wire.resourceId as string}/events/${eventDataId}/ticks/${ticks}`,
      submissionTimestamp: activityTimestamp(submissionMs, this.random.int(0, 9999)),
    };
    this.records.push({ seq: ++this.seq, subscriptionKey: subscriptionId.toLowerCase(), timestampMs, visibleAtMs, wire: record });
  }

  private claims(caller: string, iat: number): Record<string, string> {
    return {
      aud: 'https://management.core.windows.net/',
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: String(iat),
      nbf: String(iat),
      exp: String(iat + 3600),
      ver: '1.0',
      'http://schemas.microsoft.com/identity/claims/tenantid': this.tenantId,
      'http://schemas.microsoft.com/claims/authnmethodsreferences': 'pwd',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': this.random.guid(),
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': caller,
      puid: this.random.hex(16).toUpperCase(),
      appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
      appidacr: '2',
    };
  }
}

function newestFirst(a: SimActivityRecord, b: SimActivityRecord): number {
  return b.timestampMs - a.timestampMs || b.seq - a.seq;
}

function extensionName(random: SeededRandom): string {
  return random.pick(['AzureMonitorLinuxAgent', 'CustomScript', 'OmsAgentForLinux', 'MDE.Linux']);
}
