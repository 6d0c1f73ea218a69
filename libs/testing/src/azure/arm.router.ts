import { randomUUID } from 'node:crypto';
import { isSupportedApiVersion, supportedApiVersions, type ApiVersionFamily } from './api-version.catalog.js';
import {
  diskToWire,
  instanceViewToWire,
  nicToWire,
  publicIpToWire,
  resourceGroupToWire,
  subscriptionToWire,
  vmToWire,
} from './arm-wire.serializer.js';
import type { SimMonitor } from './monitor.router.js';
import type { ReadRateLimiter } from './read-rate.limiter.js';
import type { ResourceTable } from './resource.table.js';
import { armError, armThrottled, jsonResponse, queryParam, type SimIncoming, type SimResponse } from './sim-http.js';
import type { SimEstate, SubscriptionEstate } from './sim-estate.js';
import type { SimRecord, SimVm } from './sim-estate.model.js';
import type { SimCreationKind, SimDeletableKind, SimVmAction } from './azure-simulator.types.js';
import { isRefusal, type CreateRefusal } from './create-request.parser.js';
import type { MarketplaceTerms, SimMarketplacePlan } from './marketplace-terms.js';
import type { CreationResult, ResourceCreations } from './resource-creations.js';
import type { ResourceDeletions, SimResourceDeletion } from './resource-deletions.js';
import { VM_ACTIONS, type SimLongRunningOperation, type VmOperations } from './vm-operations.js';
import { KNOWN_LOCATIONS, VM_SIZES } from './vm-size.catalog.js';
import { sizeFamily, type MarketplaceImages } from './marketplace-images.js';

export interface ArmRouterConfig {
  tenantId: string;
  subscriptionIds: readonly string[];
  pageSize: number;
  baseUrl: () => string;
  isValidBearer: (authorization: string | undefined) => boolean;
  rateLimiter: ReadRateLimiter;
  /** Azure Monitor's ARM routes (Activity Log, metrics). */
  monitor: SimMonitor;
  /** The long-running VM operations (power actions, DELETE). */
  operations: VmOperations;
  /** The DELETEs of disks, NICs and public IPs. */
  deletions: ResourceDeletions;
  /** The PUTs that create VMs, NICs and public IPs. */
  creations: ResourceCreations;
  /** The marketplace terms (agreements) of plan images. */
  terms: MarketplaceTerms;
  /** The marketplace image catalogue (publishers, offers, skus). */
  images: MarketplaceImages;
}

export interface ArmMatch {
  faultRoute: string;
  /** 1-based page of a paged list; undefined for other requests. */
  page: number | undefined;
  /** The long-running VM operation a POST, DELETE or status poll belongs to. */
  vmAction?: SimVmAction;
  /** The disk, NIC or public IP deletion a DELETE or status poll belongs to. */
  deletion?: SimDeletableKind;
  /** The VM, NIC or public IP creation a PUT or status poll belongs to. */
  creation?: SimCreationKind;
  serve: () => SimResponse;
}

interface ResourceType {
  provider: string;
  family: ApiVersionFamily;
  faultRoute: string;
  table: (sub: SubscriptionEstate) => ResourceTable<SimRecord & { id: string; location: string }>;
  wire: (record: SimRecord, incoming: SimIncoming, now: string) => unknown;
  /** Set for the types whose DELETE the simulator serves through {@link ResourceDeletions}. */
  deletable?: SimDeletableKind;
  /** Set for the types whose PUT creates one, through {@link ResourceCreations}. */
  creatable?: SimCreationKind;
}

const VM_TYPE: ResourceType = {
  provider: 'Microsoft.Compute/virtualMachines',
  family: 'compute',
  faultRoute: 'virtualMachines',
  creatable: 'vm',
  table: (sub) => sub.vms,
  wire: (record, incoming, now) => vmToWire(record as SimVm, { instanceView: wantsInstanceView(incoming), now }),
};

const RESOURCE_TYPES: Record<string, ResourceType> = {
  'microsoft.compute/virtualmachines': VM_TYPE,
  'microsoft.compute/disks': {
    provider: 'Microsoft.Compute/disks',
    family: 'disks',
    faultRoute: 'disks',
    deletable: 'disk',
    table: (sub) => sub.disks,
    wire: (record) => diskToWire(record as Parameters<typeof diskToWire>[0]),
  },
  'microsoft.network/networkinterfaces': {
    provider: 'Microsoft.Network/networkInterfaces',
    family: 'network',
    faultRoute: 'networkInterfaces',
    deletable: 'nic',
    creatable: 'nic',
    table: (sub) => sub.nics,
    wire: (record) => nicToWire(record as Parameters<typeof nicToWire>[0]),
  },
  'microsoft.network/publicipaddresses': {
    provider: 'Microsoft.Network/publicIPAddresses',
    family: 'network',
    faultRoute: 'publicIPAddresses',
    deletable: 'publicIp',
    creatable: 'publicIp',
    table: (sub) => sub.publicIps,
    wire: (record) => publicIpToWire(record as Parameters<typeof publicIpToWire>[0]),
  },
};

function statusOnly(incoming: SimIncoming): boolean {
  return queryParam(incoming.query, 'statusOnly')?.toLowerCase() === 'true';
}

