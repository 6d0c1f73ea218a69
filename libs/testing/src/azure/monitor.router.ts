import { randomUUID } from 'node:crypto';
import { parseActivityLogFilter, type ActivityLog } from './activity-log.js';
import type { ArmMatch } from './arm.router.js';
import { armError, jsonResponse, queryParam, type SimIncoming, type SimResponse } from './sim-http.js';
import type { SimEstate } from './sim-estate.js';
import {
  grainMinutes,
  metricToWire,
  parseAggregations,
  simMetricName,
  simMetricValue,
  type PowerTimeline,
  type SimMetricQuery,
} from './sim-metrics.js';

export interface SimMonitorConfig {
  pageSize: number;
  baseUrl: () => string;
  /** Whether `authorization` is a live token for `audience` (e.g. `https://metrics.monitor.azure.com`). */
  hasAudience: (authorization: string | undefined, audience: string) => boolean;
  isValidBearer: (authorization: string | undefined) => boolean;
}

/** The data plane's limit of resource ids per metrics:getBatch call (learn.microsoft.com, "Metrics batch query"). */
export const METRICS_BATCH_MAX_RESOURCES = 50;
export const METRICS_AUDIENCE = 'https://metrics.monitor.azure.com';
/**
 * Audiences the data plane accepts. monitor-query-metrics 1.0.0 asks by default for a token for
 * `https://management.azure.com/.default` (its MetricsClient sets `audience` to
 * KnownMonitorMetricsQueryAudience.AzurePublicCloud; read in the package source), so the real
 * service must accept ARM tokens as well as its own audience.
 */
export const METRICS_ACCEPTED_AUDIENCES = [METRICS_AUDIENCE, 'https://management.azure.com'];
const VM_NAMESPACE = 'microsoft.compute/virtualmachines';
const MAX_TIMESPAN_MS = 31 * 24 * 3600_000;

/**
 * Azure Monitor on the simulator: the Activity Log list and the ARM metrics read (served through
 * the ARM router, with ARM's checks) and the regional data-plane metrics:getBatch POST.
 */
export class SimMonitor {
  constructor(
    private readonly estate: SimEstate,
    private readonly log: ActivityLog,
    private readonly power: PowerTimeline,
    private readonly config: SimMonitorConfig,
  ) {}

  /** The value the metrics routes serve for a VM and minute, or null when the VM was not running. */
  valueAt(vmId: string, metric: string, minuteStartMs: number): number | null {
    const minute = Math.floor(minuteStartMs / 60_000) * 60_000;
    return this.power.runningAt(vmId, minute) ? simMetricValue(vmId, metric, minute) : null;
  }

  /** `GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values`. */
  activityLog(incoming: SimIncoming, subscriptionId: string): SimResponse {
    const filter = parseActivityLogFilter(queryParam(incoming.query, '$filter'));
    if (typeof filter === 'string') return armError(400, 'BadRequest', filter);
    const token = queryParam(incoming.query, '$skipToken');
    const cursor = token === undefined ? undefined : decodeCursor(token);
    if (cursor === null) return armError(400, 'BadRequest', `The skip token '${token}' is invalid.`);
    const matching = this.log.query(subscriptionId, filter, Date.now());
    // Newest first: the cursor is the (time, seq) of the last event served; the next page starts after it.
    const start = cursor ? matching.findIndex((r) => r.timestampMs < cursor.ms || (r.timestampMs === cursor.ms && r.seq < cursor.seq)) : 0;
    const from = start < 0 ? matching.length : start;
    const page = matching.slice(from, from + this.config.pageSize);
    const select = queryParam(incoming.query, '$select')
      ?.split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const body: { value: unknown[]; nextLink?: string } = {
      value: page.map((r) => (select && select.length > 0 ? pick(r.wire, select) : r.wire)),
    };
    if (from + this.config.pageSize < matching.length) {
      const last = page[page.length - 1];
      body.nextLink = this.nextLink(incoming, encodeCursor({ ms: last.timestampMs, seq: last.seq, page: (cursor?.page ?? 1) + 1 }));
    }
    return jsonResponse(200, body);
  }

