import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActivityLog, type SimActivityOptions, type SimActivityTarget, type SimVmOperation } from './activity-log.js';
import { ArmRouter } from './arm.router.js';
import type { AzureSimulatorOptions, FaultSpec, SimDeletableKind, SimPowerState, SimRequest, SimVmSpec } from './azure-simulator.types.js';
import { EntraIdEndpoint } from './entra-id.endpoint.js';
import { EstateGenerator } from './estate.generator.js';
import { FaultInjector } from './fault.injector.js';
import { SimMonitor } from './monitor.router.js';
import { ReadRateLimiter } from './read-rate.limiter.js';
import { SimCertificateFactory } from './sim-certificate.factory.js';
import { resourceId, SimEstate } from './sim-estate.js';
import type { SimVm } from './sim-estate.model.js';
import { PowerTimeline } from './sim-metrics.js';
import { armError, armServerError, armThrottled, parseIncoming, type SimIncoming, type SimResponse } from './sim-http.js';
import { ResourceDeletions, type SimResourceDeletion } from './resource-deletions.js';
import { ResourceCreations, type SimResourceCreation } from './resource-creations.js';
import { MarketplaceTerms, type SimMarketplacePlan } from './marketplace-terms.js';
import { MarketplaceImages } from './marketplace-images.js';
import { VmOperations, type SimLongRunningOperation, type VmOperationFailureSpec, type VmOperationTiming } from './vm-operations.js';

/** A disk or NIC of a VM and what deleting the VM does to it. */
export interface SimAttachment {
  id: string;
  deleteOption: 'Delete' | 'Detach';
}

const DEFAULT_TENANT_ID = '7f3c2a1e-5b8d-4c6f-9a2e-1d4b6c8e0f21';
const DEFAULT_CLIENT_ID = '3b9e4d2c-8a1f-4e7b-b5c3-9f2d6a8e1c47';
const DEFAULT_CLIENT_SECRET = 'Qx8~sIm.Vz3kT_pR7nW2yLb5Hc-4dFgJ9aEuMoNq';
const DEFAULT_SUBSCRIPTION_ID = 'c2d7e9f1-4a6b-4c8d-9e0f-2a3b5c7d9e1f';

/**
 * An HTTPS server that the real Azure SDK talks to: Entra ID's token endpoint and ARM's read
 * routes on one origin, serving a generated estate in ARM's wire shapes, with fault injection.
 *
 * Wiring clients (observed with @azure/identity 4.13.1 and arm-compute 24 / network 36 / resources 7):
 * - `new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, { authorityHost: sim.url,
 *   disableInstanceDiscovery: true, tlsOptions: { ca: sim.caCertificate } })`. The credential's
 *   `tlsOptions` reach MSAL's network client, so NODE_EXTRA_CA_CERTS is not needed;
 *   `disableInstanceDiscovery` stops MSAL from asking login.microsoftonline.com about the authority.
 * - Clients: `{ endpoint: sim.url, tlsOptions: { ca: sim.caCertificate } }`.
 */
export class AzureSimulator {
  readonly url: string;
  readonly caCertificate: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionIds: string[];
  readonly requests: SimRequest[] = [];

  private readonly faults = new FaultInjector();
  private readonly inFlight = new Map<string, number>();
  private peakSubscriptions = 0;
  private latencyMs = 0;
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private stopped = false;

  private constructor(
    private readonly server: Server,
    private readonly estate: SimEstate,
    private readonly entra: EntraIdEndpoint,
    private readonly arm: ArmRouter,
    private readonly monitor: SimMonitor,
    private readonly log: ActivityLog,
    private readonly power: PowerTimeline,
    private readonly operations: VmOperations,
    private readonly deletions: ResourceDeletions,
    private readonly creations: ResourceCreations,
    private readonly terms: MarketplaceTerms,
    private readonly images: MarketplaceImages,
    init: { url: string; caCertificate: string; tenantId: string; clientId: string; clientSecret: string; subscriptionIds: string[] },
  ) {
    this.url = init.url;
    this.caCertificate = init.caCertificate;
    this.tenantId = init.tenantId;
    this.clientId = init.clientId;
    this.clientSecret = init.clientSecret;
    this.subscriptionIds = init.subscriptionIds;
  }