function wantsInstanceView(incoming: SimIncoming): boolean {
  return statusOnly(incoming) || /instanceView/i.test(queryParam(incoming.query, '$expand') ?? '');
}

interface Cursor {
  afterSeq: number;
  page: number;
}

/** `$skiptoken` is opaque to clients; ours carries the last seq served and the page number. */
function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.afterSeq}:${cursor.page}`).toString('base64url');
}

function decodeCursor(token: string | undefined): Cursor | null | undefined {
  if (token === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  return match ? { afterSeq: Number(match[1]), page: Number(match[2]) } : null;
}

/**
 * Routes ARM reads to the estate: paths compared case-insensitively with `//` collapsed, then
 * the checks ARM makes (bearer token, subscription, api-version, read throttling) in that order.
 */
export class ArmRouter {
  constructor(
    private readonly estate: SimEstate,
    private readonly config: ArmRouterConfig,
  ) {}

  match(incoming: SimIncoming): ArmMatch | undefined {
    const seg = incoming.segments;
    const s = seg.map((x) => x.toLowerCase());
    if (s[0] !== 'subscriptions') return undefined;
    if (s.length === 1) return this.route(incoming, 'subscriptions', undefined, null, 'subscriptions', () => this.listSubscriptions());
    const subscriptionId = seg[1];
    const rest = s.slice(2);
    const orig = seg.slice(2);
    const page = this.pageOf(incoming);

    if (rest.length >= 5 && rest[rest.length - 3] === 'providers' && rest[rest.length - 2] === 'microsoft.insights' && rest[rest.length - 1] === 'metrics') {
      return this.route(incoming, 'metrics', undefined, subscriptionId, null, () =>
        this.withApiVersion(incoming, () => this.config.monitor.armMetrics(incoming, seg.slice(0, -3))),
      );
    }
    if (rest.join('/') === 'providers/microsoft.insights/eventtypes/management/values') {
      return this.route(incoming, 'activityLogs', this.config.monitor.activityLogPage(incoming), subscriptionId, null, (sub) =>
        this.withApiVersion(incoming, () => this.config.monitor.activityLog(incoming, sub.id)),
      );
    }
    if (rest.length === 0) {
      return this.route(incoming, 'subscriptions', undefined, subscriptionId, 'subscriptions', () => this.getSubscription(subscriptionId));
    }
    if (rest[0] === 'resourcegroups' && rest.length === 1) {
      return this.route(incoming, 'resourceGroups', page, subscriptionId, 'resources', (sub) =>
        this.list(incoming, sub.resourceGroups, (g) => resourceGroupToWire(g)),
      );
    }
    if (rest[0] === 'resourcegroups' && rest.length === 2) {
      return this.route(incoming, 'resourceGroups', undefined, subscriptionId, 'resources', (sub) => {
        const group = this.group(sub, orig[1]);
        return group ? jsonResponse(200, resourceGroupToWire(group)) : this.groupNotFound(orig[1]);
      });
    }
    if (rest[0] === 'providers' && rest[1] === 'microsoft.compute' && rest[2] === 'locations' && rest.length === 6 && rest[4] === 'operations') {
      const polled = this.route(incoming, 'operations', undefined, subscriptionId, 'compute', () => this.operationStatus(incoming, rest[3], orig[5]));
      const action = this.config.operations.get(orig[5])?.action;
      return action === 'create' ? { ...polled, creation: 'vm' } : { ...polled, vmAction: action };
    }
    const deletionPoll = rest[0] === 'providers' && rest[2] === 'locations' && rest.length === 6 && DELETION_STATUS_ROUTES[`${rest[1]}/${rest[4]}`];
    const creation = deletionPoll && !deletionPoll.monitor ? this.config.creations.get(orig[5]) : undefined;
    if (creation) {
      const polled = this.route(incoming, 'operations', undefined, subscriptionId, 'network', () => this.creationStatus(rest[3], orig[5]));
      return { ...polled, creation: creation.kind };
    }
    if (rest.join('/').startsWith('providers/microsoft.marketplaceordering/') && rest.length === 12) {
      const agreement = this.matchAgreement(incoming, subscriptionId, rest, orig);
      if (agreement) return agreement;
    }
    if (deletionPoll) {
      const polled = this.route(incoming, 'operations', undefined, subscriptionId, deletionPoll.family, () =>
        this.deletionStatus(incoming, rest[3], orig[5], deletionPoll.monitor),
      );
      return { ...polled, deletion: this.config.deletions.get(orig[5])?.kind };
    }
    if (rest[0] === 'providers' && rest[1] === 'microsoft.compute' && rest[2] === 'locations' && rest[4] === 'publishers' && rest[6] === 'artifacttypes' && rest[7] === 'vmimage' && rest[8] === 'offers') {
      if (rest.length === 9) {
        return this.route(incoming, 'vmImageOffers', undefined, subscriptionId, 'compute', (sub) => this.imageOffers(sub, orig[3], orig[5]));
      }
      if (rest.length === 11 && rest[10] === 'skus') {
        return this.route(incoming, 'vmImageSkus', undefined, subscriptionId, 'compute', (sub) => this.imageSkus(sub, orig[3], orig[5], orig[9]));
      }
    }
    if (rest[0] === 'resourcegroups' && rest.length === 6 && rest[2] === 'providers' && rest[3] === 'microsoft.compute' && rest[4] === 'images' && incoming.method === 'GET') {
      return this.route(incoming, 'images', undefined, subscriptionId, 'compute', (sub) => this.managedImage(sub, orig[1], orig[5]));
    }
    if (rest[0] === 'resourcegroups' && rest.length === 8 && rest[2] === 'providers' && rest[3] === 'microsoft.network' && rest[4] === 'virtualnetworks' && rest[6] === 'subnets') {
      return this.route(incoming, 'subnets', undefined, subscriptionId, 'network', (sub) => this.subnet(sub, orig[1], orig[5], orig[7]));
    }
    if (rest[0] === 'providers' && rest[1] === 'microsoft.compute' && rest[2] === 'locations' && rest.length === 5) {
      const location = rest[3];
      if (rest[4] === 'usages') {
        return this.route(incoming, 'usages', undefined, subscriptionId, 'compute', (sub) => this.usages(sub, location, incoming));
      }
      if (rest[4] === 'vmsizes') {
        return this.route(incoming, 'vmSizes', undefined, subscriptionId, 'compute', () => this.vmSizes(location, incoming));
      }
      if (rest[4] === 'virtualmachines') {
        return this.route(incoming, statusOnly(incoming) ? 'virtualMachinesStatus' : 'virtualMachines', page, subscriptionId, 'compute', (sub) =>
          this.listResources(incoming, VM_TYPE, sub, (vm) => vm.location.toLowerCase() === location),
        );
      }
    }
    if (rest[0] === 'providers' && rest.length === 3) {
      const type = RESOURCE_TYPES[`${rest[1]}/${rest[2]}`];
      if (type) {
        const faultRoute = type === VM_TYPE && statusOnly(incoming) ? 'virtualMachinesStatus' : type.faultRoute;
        return this.route(incoming, faultRoute, page, subscriptionId, type.family, (sub) => this.listResources(incoming, type, sub));
      }
    }
    if (rest[0] === 'resourcegroups' && rest[2] === 'providers' && rest.length >= 5) {
      const type = RESOURCE_TYPES[`${rest[3]}/${rest[4]}`];
      const inGroup = type && this.matchInGroup(incoming, type, subscriptionId, orig[1], orig.slice(5), page);
      if (inGroup) return inGroup;
    }
    return this.route(incoming, 'unknown', undefined, subscriptionId, null, () =>
      armError(404, 'InvalidResourceType', `The resource type could not be found for path '${incoming.rawPath}'.`),
    );
  }