  /** The 1-based page of an Activity Log request (for page-targeted faults). */
  activityLogPage(incoming: SimIncoming): number {
    const token = queryParam(incoming.query, '$skipToken');
    return (token === undefined ? undefined : decodeCursor(token)?.page) ?? 1;
  }

  /** `GET /{resourceUri}/providers/Microsoft.Insights/metrics` (ARM, api-version 2018-01-01 and later). */
  armMetrics(incoming: SimIncoming, resourceSegments: string[]): SimResponse {
    const resourceId = '/' + resourceSegments.join('/');
    const vm = this.estate.findVm(resourceId);
    if (!vm) return armError(404, 'ResourceNotFound', `The Resource '${resourceSegments.slice(-2).join('/')}' was not found.`);
    const timespan = queryParam(incoming.query, 'timespan');
    const [from, to] = timespan ? timespan.split('/') : [undefined, undefined];
    const query = this.metricQuery(incoming, from, to);
    if (typeof query === 'string') return armError(400, 'BadRequest', query);
    return jsonResponse(200, {
      cost: 0,
      timespan: `${isoSeconds(query.fromMs)}/${isoSeconds(query.toMs)}`,
      interval: query.interval,
      namespace: 'Microsoft.Compute/virtualMachines',
      resourceregion: vm.location,
      value: query.metrics.map((metric) => metricToWire(vm.id, metric, query, Date.now(), (m) => this.valueAt(vm.id, metric, m))),
    });
  }

  /**
   * `POST /subscriptions/{s}/metrics:getBatch` of the regional data plane. Served on this origin
   * both at the root and under `/regions/{location}` (a stand-in for `https://{location}.metrics.monitor.azure.com`,
   * where every resource must be in that region).
   */
  matchBatch(incoming: SimIncoming): ArmMatch | undefined {
    const s = incoming.segments.map((x) => x.toLowerCase());
    let region: string | undefined;
    let rest = s;
    if (s[0] === 'regions' && s.length >= 2) {
      region = s[1];
      rest = s.slice(2);
    }
    if (!(rest.length === 3 && rest[0] === 'subscriptions' && rest[2] === 'metrics:getbatch')) return undefined;
    const subscriptionId = incoming.segments[incoming.segments.length - 2];
    return { faultRoute: 'metricsBatch', page: undefined, serve: () => this.batch(incoming, subscriptionId, region) };
  }

