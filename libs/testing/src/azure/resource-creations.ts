import { randomUUID } from 'node:crypto';
import type { SimCreationKind } from './azure-simulator.types.js';
import {
  canonicalBody,
  isRefusal,
  parseNicCreate,
  parsePublicIpCreate,
  parseVmCreate,
  type CreateRefusal,
  type VmCreateRequest,
} from './create-request.parser.js';
import type { MarketplaceTerms } from './marketplace-terms.js';
import { MANAGED_IMAGE_ID, resourceId, type SimEstate } from './sim-estate.js';
import type { SimGuestReport, SimImageReference, SimNic, SimPublicIp, SimVm } from './sim-estate.model.js';
import type { PowerTimeline } from './sim-metrics.js';
import type { SimLongRunningOperation, VmOperations, VmOperationTiming } from './vm-operations.js';
import { KNOWN_LOCATIONS, VM_SIZES } from './vm-size.catalog.js';

/** A PUT of a NIC or public IP, accepted (201) and settling once its delay has passed. */
export interface SimResourceCreation {
  /** The operation id (a GUID) in the status URL. */
  id: string;
  kind: Exclude<SimCreationKind, 'vm'>;
  resourceId: string;
  location: string;
  subscriptionId: string;
  startMs: number;
  dueMs: number;
  status: 'InProgress' | 'Succeeded';
  endMs?: number;
}

/** What a PUT did: created (201) or found the same resource (200), with the operation still running, if any. */
export type CreationResult =
  | { status: 200 | 201; kind: 'vm'; resource: SimVm; operation?: SimLongRunningOperation }
  | { status: 200 | 201; kind: 'nic'; resource: SimNic; operation?: SimResourceCreation }
  | { status: 200 | 201; kind: 'publicIp'; resource: SimPublicIp; operation?: SimResourceCreation };

const DEFAULT_CORE_QUOTA = 1000;
const LATEST_RHEL_MINOR: Record<string, string> = { '7': '7.9', '8': '8.10', '9': '9.4' };
const LINUX_AGENT = '2.15.1.3';

/**
 * The PUTs that create VMs, NICs and public IPs, checked as the resource providers check them and
 * answered synchronously with Azure's error codes:
 * - NIC naming a subnet or public IP that does not exist: 400 InvalidResourceReference "Resource <id>
 *   referenced by resource <nic id> was not found. Please make sure that the referenced resource
 *   exists, and that both resources are in the same region." (MicrosoftDocs/azure-docs#81734, Azure/azure-cli#8569);
 * - VM size not offered in the location: 409 SkuNotAvailable "The requested VM size for resource
 *   'Following SKUs have failed for Capacity Restrictions: <size>' is currently not available in
 *   location '<loc>'…" (Azure/azure-cli#32628, Azure-Samples/azuresandbox#70);
 * - vCPU quota exceeded: 409 OperationNotAllowed "Operation could not be completed as it results in
 *   exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource
 *   Manager, Location: …, Current Limit: …, Current Usage: …, Additional Required: …, (Minimum) New
 *   Limit Required: …" (nforgeio/neonKUBE#1671: 409, OperationNotAllowed);
 * - plan terms not accepted: 400 ResourcePurchaseValidationFailed "User failed validation to
 *   purchase resources. Error message: 'Legal terms have not been accepted for this item on this
 *   subscription: '<sub>'…" (a direct VM PUT; hashicorp/terraform-provider-azurerm#1145 and #4305.
 *   MarketplacePurchaseEligibilityFailed is what a template deployment reports, MicrosoftDocs/azure-docs#25359);
 * - a Cloud Access image without its plan block: 400 VMMarketplaceInvalidInput (unverified wording).
 * The network creates settle lazily like the deletions; a VM create is a VmOperations operation
 * ('create'), so failVmOperations({ action: 'create' }) makes it end Failed (AllocationFailed).
 */
export class ResourceCreations {
  private readonly operations = new Map<string, SimResourceCreation>();
  private readonly quotas = new Map<string, number>();

  constructor(
    private readonly estate: SimEstate,
    private readonly vmOperations: VmOperations,
    private readonly power: PowerTimeline,
    private readonly terms: MarketplaceTerms,
    private readonly timing: () => VmOperationTiming,
    private readonly defaultCoreQuota = DEFAULT_CORE_QUOTA,
  ) {}

  get(operationId: string): SimResourceCreation | undefined {
    return this.operations.get(operationId.toLowerCase());
  }

  all(): SimResourceCreation[] {
    return [...this.operations.values()];
  }