  private matchInGroup(
    incoming: SimIncoming,
    type: ResourceType,
    subscriptionId: string,
    groupName: string,
    tail: string[],
    page: number | undefined,
  ): ArmMatch | undefined {
    const inGroup = (sub: SubscriptionEstate, serve: () => SimResponse) =>
      this.group(sub, groupName) ? serve() : this.groupNotFound(groupName);
    if (tail.length === 0) {
      const faultRoute = type === VM_TYPE && statusOnly(incoming) ? 'virtualMachinesStatus' : type.faultRoute;
      const wanted = groupName.toLowerCase();
      return this.route(incoming, faultRoute, page, subscriptionId, type.family, (sub) =>
        inGroup(sub, () => this.listResources(incoming, type, sub, (r) => groupOf(r.id) === wanted)),
      );
    }
    const name = tail[0];
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${groupName}/providers/${type.provider}/${name}`;
    const creatable = type.creatable;
    if (creatable && tail.length === 1 && incoming.method === 'PUT') {
      const put = this.route(incoming, 'resourceCreations', undefined, subscriptionId, type.family, (sub) =>
        inGroup(sub, () => this.create(incoming, creatable, sub.id, this.group(sub, groupName)!.name, name)),
      ['PUT'],
      );
      return { ...put, creation: creatable };
    }
    if (type === VM_TYPE && tail.length === 1 && incoming.method === 'DELETE') {
      const deletion = this.route(incoming, 'virtualMachineActions', undefined, subscriptionId, 'compute', (sub) =>
        inGroup(sub, () => {
          const vm = sub.vms.get(id);
          // DELETE of a resource that is already gone: 204, no body.
          return vm ? this.beginOperation(incoming, vm, 'delete') : { status: 204, headers: {}, body: '' };
        }),
      ['DELETE'],
      );
      return { ...deletion, vmAction: 'delete' };
    }
    const deletable = type.deletable;
    if (deletable && tail.length === 1 && incoming.method === 'DELETE') {
      const deletion = this.route(incoming, 'resourceDeletions', undefined, subscriptionId, type.family, (sub) =>
        inGroup(sub, () => this.beginDeletion(incoming, deletable, id)),
      ['DELETE'],
      );
      return { ...deletion, deletion: deletable };
    }
    const action = tail.length === 2 ? VM_ACTIONS.find((a) => a.toLowerCase() === tail[1].toLowerCase()) : undefined;
    if (type === VM_TYPE && action) {
      const posted = this.route(incoming, 'virtualMachineActions', undefined, subscriptionId, 'compute', (sub) =>
        inGroup(sub, () => {
          const vm = sub.vms.get(id);
          return vm ? this.beginOperation(incoming, vm, action) : this.resourceNotFound(type, name, groupName);
        }),
      ['POST'],
      );
      return { ...posted, vmAction: action };
    }
    if (tail.length === 1) {
      return this.route(incoming, type.faultRoute, undefined, subscriptionId, type.family, (sub) =>
        inGroup(sub, () => {
          const record = type.table(sub).get(id);
          return record ? jsonResponse(200, type.wire(record, incoming, new Date().toISOString())) : this.resourceNotFound(type, name, groupName);
        }),
      );
    }
    if (type === VM_TYPE && tail.length === 2 && tail[1].toLowerCase() === 'instanceview') {
      return this.route(incoming, 'virtualMachines', undefined, subscriptionId, 'compute', (sub) =>
        inGroup(sub, () => {
          const vm = sub.vms.get(id);
          return vm ? jsonResponse(200, instanceViewToWire(vm, new Date().toISOString())) : this.resourceNotFound(type, name, groupName);
        }),
      );
    }
    return undefined;
  }

  /** Wraps a handler with ARM's checks and headers. A null family skips the api-version check. */
  private route(
    incoming: SimIncoming,
    faultRoute: string,
    page: number | undefined,
    subscriptionId: string | null,
    family: ApiVersionFamily | null,
    handler: (sub: SubscriptionEstate) => SimResponse,
    methods: readonly string[] = ['GET'],
  ): ArmMatch {
    return {
      faultRoute,
      page,
      serve: () => {
        const headers: Record<string, string> = {
          'x-ms-request-id': randomUUID(),
          'x-ms-correlation-request-id': headerOf(incoming, 'x-ms-correlation-request-id') ?? randomUUID(),
          'x-ms-routing-request-id': `EASTUS:${routingStamp()}:${randomUUID()}`,
          'strict-transport-security': 'max-age=31536000; includeSubDomains',
          'x-content-type-options': 'nosniff',
        };
        // check() has proved the subscription exists when one is named.
        const sub = subscriptionId === null ? undefined : this.estate.subscription(subscriptionId);
        const response = this.check(incoming, subscriptionId, family, headers, methods) ?? handler(sub as SubscriptionEstate);
        Object.assign(response.headers, headers);
        return response;
      },
    };
  }

  private check(
    incoming: SimIncoming,
    subscriptionId: string | null,
    family: ApiVersionFamily | null,
    headers: Record<string, string>,
    methods: readonly string[],
  ): SimResponse | undefined {
    const authorization = headerOf(incoming, 'authorization');
    if (!this.config.isValidBearer(authorization)) {
      const reason = authorization ? 'The access token is invalid.' : "The authentication failed because of missing 'Authorization' header.";
      headers['www-authenticate'] = `Bearer authorization_uri="${this.config.baseUrl()}/${this.config.tenantId}", error="invalid_token", error_description="${reason}"`;
      return armError(401, 'InvalidAuthenticationToken', reason);
    }
    if (!methods.includes(incoming.method)) {
      return armError(405, 'MethodNotAllowed', `The simulator does not serve '${incoming.method}' on this path.`);
    }
    if (subscriptionId !== null && !this.estate.subscription(subscriptionId)) {
      return armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    }
    if (family) {
      const version = queryParam(incoming.query, 'api-version');
      if (!version) {
        return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }
      if (!isSupportedApiVersion(family, version)) {
        return armError(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${version}' is invalid. The supported versions are '${supportedApiVersions(family).join(',')}'.`,
        );
      }
    }
    // The token bucket is the read bucket; writes and deletes are not limited by the simulator.
    if (subscriptionId !== null && incoming.method === 'GET') {
      const decision = this.config.rateLimiter.take(subscriptionId);
      headers['x-ms-ratelimit-remaining-subscription-reads'] = String(decision.remaining);
      if (!decision.allowed) return armThrottled(decision.retryAfterSeconds);
    }
    return undefined;
  }

  /** Monitor routes accept any api-version (the SDKs send several) but not none. */
  private withApiVersion(incoming: SimIncoming, serve: () => SimResponse): SimResponse {
    if (!queryParam(incoming.query, 'api-version')) {
      return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    return serve();
  }

  private pageOf(incoming: SimIncoming): number {
    return decodeCursor(queryParam(incoming.query, '$skiptoken'))?.page ?? 1;
  }

  private listResources<T extends SimRecord & { id: string; location: string }>(
    incoming: SimIncoming,
    type: ResourceType,
    sub: SubscriptionEstate,
    filter?: (record: T) => boolean,
  ): SimResponse {
    const now = new Date().toISOString();
    const table = type.table(sub) as unknown as ResourceTable<T>;
    return this.list(incoming, table, (record) => type.wire(record, incoming, now), filter);
  }

  /** One ARM page: `{ value, nextLink? }`, nextLink absolute on this server with `$skiptoken`. */
  private list<T extends SimRecord>(
    incoming: SimIncoming,
    table: ResourceTable<T>,
    wire: (record: T) => unknown,
    filter?: (record: T) => boolean,
  ): SimResponse {
    const token = queryParam(incoming.query, '$skiptoken');
    const cursor = decodeCursor(token);
    if (cursor === null) return armError(400, 'InvalidSkipToken', `The skip token '${token}' is invalid.`);
    const page = table.page(cursor?.afterSeq ?? 0, this.config.pageSize, filter);
    const body: { value: unknown[]; nextLink?: string } = { value: page.items.map(wire) };
    if (page.nextAfterSeq !== null) {
      body.nextLink = this.nextLink(incoming, encodeCursor({ afterSeq: page.nextAfterSeq, page: (cursor?.page ?? 1) + 1 }));
    }
    return jsonResponse(200, body);
  }

  private nextLink(incoming: SimIncoming, skipToken: string): string {
    const params = new URLSearchParams();
    const seen = new Set<string>();
    for (const key of Object.keys(incoming.query)) {
      const lower = key.toLowerCase();
      if (lower === '$skiptoken' || seen.has(lower)) continue;
      seen.add(lower);
      params.set(key, queryParam(incoming.query, key)!);
    }
    params.set('$skiptoken', skipToken);
    const path = '/' + incoming.segments.map(encodeURIComponent).join('/');
    return `${this.config.baseUrl()}${path}?${params.toString()}`;
  }

  /**
   * Accepts a power action or a DELETE: 202, no body, `Azure-AsyncOperation` (the status URL),
   * `Location` (the same operation with `monitor=true`) and `Retry-After`; or the synchronous
   * refusal Compute answers for a VM in the wrong state.
   */
  private beginOperation(incoming: SimIncoming, vm: SimVm, action: SimVmAction): SimResponse {
    const op = this.config.operations.begin(vm, action, Date.now());
    if (!('id' in op)) return armError(op.status, op.code, op.message);
    return { status: 202, headers: this.operationHeaders(incoming, op), body: '' };
  }

  private operationHeaders(incoming: SimIncoming, op: SimLongRunningOperation): Record<string, string> {
    const apiVersion = encodeURIComponent(queryParam(incoming.query, 'api-version') ?? '');
    const base = `${this.config.baseUrl()}/subscriptions/${op.subscriptionId}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}`;
    return {
      'azure-asyncoperation': `${base}?p=${op.correlationId}&api-version=${apiVersion}`,
      location: `${base}?p=${op.correlationId}&monitor=true&api-version=${apiVersion}`,
      'retry-after': String(this.config.operations.timing.retryAfterSeconds),
    };
  }

  /**
   * The operation status URL: `{ name, startTime, status }` (200) while InProgress, then with
   * `endTime`, and `error` when Failed. With `monitor=true` (the Location URL) it answers 202 while
   * in progress, then 200 without a body, or the operation's error with 409 when it failed.
   */
  private operationStatus(incoming: SimIncoming, location: string, operationId: string): SimResponse {
    const op = this.config.operations.get(operationId);
    if (!op || op.location !== location) {
      return armError(404, 'NotFound', `The operation '${operationId}' could not be found in location '${location}'.`);
    }
    const inProgress = op.status === 'InProgress';
    const retry: Record<string, string> = inProgress ? { 'retry-after': String(this.config.operations.timing.retryAfterSeconds) } : {};
    if (queryParam(incoming.query, 'monitor')?.toLowerCase() === 'true') {
      if (inProgress) return { status: 202, headers: { ...retry, location: this.operationHeaders(incoming, op).location }, body: '' };
      if (op.error) return armError(409, op.error.code, op.error.message);
      return { status: 200, headers: {}, body: '' };
    }
    const body: Record<string, unknown> = { startTime: operationTime(op.startMs) };
    if (op.endMs !== undefined) body.endTime = operationTime(op.endMs);
    body.status = op.status;
    if (op.error) body.error = { code: op.error.code, message: op.error.message };
    body.name = op.id;
    return jsonResponse(200, body, retry);
  }

  /**
   * A DELETE of a disk, NIC or public IP: 202 with the async headers, 204 when the resource is
   * already gone, or the synchronous refusal of a resource still in use.
   */
  private beginDeletion(incoming: SimIncoming, kind: SimDeletableKind, id: string): SimResponse {
    const op = this.config.deletions.begin(kind, id, Date.now());
    if (op === null) return { status: 204, headers: {}, body: '' };
    if (!('id' in op)) return armError(op.status, op.code, op.message);
    return { status: 202, headers: this.deletionHeaders(incoming, op), body: '' };
  }

  /**
   * Disks answer like Compute (`…/Microsoft.Compute/locations/{l}/DiskOperations/{id}`, Location
   * the same with monitor=true); NICs and public IPs like Network (`…/Microsoft.Network/locations/{l}/operations/{id}`,
   * Location `…/operationResults/{id}`).
   */
  private deletionHeaders(incoming: SimIncoming, op: SimResourceDeletion): Record<string, string> {
    const apiVersion = encodeURIComponent(queryParam(incoming.query, 'api-version') ?? '');
    const locations = `${this.config.baseUrl()}/subscriptions/${op.subscriptionId}/providers`;
    const retryAfter = String(this.config.operations.timing.retryAfterSeconds);
    if (op.kind === 'disk') {
      const base = `${locations}/Microsoft.Compute/locations/${op.location}/DiskOperations/${op.id}`;
      return {
        'azure-asyncoperation': `${base}?p=${op.id}&api-version=${apiVersion}`,
        location: `${base}?p=${op.id}&monitor=true&api-version=${apiVersion}`,
        'retry-after': retryAfter,
      };
    }
    const base = `${locations}/Microsoft.Network/locations/${op.location}`;
    return {
      'azure-asyncoperation': `${base}/operations/${op.id}?api-version=${apiVersion}`,
      location: `${base}/operationResults/${op.id}?api-version=${apiVersion}`,
      'retry-after': retryAfter,
    };
  }

  /**
   * A deletion's status URL (`{ status }`, with Compute's times for a disk) or its Location URL
   * (202 while in progress, then 204 for Network, 200 for Compute).
   */
  private deletionStatus(incoming: SimIncoming, location: string, operationId: string, resultsRoute: boolean): SimResponse {
    const op = this.config.deletions.get(operationId);
    if (!op || op.location !== location) {
      return armError(404, 'NotFound', `The operation '${operationId}' could not be found in location '${location}'.`);
    }
    const inProgress = op.status === 'InProgress';
    const retry: Record<string, string> = inProgress ? { 'retry-after': String(this.config.operations.timing.retryAfterSeconds) } : {};
    if (resultsRoute || queryParam(incoming.query, 'monitor')?.toLowerCase() === 'true') {
      if (inProgress) return { status: 202, headers: { ...retry, location: this.deletionHeaders(incoming, op).location }, body: '' };
      return { status: op.kind === 'disk' ? 200 : 204, headers: {}, body: '' };
    }
    if (op.kind !== 'disk') return jsonResponse(200, { status: op.status }, retry);
    const body: Record<string, unknown> = { startTime: operationTime(op.startMs) };
    if (op.endMs !== undefined) body.endTime = operationTime(op.endMs);
    body.status = op.status;
    body.name = op.id;
    return jsonResponse(200, body, retry);
  }

  /**
   * A PUT that creates: 201 (or 200 for the same body again) with the resource body and, while its
   * operation runs, `Azure-AsyncOperation` and `Retry-After`; or the synchronous refusal with
   * `target` when the provider names the field.
   */
  private create(incoming: SimIncoming, kind: SimCreationKind, subscriptionId: string, group: string, name: string): SimResponse {
    const creations = this.config.creations;
    const nowMs = Date.now();
    const result =
      kind === 'vm'
        ? creations.createVm(subscriptionId, group, name, incoming.body, nowMs)
        : kind === 'nic'
          ? creations.createNic(subscriptionId, group, name, incoming.body, nowMs)
          : creations.createPublicIp(subscriptionId, group, name, incoming.body, nowMs);
    if (isRefusal(result)) return refusalResponse(result);
    return jsonResponse(result.status, this.createdWire(result), this.creationHeaders(incoming, result));
  }

  private createdWire(result: CreationResult): unknown {
    if (result.kind === 'vm') return vmToWire(result.resource, { instanceView: false, now: new Date().toISOString() });
    return result.kind === 'nic' ? nicToWire(result.resource) : publicIpToWire(result.resource);
  }

  /** Compute's PUT names its status URL only (no Location); Network's the same under Microsoft.Network. */
  private creationHeaders(incoming: SimIncoming, result: CreationResult): Record<string, string> {
    if (!result.operation) return {};
    if (result.kind === 'vm') {
      const { 'azure-asyncoperation': asyncOperation, 'retry-after': retryAfter } = this.operationHeaders(incoming, result.operation);
      return { 'azure-asyncoperation': asyncOperation, 'retry-after': retryAfter };
    }
    const op = result.operation;
    const apiVersion = encodeURIComponent(queryParam(incoming.query, 'api-version') ?? '');
    return {
      'azure-asyncoperation': `${this.config.baseUrl()}/subscriptions/${op.subscriptionId}/providers/Microsoft.Network/locations/${op.location}/operations/${op.id}?api-version=${apiVersion}`,
      'retry-after': String(this.config.operations.timing.retryAfterSeconds),
    };
  }

  /** A network creation's status URL: `{ status }`, with Retry-After while in progress. */
  private creationStatus(location: string, operationId: string): SimResponse {
    const op = this.config.creations.get(operationId);
    if (!op || op.location !== location) {
      return armError(404, 'NotFound', `The operation '${operationId}' could not be found in location '${location}'.`);
    }
    const retry: Record<string, string> = op.status === 'InProgress' ? { 'retry-after': String(this.config.operations.timing.retryAfterSeconds) } : {};
    return jsonResponse(200, { status: op.status }, retry);
  }

  /**
   * `…/providers/Microsoft.MarketplaceOrdering/offerTypes/virtualmachine/publishers/{p}/offers/{o}/plans/{plan}/agreements/current`:
   * GET the terms, PUT `{ properties: { accepted } }` to accept or revoke them (what `az vm image terms accept` sends).
   */
  private matchAgreement(incoming: SimIncoming, subscriptionId: string, rest: string[], orig: string[]): ArmMatch | undefined {
    const shape = ['providers', 'microsoft.marketplaceordering', 'offertypes', 'virtualmachine', 'publishers', '*', 'offers', '*', 'plans', '*', 'agreements', 'current'];
    if (!shape.every((part, i) => part === '*' || part === rest[i])) return undefined;
    const plan: SimMarketplacePlan = { publisher: orig[5], offer: orig[7], plan: orig[9] };
    return this.route(
      incoming,
      'marketplaceAgreements',
      undefined,
      subscriptionId,
      null,
      (sub) =>
        this.withApiVersion(incoming, () => {
          if (incoming.method === 'PUT') {
            let accepted: unknown;
            try {
              accepted = (JSON.parse(incoming.body) as { properties?: { accepted?: unknown } }).properties?.accepted;
            } catch {
              accepted = undefined;
            }
            if (typeof accepted !== 'boolean') {
              return refusalResponse({ status: 400, code: 'InvalidParameter', message: "The request body must carry 'properties.accepted' (true or false).", target: 'accepted' });
            }
            this.config.terms.set(sub.id, plan, accepted);
          }
          return jsonResponse(200, this.config.terms.wire(sub.id, plan));
        }),
      ['GET', 'PUT'],
    );
  }

  /**
   * VirtualMachineImages_ListOffers: a bare JSON array of `{ location, name, id }` (no `value`
   * envelope, not paged), ids in Compute's capitalized form (`/Subscriptions/…/Providers/…`).
   */
  private imageOffers(sub: SubscriptionEstate, location: string, publisher: string): SimResponse {
    const loc = location.toLowerCase();
    if (!KNOWN_LOCATIONS.includes(loc)) return this.unknownImageLocation(location);
    const name = this.config.images.publisher(publisher);
    const offers = name ? this.config.images.offers(sub.id, name) : [];
    if (!name) return armError(404, 'NotFound', `Artifact: VMImage was not found.`);
    return jsonResponse(
      200,
      offers.map((offer) => ({ location: loc, name: offer, id: `${imageBase(sub.id, loc, name)}/ArtifactTypes/VMImage/Offers/${offer}` })),
    );
  }

  /** VirtualMachineImages_ListSkus: a bare JSON array of `{ location, name, id }`. */
  private imageSkus(sub: SubscriptionEstate, location: string, publisher: string, offer: string): SimResponse {
    const loc = location.toLowerCase();
    if (!KNOWN_LOCATIONS.includes(loc)) return this.unknownImageLocation(location);
    const name = this.config.images.publisher(publisher);
    const skus = name ? this.config.images.skus(sub.id, name, offer) : undefined;
    if (!name || !skus) return armError(404, 'NotFound', `Artifact: VMImage was not found.`);
    const offerName = this.config.images.offers(sub.id, name).find((o) => o.toLowerCase() === offer.toLowerCase()) ?? offer;
    return jsonResponse(
      200,
      skus.map((sku) => ({ location: loc, name: sku, id: `${imageBase(sub.id, loc, name)}/ArtifactTypes/VMImage/Offers/${offerName}/Skus/${sku}` })),
    );
  }

  private unknownImageLocation(location: string): SimResponse {
    return armError(400, 'InvalidParameter', `The value of parameter location '${location}' is invalid.`);
  }

  /**
   * Usage_List: `{ value: [{ unit, currentValue, limit, name: { value, localizedValue } }] }`,
   * the regional vCPUs (the quota VM PUTs are checked against) and one entry per size family
   * in use, counting the allocated VMs of the location as the quota check does.
   */
  private usages(sub: SubscriptionEstate, location: string, incoming: SimIncoming): SimResponse {
    if (!KNOWN_LOCATIONS.includes(location)) {
      return armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${location}' and API version '${queryParam(incoming.query, 'api-version')}' ` +
          `for type 'locations/usages'. The supported locations are '${KNOWN_LOCATIONS.join(', ')}'.`,
      );
    }
    const limit = this.config.creations.coreQuota(sub.id, location);
    const current = this.config.creations.coreUsage(sub.id, location);
    const families = new Map<string, number>();
    for (const vm of sub.vms.all()) {
      if (vm.location.toLowerCase() !== location || vm.powerState === 'deallocated' || vm.provisioningState === 'Failed') continue;
      const cores = VM_SIZES.find((s) => s.name.toLowerCase() === vm.vmSize.toLowerCase())?.numberOfCores ?? 0;
      const family = sizeFamily(vm.vmSize);
      families.set(family, (families.get(family) ?? 0) + cores);
    }
    // Families of every known size are listed (Azure lists them all), the ones in use with their vCPUs.
    for (const size of VM_SIZES) if (!families.has(sizeFamily(size.name))) families.set(sizeFamily(size.name), 0);
    const usage = (value: string, localizedValue: string, currentValue: number, max: number) => ({ unit: 'Count', currentValue, limit: max, name: { value, localizedValue } });
    return jsonResponse(200, {
      value: [
        usage('availabilitySets', 'Availability Sets', 0, 2500),
        usage('cores', 'Total Regional vCPUs', current, limit),
        usage('virtualMachines', 'Virtual Machines', sub.vms.all().filter((vm) => vm.location.toLowerCase() === location).length, 25000),
        ...[...families].sort(([a], [b]) => a.localeCompare(b)).map(([family, cores]) => usage(family, familyLabel(family), cores, limit)),
      ],
    });
  }

  /** Subnets_Get: the subnet when it exists (added with addSubnet, or a group's `<rg>-vnet/default`). */
  /**
   * Images_Get: the managed image, its OS disk generalized. A missing one is ARM's generic
   * ResourceNotFound ("The Resource 'Microsoft.Compute/images/<name>' under resource group '<rg>'
   * was not found…"), as for any resource a provider does not hold.
   */
  private managedImage(sub: SubscriptionEstate, group: string, name: string): SimResponse {
    const image = this.estate.findImage(`/subscriptions/${sub.id}/resourceGroups/${group}/providers/Microsoft.Compute/images/${name}`);
    if (!image) {
      return armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Compute/images/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return jsonResponse(200, {
      name: image.name,
      id: image.id,
      type: 'Microsoft.Compute/images',
      location: image.location,
      properties: {
        ...(image.sourceVmId ? { sourceVirtualMachine: { id: image.sourceVmId } } : {}),
        storageProfile: {
          osDisk: { osType: image.osType, osState: 'Generalized', caching: 'ReadWrite', storageAccountType: 'Premium_LRS', diskSizeGB: 64 },
          dataDisks: [],
          zoneResilient: false,
        },
        provisioningState: 'Succeeded',
        hyperVGeneration: image.hyperVGeneration,
      },
    });
  }

  private subnet(sub: SubscriptionEstate, group: string, vnet: string, name: string): SimResponse {
    const id = `/subscriptions/${sub.id}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${name}`;
    if (!this.group(sub, group)) return this.groupNotFound(group);
    if (!this.estate.hasSubnet(id)) {
      return armError(404, 'NotFound', `Resource ${id} not found.`);
    }
    return jsonResponse(200, {
      name,
      id,
      etag: `W/"${randomUUID()}"`,
      type: 'Microsoft.Network/virtualNetworks/subnets',
      properties: { provisioningState: 'Succeeded', addressPrefix: '10.0.0.0/24', privateEndpointNetworkPolicies: 'Disabled', privateLinkServiceNetworkPolicies: 'Enabled' },
    });
  }

  private vmSizes(location: string, incoming: SimIncoming): SimResponse {
    if (!KNOWN_LOCATIONS.includes(location)) {
      return armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${location}' and API version '${queryParam(incoming.query, 'api-version')}' ` +
          `for type 'locations/vmSizes'. The supported locations are '${KNOWN_LOCATIONS.join(', ')}'.`,
      );
    }
    // Not paged: ARM returns every size in one response.
    return jsonResponse(200, { value: VM_SIZES });
  }

  private listSubscriptions(): SimResponse {
    return jsonResponse(200, {
      value: this.config.subscriptionIds.map((id, i) => subscriptionToWire(id, this.config.tenantId, i)),
      count: { type: 'Total', value: this.config.subscriptionIds.length },
    });
  }

  private getSubscription(subscriptionId: string): SimResponse {
    const index = this.config.subscriptionIds.findIndex((id) => id.toLowerCase() === subscriptionId.toLowerCase());
    return jsonResponse(200, subscriptionToWire(this.config.subscriptionIds[index], this.config.tenantId, index));
  }

  private group(sub: SubscriptionEstate, name: string) {
    return sub.resourceGroups.get(`/subscriptions/${sub.id}/resourcegroups/${name}`);
  }

  private groupNotFound(name: string): SimResponse {
    return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
  }

  private resourceNotFound(type: ResourceType, name: string, groupName: string): SimResponse {
    return armError(
      404,
      'ResourceNotFound',
      `The Resource '${type.provider}/${name}' under resource group '${groupName}' was not found. ` +
        'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
    );
  }
}