  static async start(options: AzureSimulatorOptions = {}): Promise<AzureSimulator> {
    const host = options.host ?? '127.0.0.1';
    const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
    const subscriptionIds = [...(options.subscriptionIds ?? [DEFAULT_SUBSCRIPTION_ID])];
    const seed = options.seed ?? 1;
    const pageSize = options.pageSize ?? 100;
    if (!(pageSize >= 1)) throw new Error('pageSize must be at least 1');

    const estate = new SimEstate(subscriptionIds, seed);
    const generator = new EstateGenerator(seed);
    subscriptionIds.forEach((subscriptionId, index) => {
      const generated = generator.generate(subscriptionId, index, options.vmCount ?? 36);
      for (const group of generated.resourceGroups) estate.ensureResourceGroup(subscriptionId, group.name, group.location, group.tags);
      for (const vm of generated.vms) estate.addVm(subscriptionId, vm.spec, vm.hints);
      for (const disk of generated.orphanDisks) estate.addOrphanDisk(subscriptionId, disk);
      for (const pip of generated.orphanPublicIps) estate.addOrphanPublicIp(subscriptionId, pip);
    });

    const startedAt = Date.now();
    const power = new PowerTimeline();
    for (const id of estate.vmIds()) power.begin(id, estate.findVm(id)?.powerState === 'running');
    const log = new ActivityLog(tenantId, seed);
    seedHistory(estate, log, startedAt);
    const operations = new VmOperations(estate, log, power, activityTarget, {
      delayMs: Math.max(0, options.operationDelayMs ?? 3000),
      retryAfterSeconds: Math.max(0, options.operationRetryAfterSeconds ?? 1),
    });
    // Deletions of disks, NICs and public IPs take the VM operations' timing.
    const deletions = new ResourceDeletions(estate, () => operations.timing);
    // Creations too; a VM create is one of the VM operations ('create').
    const terms = new MarketplaceTerms();
    const images = new MarketplaceImages(options.imageCatalogue);
    const creations = new ResourceCreations(estate, operations, power, terms, () => operations.timing, options.coreQuota);

    const certificates = SimCertificateFactory.forHost(host);
    let baseUrl = '';
    const entra = new EntraIdEndpoint({ tenantId, clientId, clientSecret, baseUrl: () => baseUrl });
    const monitor = new SimMonitor(estate, log, power, {
      pageSize,
      baseUrl: () => baseUrl,
      isValidBearer: (authorization) => entra.isValidBearer(authorization),
      hasAudience: (authorization, audience) => entra.hasAudience(authorization, audience),
    });
    const arm = new ArmRouter(estate, {
      monitor,
      operations,
      deletions,
      creations,
      terms,
      images,
      tenantId,
      subscriptionIds,
      pageSize,
      baseUrl: () => baseUrl,
      isValidBearer: (authorization) => entra.isValidBearer(authorization),
      rateLimiter: new ReadRateLimiter(options.rateLimit ?? false),
    });

    const server = createServer({ key: certificates.privateKey, cert: certificates.certificate });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    baseUrl = `https://${urlHost}:${port}`;
    const simulator = new AzureSimulator(server, estate, entra, arm, monitor, log, power, operations, deletions, creations, terms, images, {
      url: baseUrl,
      caCertificate: certificates.caCertificate,
      tenantId,
      clientId,
      clientSecret,
      subscriptionIds,
    });
    simulator.latencyMs = Math.max(0, options.latencyMs ?? 0);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void simulator.handle(req, res));
    return simulator;
  }

  /** The audience (`aud`, e.g. `https://metrics.monitor.azure.com/`) of every token issued so far, in order. */
  get issuedTokenAudiences(): readonly string[] {
    return this.entra.audiences;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /**
   * The most subscriptions that had an ARM request in flight at the same time (received, not yet
   * answered) since the start or the last resetConcurrency(): what a client's subscription
   * concurrency bound looks like from ARM's side. Give the simulator a latencyMs to make it show.
   */
  get peakConcurrentSubscriptions(): number {
    return this.peakSubscriptions;
  }

  resetConcurrency(): void {
    this.peakSubscriptions = this.inFlight.size;
  }

  /** Returns an id for the fault; see FaultSpec for which requests match. */
  injectFault(spec: FaultSpec): string {
    return this.faults.inject(spec);
  }

  /** Clears the injected faults and the VM operation failures (failVmOperations). */
  clearFaults(): void {
    this.faults.clear();
    this.operations.clearFailures();
  }

  /**
   * Makes long-running VM operations (power actions, DELETE, a create's PUT) end `Failed` on the
   * status URL with `error: { code, message }` (default AllocationFailed): those of one VM, or the
   * next N of any VM. A failed create leaves the VM in place with provisioningState Failed.
   */
  failVmOperations(spec: VmOperationFailureSpec = {}): void {
    this.operations.failOperations(spec);
  }

  /** How long a VM operation stays InProgress and the Retry-After it answers with; changes new operations. */
  setVmOperationTiming(timing: Partial<VmOperationTiming>): void {
    this.operations.timing = { ...this.operations.timing, ...timing };
  }

  /** The long-running VM operations accepted so far (settled up to now), oldest first. */
  vmOperations(): SimLongRunningOperation[] {
    this.operations.advance(Date.now());
    return this.operations.all();
  }

  /** The DELETEs of disks, NICs and public IPs accepted so far (settled up to now), oldest first. */
  resourceDeletions(): SimResourceDeletion[] {
    this.deletions.advance(Date.now());
    return this.deletions.all();
  }

  /** The PUTs of NICs and public IPs accepted so far (settled up to now), oldest first; VM creates are vmOperations() with action 'create'. */
  resourceCreations(): SimResourceCreation[] {
    this.creations.advance(Date.now());
    return this.creations.all();
  }

  /**
   * Sets the approved vCPU quota ("Total Regional Cores") of a subscription in a location; a VM PUT
   * that would take the allocated VMs' cores past it answers 409 OperationNotAllowed.
   */
  setCoreQuota(subscriptionId: string, location: string, limit: number): void {
    this.creations.setCoreQuota(subscriptionId, location, limit);
  }

  /** The vCPUs the subscription's allocated VMs hold in a location (what the quota check counts). */
  coreUsage(subscriptionId: string, location: string): number {
    this.advance();
    return this.creations.coreUsage(subscriptionId, location);
  }

  /**
   * Accepts (or declines) a plan's marketplace terms for a subscription, as `az vm image terms
   * accept` does. Undecided plans are accepted, except Red Hat `rhel-byos` (Cloud Access) plans.
   */
  setMarketplaceTerms(plan: SimMarketplacePlan, accepted: boolean, subscriptionId = this.subscriptionIds[0]): void {
    this.terms.set(subscriptionId, plan, accepted);
  }

  marketplaceTermsAccepted(plan: SimMarketplacePlan, subscriptionId = this.subscriptionIds[0]): boolean {
    return this.terms.isAccepted(subscriptionId, plan);
  }

  /** Sets (replaces) the skus of a marketplace offer the image listings serve; an empty list removes it. */
  setImageOffer(publisher: string, offer: string, skus: readonly string[]): void {
    this.images.setOffer(publisher, offer, skus);
  }

  /** Enrols a subscription in Red Hat Cloud Access (or not): only enrolled ones see `rhel-byos`. Default enrolled. */
  setCloudAccess(enabled: boolean, subscriptionId = this.subscriptionIds[0]): void {
    this.images.setCloudAccess(subscriptionId, enabled);
  }

  /**
   * Adds a subnet NIC PUTs may name; returns its id. Without one, only `<rg>-vnet/subnets/default`
   * of an existing resource group exists (where the generated NICs sit).
   */
  addSubnet(subscriptionId: string, resourceGroup: string, virtualNetwork: string, subnet = 'default'): string {
    this.estate.ensureResourceGroup(subscriptionId, resourceGroup, 'eastus');
    return this.estate.addSubnet(subscriptionId, resourceGroup, virtualNetwork, subnet);
  }

  /**
   * Adds a managed image (Images_Get serves it; a VM create from it must be in its region). A VM
   * added with a managed image's id adds that image by itself, in the VM's region.
   */
  addImage(subscriptionId: string, resourceGroup: string, name: string, options: { location: string; osType?: 'Linux' | 'Windows'; hyperVGeneration?: 'V1' | 'V2' }): string {
    return this.estate.addImage(subscriptionId, resourceGroup, name, options);
  }

  /** Deletes a managed image; the VMs made from it stay. Whether there was one. */
  removeImage(imageId: string): boolean {
    return this.estate.removeImage(imageId);
  }

  /** Whether the estate still has this disk, NIC or public IP (any casing of its id). */
  hasResource(kind: SimDeletableKind, resourceId: string): boolean {
    this.advance();
    if (kind === 'disk') return this.estate.findDisk(resourceId) !== undefined;
    if (kind === 'nic') return this.estate.findNic(resourceId) !== undefined;
    return this.estate.findPublicIp(resourceId) !== undefined;
  }

  /**
   * The ids of a VM's NICs, public IPs and disks, with the deleteOption of each attachment (what
   * a DELETE of the VM does to it).
   */
  vmResources(vmId: string): { nics: SimAttachment[]; publicIps: string[]; disks: SimAttachment[] } {
    const vm = this.estate.findVm(vmId);
    if (!vm) throw new Error(`Unknown VM ${vmId}`);
    return {
      nics: vm.nics.map((nic) => ({ id: nic.id, deleteOption: nic.deleteOption })),
      publicIps: vm.nics.flatMap((nic) => (nic.publicIp ? [nic.publicIp.id] : [])),
      disks: [vm.osDisk, ...vm.dataDisks].map((disk) => ({ id: disk.id, deleteOption: disk.deleteOption })),
    };
  }

  /**
   * Adds a VM and logs its creation (a `virtualMachines/write` BeginRequest/EndRequest pair,
   * subStatus Created). With `outcome: 'Failed'` only the failed write is logged.
   */
  addVm(subscriptionId: string, spec: SimVmSpec, options: SimActivityOptions = {}): string {
    const requestBody = { location: spec.location ?? 'eastus', properties: { hardwareProfile: { vmSize: spec.vmSize ?? 'Standard_D2s_v3' } } };
    if (options.outcome === 'Failed') {
      const id = resourceId(subscriptionId, spec.resourceGroup ?? 'rg-sim', 'Microsoft.Compute/virtualMachines', spec.name);
      this.log.record({ id, subscriptionId, resourceGroup: spec.resourceGroup ?? 'rg-sim', name: spec.name }, 'create', { ...options, requestBody });
      return id;
    }
    const id = this.estate.addVm(subscriptionId, spec);
    this.power.begin(id, (spec.powerState ?? 'running') === 'running', this.at(options));
    this.log.record(this.target(id), 'create', { ...options, created: true, requestBody });
    return id;
  }

  /** Removes the VM with its NIC(s), public IP(s) and disks, and logs a `virtualMachines/delete`. */
  removeVm(vmId: string, options: SimActivityOptions = {}): void {
    this.log.record(this.target(vmId), 'delete', options);
    if (options.outcome === 'Failed') return;
    this.estate.removeVm(vmId);
    this.power.change(vmId, false, this.at(options));
  }

  /**
   * 'deallocated' also hides the guest's osName/osVersion (Azure reports null) until it runs again.
   * Logs start (running), powerOff (stopped) or deallocate (deallocated); transitional states log nothing.
   */
  setPowerState(vmId: string, state: SimPowerState, options: SimActivityOptions = {}): void {
    const operation: SimVmOperation | undefined = ({ running: 'start', stopped: 'powerOff', deallocated: 'deallocate' } as const)[
      state as 'running' | 'stopped' | 'deallocated'
    ];
    if (operation) this.log.record(this.target(vmId), operation, options);
    if (options.outcome === 'Failed') return;
    this.estate.setPowerState(vmId, state);
    this.power.change(vmId, state === 'running', this.at(options));
  }

  /** Logs a `virtualMachines/restart/action`; the VM keeps running. */
  restartVm(vmId: string, options: SimActivityOptions = {}): void {
    this.log.record(this.target(vmId), 'restart', options);
  }

  /** Logs a `virtualMachines/write` whose request body sets hardwareProfile.vmSize. */
  resizeVm(vmId: string, vmSize: string, options: SimActivityOptions = {}): void {
    this.log.record(this.target(vmId), 'update', { ...options, requestBody: { properties: { hardwareProfile: { vmSize } } } });
    if (options.outcome !== 'Failed') this.estate.resizeVm(vmId, vmSize);
  }

  setTags(vmId: string, tags: Record<string, string>, options: SimActivityOptions = {}): void {
    this.log.record(this.target(vmId), 'update', { ...options, requestBody: { tags } });
    if (options.outcome !== 'Failed') this.estate.setTags(vmId, tags);
  }

  setLicenseType(vmId: string, licenseType: string | null, options: SimActivityOptions = {}): void {
    this.log.record(this.target(vmId), 'update', { ...options, requestBody: { properties: { licenseType } } });
    if (options.outcome !== 'Failed') this.estate.setLicenseType(vmId, licenseType);
  }

  /** Logs an operation on a VM without changing the estate (e.g. an extension write); returns its correlationId. */
  recordActivity(vmId: string, operation: SimVmOperation, options: SimActivityOptions & { requestBody?: unknown } = {}): string {
    return this.log.record(this.target(vmId), operation, options);
  }

  /** Every Activity Log record in the wire shape, newest first, including not yet visible ones. */
  activityLogEvents(subscriptionId?: string): Record<string, unknown>[] {
    this.operations.advance(Date.now());
    return this.log
      .all()
      .filter((r) => subscriptionId === undefined || r.subscriptionKey === subscriptionId.toLowerCase())
      .map((r) => r.wire);
  }

  /**
   * The value the metrics routes serve for a VM, metric (REST name) and minute, or null when the
   * VM was not running at the start of that minute (the service then omits the aggregations).
   * Equals `simMetricValue(vmId, metric, minute)` for running minutes.
   */
  metricValue(vmId: string, metric: string, minute: Date | number): number | null {
    return this.monitor.valueAt(vmId, metric, typeof minute === 'number' ? minute : minute.getTime());
  }

  /**
   * The metrics data-plane endpoint as a template with `{location}` (the real one is
   * `https://{location}.metrics.monitor.azure.com`): requests under it must name resources of that region.
   */
  get metricsEndpointTemplate(): string {
    return `${this.url}/regions/{location}`;
  }

  vmIds(subscriptionId?: string): string[] {
    this.operations.advance(Date.now());
    return this.estate.vmIds(subscriptionId);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const delay of this.pendingDelays) {
      clearTimeout(delay.timer);
      delay.resolve();
    }
    this.pendingDelays.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive sockets of SDK agents would hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const incoming = parseIncoming(req.method ?? 'GET', req.url ?? '/', req.headers, body);
    const record: SimRequest = { method: incoming.method, path: incoming.rawPath, query: incoming.query, status: 0 };
    this.requests.push(record);
    const subscription = /^\/+subscriptions\/+([^/]+)/i.exec(incoming.rawPath)?.[1]?.toLowerCase();
    if (!subscription) return this.serve(req, res, incoming, record);
    this.inFlight.set(subscription, (this.inFlight.get(subscription) ?? 0) + 1);
    this.peakSubscriptions = Math.max(this.peakSubscriptions, this.inFlight.size);
    let done = false;
    // A request ends when it is answered, or when its client gives up on it (closes the connection).
    const leave = () => {
      if (done) return;
      done = true;
      const left = (this.inFlight.get(subscription) ?? 1) - 1;
      if (left > 0) this.inFlight.set(subscription, left);
      else this.inFlight.delete(subscription);
    };
    res.once('close', leave);
    try {
      if (this.latencyMs > 0) await this.delay(this.latencyMs);
      if (this.stopped) return;
      await this.serve(req, res, incoming, record);
    } finally {
      leave();
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse, incoming: SimIncoming, record: SimRequest): Promise<void> {
    const entraMatch = this.entra.match(incoming);
    const match = entraMatch ?? this.monitor.matchBatch(incoming) ?? this.arm.match(incoming);
    record.route = match?.faultRoute ?? 'unknown';
    if (match && 'vmAction' in match && match.vmAction) record.vmAction = match.vmAction;
    if (match && 'deletion' in match && match.deletion) record.deletion = match.deletion;
    if (match && 'creation' in match && match.creation) record.creation = match.creation;
    const fault = match ? this.faults.take(match.faultRoute, match.page) : this.faults.take('*', undefined);

    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') {
      await this.delay(fault.delayMs ?? 1000);
      if (this.stopped) return;
    }
    let response: SimResponse;
    // Long-running operations whose delay has passed settle before anything reads the estate.
    this.advance();
    if (fault?.kind === 'throttle') {
      const retryAfter = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
      response = entraMatch ? this.entra.faultResponse(429, retryAfter) : armThrottled(retryAfter);
    } else if (fault?.kind === 'error') {
      const status = fault.status ?? 500;
      response = entraMatch ? this.entra.faultResponse(status, null) : armServerError(status);
    } else {
      response = match ? match.serve() : this.notFound(incoming);
    }
    if (fault?.kind === 'malformed') response = truncated(response);

    record.status = response.status;
    if (res.destroyed) return;
    res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
    res.end(response.body);
  }

  /** Settles the operations whose delay has passed. */
  private advance(): void {
    const now = Date.now();
    this.operations.advance(now);
    this.deletions.advance(now);
    this.creations.advance(now);
  }

  private at(options: SimActivityOptions): number {
    return options.at?.getTime() ?? Date.now();
  }

  private target(vmId: string): SimActivityTarget {
    const vm = this.estate.findVm(vmId);
    if (!vm) throw new Error(`Unknown VM ${vmId}`);
    return activityTarget(vm);
  }

  private notFound(incoming: SimIncoming): SimResponse {
    return armError(404, 'NotFound', `The path '${incoming.rawPath}' is not served by the Azure simulator.`);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.pendingDelays.add(entry);
    });
  }
}