  setCoreQuota(subscriptionId: string, location: string, limit: number): void {
    if (!(limit >= 0)) throw new Error('A core quota must be >= 0');
    this.quotas.set(`${subscriptionId}/${location}`.toLowerCase(), limit);
  }

  coreQuota(subscriptionId: string, location: string): number {
    return this.quotas.get(`${subscriptionId}/${location}`.toLowerCase()) ?? this.defaultCoreQuota;
  }

  /** The vCPUs the subscription's allocated VMs use in the location (deallocated and failed ones hold none). */
  coreUsage(subscriptionId: string, location: string): number {
    const sub = this.estate.subscription(subscriptionId);
    if (!sub) return 0;
    return sub.vms
      .all()
      .filter((vm) => vm.location.toLowerCase() === location.toLowerCase() && vm.powerState !== 'deallocated' && vm.provisioningState !== 'Failed')
      .reduce((sum, vm) => sum + (VM_SIZES.find((s) => s.name.toLowerCase() === vm.vmSize.toLowerCase())?.numberOfCores ?? 0), 0);
  }

  advance(nowMs: number): void {
    for (const op of this.operations.values()) {
      if (op.status === 'InProgress' && op.dueMs <= nowMs) this.settle(op, op.dueMs);
    }
  }

  createPublicIp(subscriptionId: string, group: string, name: string, raw: string, nowMs: number): CreationResult | CreateRefusal {
    this.advance(nowMs);
    const id = resourceId(subscriptionId, group, 'Microsoft.Network/publicIPAddresses', name);
    const createBody = canonicalBody(raw);
    const existing = this.estate.findPublicIp(id);
    if (existing) {
      const same = this.same(existing.createBody, createBody);
      return isRefusal(same) ? same : { status: 200, kind: 'publicIp', resource: existing, operation: this.pending(existing.id) };
    }
    const request = parsePublicIpCreate(raw);
    if (isRefusal(request)) return request;
    const pip = this.estate.createPublicIp(subscriptionId, group, name, request, createBody);
    return { status: 201, kind: 'publicIp', resource: pip, operation: this.begin('publicIp', pip, nowMs) };
  }

  createNic(subscriptionId: string, group: string, name: string, raw: string, nowMs: number): CreationResult | CreateRefusal {
    this.advance(nowMs);
    const id = resourceId(subscriptionId, group, 'Microsoft.Network/networkInterfaces', name);
    const createBody = canonicalBody(raw);
    const existing = this.estate.findNic(id);
    if (existing) {
      const same = this.same(existing.createBody, createBody);
      return isRefusal(same) ? same : { status: 200, kind: 'nic', resource: existing, operation: this.pending(existing.id) };
    }
    const request = parseNicCreate(raw);
    if (isRefusal(request)) return request;
    for (const config of request.ipConfigurations) {
      if (!this.estate.hasSubnet(config.subnetId)) return invalidReference(config.subnetId, id);
      if (config.publicIpId) {
        const pip = this.estate.findPublicIp(config.publicIpId);
        if (!pip) return invalidReference(config.publicIpId, id);
        if (pip.nic) {
          return {
            status: 400,
            code: 'PublicIPAddressInUse',
            // Wording unverified: Network refuses a public IP another ipconfig holds.
            message: `Resource ${pip.id} is already in use by ${pip.nic.id}/ipConfigurations/${pip.nic.ipConfigName ?? 'ipconfig1'}.`,
          };
        }
      }
    }
    const nic = this.estate.createNic(subscriptionId, group, name, request, createBody);
    return { status: 201, kind: 'nic', resource: nic, operation: this.begin('nic', nic, nowMs) };
  }

  createVm(subscriptionId: string, group: string, name: string, raw: string, nowMs: number): CreationResult | CreateRefusal {
    this.vmOperations.advance(nowMs);
    const id = resourceId(subscriptionId, group, 'Microsoft.Compute/virtualMachines', name);
    const createBody = canonicalBody(raw);
    const existing = this.estate.findVm(id);
    if (existing) {
      const same = this.same(existing.createBody, createBody);
      if (isRefusal(same)) return same;
      const pending = this.vmOperations.all().find((op) => op.status === 'InProgress' && op.action === 'create' && op.vmId.toLowerCase() === existing.key);
      return { status: 200, kind: 'vm', resource: existing, operation: pending };
    }
    const request = parseVmCreate(raw);
    if (isRefusal(request)) return request;
    const refusal = this.vmRefusal(subscriptionId, id, request);
    if (refusal) return refusal;
    const nics = request.networkInterfaces.map((entry) => this.estate.findNic(entry.id)!);
    const vm = this.estate.createVm(subscriptionId, group, name, request, nics, { bootGuest: bootGuest(request.imageReference, this.capturedGuest(request.imageReference)), createBody, nowMs });
    this.power.begin(vm.id, false, nowMs);
    const op = this.vmOperations.begin(vm, 'create', nowMs, JSON.parse(raw));
    if (!('id' in op)) throw new Error(`A new VM refused its create: ${op.message}`);
    return { status: 201, kind: 'vm', resource: vm, operation: op.status === 'InProgress' ? op : undefined };
  }