  private batch(incoming: SimIncoming, subscriptionId: string, region: string | undefined): SimResponse {
    const headers = { 'x-ms-request-id': randomUUID() };
    const fail = (status: number, code: string, message: string) => armError(status, code, message, headers);
    const authorization = headerOf(incoming, 'authorization');
    if (!this.config.isValidBearer(authorization)) return fail(401, 'InvalidAuthenticationToken', 'The access token is missing or invalid.');
    if (!METRICS_ACCEPTED_AUDIENCES.some((audience) => this.config.hasAudience(authorization, audience))) {
      return fail(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for the wrong audience or resource. It must be '${METRICS_AUDIENCE}'.`);
    }
    if (incoming.method !== 'POST') return fail(405, 'MethodNotAllowed', `metrics:getBatch accepts POST only, not ${incoming.method}.`);
    if (!queryParam(incoming.query, 'api-version')) return fail(400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
    if (!this.estate.subscription(subscriptionId)) return fail(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    const namespace = queryParam(incoming.query, 'metricnamespace');
    if (!namespace || namespace.toLowerCase() !== VM_NAMESPACE) {
      return fail(400, 'BadRequest', `The metric namespace '${namespace ?? ''}' is not supported by the simulator (only Microsoft.Compute/virtualMachines).`);
    }
    let ids: unknown;
    try {
      ids = (JSON.parse(incoming.body) as { resourceids?: unknown }).resourceids;
    } catch {
      return fail(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) {
      return fail(400, 'BadRequest', 'The request body must contain a non-empty resourceids list.');
    }
    const resourceIds = [...new Set(ids as string[])];
    if (resourceIds.length > METRICS_BATCH_MAX_RESOURCES) {
      return fail(400, 'BadRequest', `At most ${METRICS_BATCH_MAX_RESOURCES} resource ids are allowed in one batch; got ${resourceIds.length}.`);
    }
    const query = this.metricQuery(incoming, queryParam(incoming.query, 'starttime'), queryParam(incoming.query, 'endtime'));
    if (typeof query === 'string') return fail(400, 'BadRequest', query);
    const values: unknown[] = [];
    for (const id of resourceIds) {
      if (id.split('/')[2]?.toLowerCase() !== subscriptionId.toLowerCase()) {
        return fail(400, 'BadRequest', `The resource '${id}' is not in subscription '${subscriptionId}'; all resources of a batch must be.`);
      }
      const vm = this.estate.findVm(id);
      if (vm && region && vm.location.toLowerCase() !== region) {
        // The real data plane is regional (unverified wording of its error).
        return fail(400, 'BadRequest', `The resource '${id}' is in region '${vm.location}', not in '${region}' where the request was sent.`);
      }
      const now = Date.now();
      values.push({
        starttime: new Date(query.fromMs).toISOString(),
        endtime: new Date(query.toMs).toISOString(),
        interval: query.interval,
        value: vm
          ? query.metrics.map((metric) => metricToWire(id, metric, query, now, (m) => this.valueAt(vm.id, metric, m)))
          : query.metrics.map((metric) => ({
              ...metricToWire(id, metric, query, now, () => null),
              timeseries: [],
              errorCode: 'ResourceNotFound',
              errorMessage: `The resource '${id}' was not found (unverified shape).`,
            })),
        namespace: VM_NAMESPACE,
        resourceregion: vm?.location ?? region ?? '',
        resourceid: id,
      });
    }
    return jsonResponse(200, { values }, headers);
  }

  private metricQuery(incoming: SimIncoming, from: string | undefined, to: string | undefined): SimMetricQuery | string {
    const now = Date.now();
    const toMs = to ? Date.parse(to) : now;
    const fromMs = from ? Date.parse(from) : toMs - 3600_000;
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return `The time span '${from ?? ''}/${to ?? ''}' is not valid.`;
    if (fromMs >= toMs) return 'The start time must be before the end time.';
    if (toMs - fromMs > MAX_TIMESPAN_MS) return 'The time span may not exceed 31 days.';
    const interval = (queryParam(incoming.query, 'interval') ?? 'PT1M').toUpperCase();
    const grain = grainMinutes(interval);
    if (grain === undefined) return `The interval '${interval}' is not supported.`;
    const names = (queryParam(incoming.query, 'metricnames') ?? 'Percentage CPU').split(',');
    const metrics: string[] = [];
    for (const name of names) {
      const canonical = simMetricName(name);
      if (!canonical) return `Failed to find metric configuration for provider: Microsoft.Compute, resource Type: virtualMachines, metric: ${name.trim()}, Valid metrics: Percentage CPU,Available Memory Bytes,Disk Read Bytes,Disk Write Bytes,Network In Total,Network Out Total`;
      if (!metrics.includes(canonical)) metrics.push(canonical);
    }
    const aggregations = parseAggregations(queryParam(incoming.query, 'aggregation'));
    if (typeof aggregations === 'string') return aggregations;
    return { metrics, fromMs, toMs, grainMinutes: grain, interval, aggregations };
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
    params.set('$skipToken', skipToken);
    const path = '/' + incoming.segments.map(encodeURIComponent).join('/');
    return `${this.config.baseUrl()}${path}?${params.toString()}`;
  }
}

function pick(wire: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) if (fields.includes(key.toLowerCase())) out[key] = value;
  return out;
}

interface Cursor {
  ms: number;
  seq: number;
  page: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.ms}:${cursor.seq}:${cursor.page}`).toString('base64url');
}

function decodeCursor(token: string): Cursor | null {
  const match = /^(-?\d+):(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  return match ? { ms: Number(match[1]), seq: Number(match[2]), page: Number(match[3]) } : null;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function headerOf(incoming: SimIncoming, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