function activityTarget(vm: SimVm): SimActivityTarget {
  return { id: vm.id, subscriptionId: vm.subscriptionId, resourceGroup: vm.resourceGroup, name: vm.name, upperCaseGroup: vm.upperRefs };
}

/** A small deterministic history so a first poll finds something: creation and start of a few VMs in the last 30 minutes. */
function seedHistory(estate: SimEstate, log: ActivityLog, nowMs: number): void {
  for (const subscriptionId of new Set(estate.vmIds().map((id) => id.split('/')[2]))) {
    estate
      .vmIds(subscriptionId)
      .slice(0, 4)
      .forEach((id, i) => {
        const vm = estate.findVm(id)!;
        const createdAt = new Date(nowMs - (28 - i * 5) * 60_000);
        const requestBody = { location: vm.location, properties: { hardwareProfile: { vmSize: vm.vmSize } } };
        log.record(activityTarget(vm), 'create', { at: createdAt, visibleAt: createdAt, created: true, requestBody, nowMs });
        const startedAt = new Date(createdAt.getTime() + 2 * 60_000);
        log.record(activityTarget(vm), 'start', { at: startedAt, visibleAt: startedAt, nowMs });
      });
  }
}

/** A 200 whose JSON is cut in half: a proper prefix of an object is never valid JSON. */
function truncated(response: SimResponse): SimResponse {
  const body = response.body.length > 1 ? response.body.slice(0, Math.floor(response.body.length / 2)) : '{';
  return { status: 200, headers: { ...response.headers, 'content-type': 'application/json; charset=utf-8' }, body };
}

function readBody(req: IncomingMessage): Promise<string> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    return Promise.resolve('');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}