  /**
   * The OS a custom (managed) image was captured with, as the estate knows it: what the guests of
   * the VMs already made from that image report. Null when none does.
   */
  private capturedGuest(image: SimImageReference): { osName: string; osVersion: string | null } | null {
    if (!image.id) return null;
    const id = image.id.toLowerCase();
    for (const vmId of this.estate.vmIds()) {
      const vm = this.estate.findVm(vmId)!;
      if (vm.imageReference?.id?.toLowerCase() === id && vm.guest.osName) return { osName: vm.guest.osName, osVersion: vm.guest.osVersion };
    }
    return null;
  }

  private vmRefusal(subscriptionId: string, id: string, request: VmCreateRequest): CreateRefusal | undefined {
    const location = request.location.toLowerCase().replace(/\s+/g, '');
    if (!KNOWN_LOCATIONS.includes(location)) {
      return {
        status: 400,
        code: 'LocationNotAvailableForResourceType',
        message:
          `The provided location '${request.location}' is not available for resource type 'Microsoft.Compute/virtualMachines'. ` +
          `List of available regions for the resource type is '${KNOWN_LOCATIONS.join(',')}'.`,
      };
    }
    const size = VM_SIZES.find((s) => s.name.toLowerCase() === request.vmSize.toLowerCase());
    if (!size) {
      return {
        status: 409,
        code: 'SkuNotAvailable',
        message:
          `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${request.vmSize}' is currently not available ` +
          `in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
      };
    }
    for (const entry of request.networkInterfaces) {
      const nic = this.estate.findNic(entry.id);
      // Wording unverified; Compute refuses a NIC that does not exist before it allocates anything.
      if (!nic) return { status: 400, code: 'NotFound', message: `Resource ${entry.id} not found.`, target: 'networkInterfaces' };
      if (nic.vm) {
        return {
          status: 400,
          code: 'NicInUse',
          message: `Network Interface ${nic.id} is used by existing resource ${nic.vm.id}. In order to attach it, it must be dissociated from the resource.`,
        };
      }
    }
    const image = request.imageReference;
    // A managed image must exist in the VM's own region: 404 NotFound "The Image '<id>' cannot be
    // found in '<location>' region." (MicrosoftDocs/azure-docs#53728; also what a deleted one gives).
    if (image.id && MANAGED_IMAGE_ID.test(image.id)) {
      const managed = this.estate.findImage(image.id);
      if (!managed || managed.location !== location) {
        return { status: 404, code: 'NotFound', message: `The Image '${image.id}' cannot be found in '${location}' region.` };
      }
    }
    const cloudAccess = (image.publisher ?? '').toLowerCase() === 'redhat' && (image.offer ?? '').toLowerCase() === 'rhel-byos';
    if (cloudAccess && !request.plan) {
      return {
        status: 400,
        code: 'VMMarketplaceInvalidInput',
        message: `Creating a virtual machine from Marketplace image or a custom image sourced from a Marketplace image requires Plan information in the request. VM: '${id}'.`,
      };
    }
    if (request.plan && !this.terms.isAccepted(subscriptionId, { publisher: request.plan.publisher, offer: request.plan.product, plan: request.plan.name })) {
      return {
        status: 400,
        code: 'ResourcePurchaseValidationFailed',
        message:
          "User failed validation to purchase resources. Error message: 'Legal terms have not been accepted for this item on this subscription: " +
          `'${subscriptionId}'. To accept legal terms using PowerShell, please use Get-AzureRmMarketplaceTerms and Set-AzureRmMarketplaceTerms ` +
          'API(https://go.microsoft.com/fwlink/?linkid=862451), to accept the terms using Azure CLI, please use az vm image terms accept ' +
          `(https://go.microsoft.com/fwlink/?linkid=2110637) or deploy via the Azure portal to accept the terms. Offer details: publisher='${request.plan.publisher}' ` +
          `offer = '${request.plan.product}', sku = '${request.plan.name}'.'`,
      };
    }
    const limit = this.coreQuota(subscriptionId, location);
    const usage = this.coreUsage(subscriptionId, location);
    if (usage + size.numberOfCores > limit) {
      return {
        status: 409,
        code: 'OperationNotAllowed',
        message:
          'Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - ' +
          `Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${limit}, Current Usage: ${usage}, ` +
          `Additional Required: ${size.numberOfCores}, (Minimum) New Limit Required: ${usage + size.numberOfCores}. ` +
          'Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView ' +
          "by specifying parameters listed in the 'Details' section for deployment to succeed. " +
          'Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-supportability/regional-quota-requests.',
      };
    }
    return undefined;
  }

  /**
   * A second PUT of an existing resource: the same body changes nothing (200); another body would
   * be an update, which the simulator does not model: 409 PropertyChangeNotAllowed naming the first
   * property that differs.
   */
  private same(stored: string | undefined, createBody: string): true | CreateRefusal {
    if (stored === createBody) return true;
    const path = stored ? firstDifference(safeParse(stored), safeParse(createBody)) : 'properties';
    return {
      status: 409,
      code: 'PropertyChangeNotAllowed',
      message: `Changing property '${path}' is not allowed.`,
      target: path,
    };
  }

  private pending(resourceIdValue: string): SimResourceCreation | undefined {
    return this.all().find((op) => op.status === 'InProgress' && op.resourceId.toLowerCase() === resourceIdValue.toLowerCase());
  }

  private begin(kind: Exclude<SimCreationKind, 'vm'>, resource: SimNic | SimPublicIp, nowMs: number): SimResourceCreation | undefined {
    const op: SimResourceCreation = {
      id: randomUUID(),
      kind,
      resourceId: resource.id,
      location: resource.location.toLowerCase(),
      subscriptionId: resource.id.split('/')[2],
      startMs: nowMs,
      dueMs: nowMs + this.timing().delayMs,
      status: 'InProgress',
    };
    this.operations.set(op.id, op);
    if (op.dueMs <= nowMs) this.settle(op, nowMs);
    return op;
  }

  private settle(op: SimResourceCreation, atMs: number): void {
    op.status = 'Succeeded';
    op.endMs = atMs;
    const resource = op.kind === 'nic' ? this.estate.findNic(op.resourceId) : this.estate.findPublicIp(op.resourceId);
    if (resource) resource.provisioningState = 'Succeeded';
  }
}

function invalidReference(referenced: string, by: string): CreateRefusal {
  return {
    status: 400,
    code: 'InvalidResourceReference',
    message:
      `Resource ${referenced} referenced by resource ${by} was not found. ` +
      'Please make sure that the referenced resource exists, and that both resources are in the same region.',
  };
}

/**
 * What the guest agent reports once the VM has booted: the distribution of a Red Hat image; for a
 * custom image, the OS it was captured with (`captured`: what a VM made from it reports); nothing
 * known for others.
 */
export function bootGuest(image: SimImageReference, captured: { osName: string; osVersion: string | null } | null = null): SimGuestReport {
  if (image.id) return { osName: captured?.osName ?? null, osVersion: captured?.osVersion ?? null, agentVersion: LINUX_AGENT };
  if ((image.publisher ?? '').toLowerCase() !== 'redhat') return { osName: null, osVersion: null, agentVersion: LINUX_AGENT };
  return { osName: 'redhat', osVersion: rhelVersion(image), agentVersion: LINUX_AGENT };
}

/** The RHEL release of a Red Hat image: from its version (`9.4.2024…`), else its sku (`8_10`, `rhel-lvm87`, `9-lvm-gen2` → the latest minor). */
export function rhelVersion(image: SimImageReference): string | null {
  const fromVersion = /^(\d+)\.(\d+)\./.exec(image.version ?? '');
  if (fromVersion) return `${fromVersion[1]}.${fromVersion[2]}`;
  const sku = image.sku ?? '';
  const dotted = /^(\d+)[._](\d+)/.exec(sku);
  if (dotted) return `${dotted[1]}.${dotted[2]}`;
  const packed = /lvm(\d)(\d+)/i.exec(sku);
  if (packed) return `${packed[1]}.${packed[2]}`;
  const major = /^(\d+)/.exec(sku)?.[1];
  return major ? (LATEST_RHEL_MINOR[major] ?? `${major}.0`) : null;
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The dotted path of the first leaf where two JSON values differ. */
export function firstDifference(a: unknown, b: unknown, path = ''): string {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const child = Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return firstDifference(a[key], b[key], child);
    }
  }
  return path || 'properties';
}