/** The status and Location routes of deletions: `<provider>/<segment>` → the api-version family and whether it is the Location route. */
const DELETION_STATUS_ROUTES: Record<string, { family: ApiVersionFamily; monitor: boolean } | undefined> = {
  'microsoft.compute/diskoperations': { family: 'disks', monitor: false },
  'microsoft.network/operations': { family: 'network', monitor: false },
  'microsoft.network/operationresults': { family: 'network', monitor: true },
};

/** ARM's error envelope with the `target` a resource provider names. */
function refusalResponse(refusal: CreateRefusal): SimResponse {
  const error: Record<string, string> = { code: refusal.code, message: refusal.message };
  if (refusal.target !== undefined) error.target = refusal.target;
  return jsonResponse(refusal.status, { error });
}

function imageBase(subscriptionId: string, location: string, publisher: string): string {
  return `/Subscriptions/${subscriptionId}/Providers/Microsoft.Compute/Locations/${location}/Publishers/${publisher}`;
}

/** `standardDSv3Family` → `Standard DSv3 Family vCPUs`, as Azure labels family quotas. */
function familyLabel(family: string): string {
  const match = /^(standard|basic)(.*)Family$/.exec(family);
  return match ? `${match[1][0].toUpperCase()}${match[1].slice(1)} ${match[2]} Family vCPUs` : family;
}

function groupOf(id: string): string {
  return id.split('/')[4]?.toLowerCase() ?? '';
}

function headerOf(incoming: SimIncoming, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Compute's operation times carry seven fractional digits and an offset (`2024-01-01T00:00:00.1234567+00:00`). */
function operationTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000+00:00`;
}

function routingStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
