import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArmRouter } from './arm.router.js';
import type { AzureSimulatorOptions, FaultSpec, SimPowerState, SimRequest, SimVmSpec } from './azure-simulator.types.js';
import { EntraIdEndpoint } from './entra-id.endpoint.js';
import { EstateGenerator } from './estate.generator.js';
import { FaultInjector } from './fault.injector.js';
import { ReadRateLimiter } from './read-rate.limiter.js';
import { SimCertificateFactory } from './sim-certificate.factory.js';
import { SimEstate } from './sim-estate.js';
import { armError, armServerError, armThrottled, parseIncoming, type SimIncoming, type SimResponse } from './sim-http.js';

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
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private stopped = false;

  private constructor(
    private readonly server: Server,
    private readonly estate: SimEstate,
    private readonly entra: EntraIdEndpoint,
    private readonly arm: ArmRouter,
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

    const certificates = SimCertificateFactory.forHost(host);
    let baseUrl = '';
    const entra = new EntraIdEndpoint({ tenantId, clientId, clientSecret, baseUrl: () => baseUrl });
    const arm = new ArmRouter(estate, {
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
    const simulator = new AzureSimulator(server, estate, entra, arm, {
      url: baseUrl,
      caCertificate: certificates.caCertificate,
      tenantId,
      clientId,
      clientSecret,
      subscriptionIds,
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void simulator.handle(req, res));
    return simulator;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Returns an id for the fault; see FaultSpec for which requests match. */
  injectFault(spec: FaultSpec): string {
    return this.faults.inject(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  addVm(subscriptionId: string, spec: SimVmSpec): string {
    return this.estate.addVm(subscriptionId, spec);
  }

  /** Removes the VM with its NIC(s), public IP(s) and disks. */
  removeVm(vmId: string): void {
    this.estate.removeVm(vmId);
  }

  /** 'deallocated' also hides the guest's osName/osVersion (Azure reports null) until it runs again. */
  setPowerState(vmId: string, state: SimPowerState): void {
    this.estate.setPowerState(vmId, state);
  }

  resizeVm(vmId: string, vmSize: string): void {
    this.estate.resizeVm(vmId, vmSize);
  }

  setTags(vmId: string, tags: Record<string, string>): void {
    this.estate.setTags(vmId, tags);
  }

  setLicenseType(vmId: string, licenseType: string | null): void {
    this.estate.setLicenseType(vmId, licenseType);
  }

  vmIds(subscriptionId?: string): string[] {
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

    const entraMatch = this.entra.match(incoming);
    const match = entraMatch ?? this.arm.match(incoming);
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
