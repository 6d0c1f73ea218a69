import { restorePoller, type ComputeManagementClient } from '@azure/arm-compute';
import {
  ProviderError,
  ProviderErrorCode,
  type CloudRequestProgress,
  type ProviderLogger,
  type ResourceRef,
  type VmAction,
  type VmActionRequest,
  type VmActionTarget,
} from '@hybridforms/core';
import type { AzureClientSource, AzureLifecycleClients } from './azure-client.factory.js';
import { toProviderError } from './azure-error.mapper.js';

/** The power actions the Azure plugin offers, in our words. */
export const AZURE_VM_ACTIONS = ['start', 'stop', 'deallocate', 'restart'] as const satisfies readonly VmAction[];
type AzureVmAction = (typeof AZURE_VM_ACTIONS)[number];

/** The long-running requests a continuation can resume: Compute's VM actions and the deletions. */
export type AzureLroRequest =
  | 'start'
  | 'powerOff'
  | 'deallocate'
  | 'restart'
  | 'deleteVm'
  | 'deleteDisk'
  | 'deleteNic'
  | 'deletePublicIp'
  | 'createVm'
  | 'createNic'
  | 'createPublicIp';

/**
 * What `act` and `deleteResource` hand to the host, as JSON: enough to rebuild the SDK's poller in
 * any process, without sending the request again. `poller` is the SDK's own serialized state (it
 * holds the Azure-AsyncOperation / Location URLs); `client` says which SDK restores it.
 */
export interface AzureContinuation {
  v: 1;
  client: 'compute' | 'network';
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  request: AzureLroRequest;
  poller: string;
}

/** The parts of an ARM resource id. */
export interface AzureResourcePath {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

// stop = powerOff: the guest stops but the VM stays allocated and billed; only deallocate ends compute billing.
const ACTION_REQUESTS: Record<AzureVmAction, AzureLroRequest> = { start: 'start', stop: 'powerOff', deallocate: 'deallocate', restart: 'restart' };

const RESOURCE_TYPES: Record<ResourceRef['kind'], { type: string; request: AzureLroRequest; client: AzureContinuation['client']; what: string }> = {
  vm: { type: 'microsoft.compute/virtualmachines', request: 'deleteVm', client: 'compute', what: 'VM' },
  disk: { type: 'microsoft.compute/disks', request: 'deleteDisk', client: 'compute', what: 'disk' },
  nic: { type: 'microsoft.network/networkinterfaces', request: 'deleteNic', client: 'network', what: 'NIC' },
  publicIp: { type: 'microsoft.network/publicipaddresses', request: 'deletePublicIp', client: 'network', what: 'public IP' },
};

const REQUEST_CLIENT: Record<AzureLroRequest, AzureContinuation['client']> = {
  start: 'compute',
  powerOff: 'compute',
  deallocate: 'compute',
  restart: 'compute',
  deleteVm: 'compute',
  deleteDisk: 'compute',
  deleteNic: 'network',
  deletePublicIp: 'network',
  createVm: 'compute',
  createNic: 'network',
  createPublicIp: 'network',
};

// ARM's refusals to delete something still in use; Compute says it of a disk with OperationNotAllowed "Disk … is attached to VM …".
const IN_USE_CODES = new Set(['NicInUse', 'PublicIPAddressCannotBeDeleted', 'PublicIPAddressInUseCannotBeDeleted']);

function isInUseRefusal(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return false;
  return IN_USE_CODES.has(code) || (code === 'OperationNotAllowed' && typeof message === 'string' && /is attached to/i.test(message));
}

// Names: 1-90 characters of letters, digits, '-', '_', '.', '(' and ')' for a group; VM, disk and network names are narrower.
const RESOURCE_ID = /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourcegroups\/([-\w.()]{1,90})\/providers\/([a-z]+\.[a-z]+\/[a-z]+)\/([-\w.]{1,80})$/i;

/**
 * Parses the ARM id of a resource of one type (any casing; the inventory keeps ids lower-cased).
 * Anything else (another type, a child resource, a trailing slash) is refused: the id names what
 * a request is sent to, so it must not be guessed at.
 */
export function parseAzureResourceId(nativeId: string, type: string): AzureResourcePath {
  const match = RESOURCE_ID.exec(nativeId);
  // ARM names cannot end in '.', so '..' (a path step) is never a name.
  if (!match || match[3].toLowerCase() !== type.toLowerCase() || match[2].endsWith('.') || match[4].endsWith('.')) {
    throw new ProviderError(ProviderErrorCode.NotFound, `'${nativeId}' is not the ARM id of a ${type} resource`);
  }
  return { subscriptionId: match[1].toLowerCase(), resourceGroup: match[2], name: match[4] };
}

export function encodeAzureContinuation(continuation: Omit<AzureContinuation, 'v'>): string {
  return JSON.stringify({ v: 1, ...continuation } satisfies AzureContinuation);
}

/** Reads a stored continuation; anything but one of ours is refused (it would poll an unknown URL). */
export function decodeAzureContinuation(text: string): AzureContinuation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const c = value as Partial<AzureContinuation> | undefined;
  const valid =
    typeof c === 'object' &&
    c !== null &&
    c.v === 1 &&
    typeof c.request === 'string' &&
    c.request in REQUEST_CLIENT &&
    c.client === REQUEST_CLIENT[c.request] &&
    [c.subscriptionId, c.resourceGroup, c.name, c.poller].every((field) => typeof field === 'string' && field.length > 0);
  if (!valid) throw new ProviderError(ProviderErrorCode.Unknown, 'the stored continuation is not one the Azure plugin wrote');
  return c as AzureContinuation;
}

export interface AzureVmOperatorOptions {
  /** The subscriptions of the provider: a resource of another one is refused. */
  subscriptionIds: readonly string[];
  /** Poll interval when Azure sends no Retry-After (it usually does, and the SDK then waits that long). */
  pollIntervalMs?: number;
  secrets: readonly unknown[];
  logger: ProviderLogger;
  signal?: AbortSignal;
}

/** The SDK pollers we drive: arm-compute's (core-lro 3) and arm-network's (core-lro 2) share these members. */
export interface DrivenPoller {
  isDone(): boolean;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Power actions and deletions through the SDK's long-running-operation pollers. A request is sent
 * once; what comes back is the poller's state, from which `awaitSettled` (maybe in another process
 * after a crash) rebuilds the poller and only polls. The SDK waits between polls as long as the
 * status answers' Retry-After says, and its retry policy retries a 429 or 5xx on the status URL;
 * our ArmThrottlingPolicy never sends a request of its own, so it adds no polls.
 */
export class AzureVmOperator {
  private readonly pollIntervalMs: number;

  constructor(
    private readonly clients: AzureClientSource,
    private readonly options: AzureVmOperatorOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
  }

  /** Sends a power action; `done` when the VM is already in the action's end state or Azure settled it at once. */
  async act(vm: VmActionTarget, request: VmActionRequest): Promise<CloudRequestProgress> {
    if (!(AZURE_VM_ACTIONS as readonly VmAction[]).includes(request.action)) {
      throw new ProviderError(ProviderErrorCode.InvalidConfig, `Azure VMs do not offer the action '${request.action}'`);
    }
    const action = request.action as AzureVmAction;
    const path = parseAzureResourceId(vm.nativeId, RESOURCE_TYPES.vm.type);
    const clients = this.lifecycle(path.subscriptionId);
    const what = `${action} of VM ${path.name}`;
    const { compute } = clients;
    const signal = this.options.signal;
    return this.call(what, path.subscriptionId, async () => {
      if (request.resumed) {
        // Asked before, maybe taken: the live state says whether it is still to do. (A first request
        // trusts the host's check of the inventory: one read less per VM of a bulk action.)
        const view = await compute.virtualMachines.instanceView(path.resourceGroup, path.name, { abortSignal: signal });
        const power = view.statuses?.find((s) => s.code?.toLowerCase().startsWith('powerstate/'))?.code?.slice('PowerState/'.length).toLowerCase();
        if (alreadyThere(action, power)) {
          this.options.logger.log(`azure: VM ${path.name} is already ${power}; ${action} not sent`);
          return { state: 'done' };
        }
      }
      const lro = ACTION_REQUESTS[action];
      const options = { updateIntervalInMs: this.pollIntervalMs, abortSignal: signal };
      const vms = compute.virtualMachines;
      // Each begin* resolves once Azure has answered the POST (the SDK awaits `submitted()`).
      const poller =
        lro === 'start'
          ? await vms.beginStart(path.resourceGroup, path.name, options)
          : lro === 'powerOff'
            ? await vms.beginPowerOff(path.resourceGroup, path.name, { ...options, skipShutdown: request.force === true })
            : lro === 'deallocate'
              ? await vms.beginDeallocate(path.resourceGroup, path.name, options)
              : await vms.beginRestart(path.resourceGroup, path.name, options);
      return this.progress(poller, { client: 'compute', request: lro, ...path }, () => poller.serialize());
    });
  }

  /** Sends a DELETE; `done` when the resource is gone already (204 or 404) or Azure deleted it at once. */
  async deleteResource(ref: ResourceRef): Promise<CloudRequestProgress> {
    const kind = RESOURCE_TYPES[ref.kind];
    if (!kind) throw new ProviderError(ProviderErrorCode.InvalidConfig, `the Azure plugin does not delete resources of kind '${ref.kind}'`);
    const path = parseAzureResourceId(ref.nativeId, kind.type);
    const { compute, network } = this.lifecycle(path.subscriptionId);
    const what = `deleting ${kind.what} ${path.name}`;
    const options = { updateIntervalInMs: this.pollIntervalMs, abortSignal: this.options.signal };
    const continuation = { client: kind.client, request: kind.request, ...path };
    try {
      return await this.call(what, path.subscriptionId, async () => {
        if (kind.request === 'deleteVm' || kind.request === 'deleteDisk') {
          const group = kind.request === 'deleteVm' ? compute.virtualMachines : compute.disks;
          const poller = await group.beginDelete(path.resourceGroup, path.name, options);
          return this.progress(poller, continuation, () => poller.serialize());
        }
        const group = kind.request === 'deleteNic' ? network.networkInterfaces : network.publicIPAddresses;
        const poller = await group.beginDelete(path.resourceGroup, path.name, options);
        return this.progress(poller, continuation, async () => poller.toString());
      });
    } catch (error) {
      if (ProviderError.is(error) && error.code === ProviderErrorCode.NotFound) {
        this.options.logger.log(`azure: ${kind.what} ${path.name} is gone already`);
        return { state: 'done' };
      }
      throw error;
    }
  }

  /**
   * What a retirement deletes after the VM, read live: its NICs, then their public IPs (a NIC holds
   * its IP: the NIC goes first), then its OS and data disks, leaving out a disk another VM also uses
   * (a shared disk: `managedByExtended`). Deleting the VM itself detaches them; Azure deletes only
   * what a deleteOption says (those are gone by the time their delete step runs, which is `done`).
   */
  async resourcesOwnedBy(vm: VmActionTarget): Promise<ResourceRef[]> {
    const path = parseAzureResourceId(vm.nativeId, RESOURCE_TYPES.vm.type);
    const { compute, network } = this.lifecycle(path.subscriptionId);
    const signal = this.options.signal;
    return this.call(`listing what VM ${path.name} owns`, path.subscriptionId, async () => {
      const machine = await compute.virtualMachines.get(path.resourceGroup, path.name, { abortSignal: signal });
      const nics: ResourceRef[] = [];
      const publicIps: ResourceRef[] = [];
      for (const ref of machine.networkProfile?.networkInterfaces ?? []) {
        if (!ref.id) continue;
        const nicPath = parseAzureResourceId(ref.id.toLowerCase(), RESOURCE_TYPES.nic.type);
        nics.push({ kind: 'nic', nativeId: ref.id.toLowerCase(), name: nicPath.name });
        const nic = await network.networkInterfaces.get(nicPath.resourceGroup, nicPath.name, { abortSignal: signal });
        for (const config of nic.ipConfigurations ?? []) {
          const ipId = config.publicIPAddress?.id?.toLowerCase();
          if (ipId && !publicIps.some((ip) => ip.nativeId === ipId)) publicIps.push({ kind: 'publicIp', nativeId: ipId, name: parseAzureResourceId(ipId, RESOURCE_TYPES.publicIp.type).name });
        }
      }
      const storage = machine.storageProfile;
      const diskIds = [storage?.osDisk?.managedDisk?.id, ...(storage?.dataDisks ?? []).map((disk) => disk.managedDisk?.id)].filter((id): id is string => Boolean(id));
      const disks: ResourceRef[] = [];
      for (const id of diskIds) {
        const diskPath = parseAzureResourceId(id.toLowerCase(), RESOURCE_TYPES.disk.type);
        const disk = await compute.disks.get(diskPath.resourceGroup, diskPath.name, { abortSignal: signal });
        const users = disk.managedByExtended ?? [];
        if (users.length > 1) {
          this.options.logger.log(`azure: disk ${diskPath.name} is shared by ${users.length} VMs; the retirement of ${path.name} leaves it`);
          continue;
        }
        disks.push({ kind: 'disk', nativeId: id.toLowerCase(), name: diskPath.name });
      }
      return [...nics, ...publicIps, ...disks];
    });
  }

  /** Rebuilds the poller of a continuation (no request is sent again) and polls until the operation settles. */
  async awaitSettled(text: string): Promise<void> {
    const c = decodeAzureContinuation(text);
    const { compute, network } = this.lifecycle(c.subscriptionId);
    const signal = this.options.signal;
    const what = `waiting for ${c.request} of ${c.name}`;
    try {
      await this.call(what, c.subscriptionId, async () => {
        let poller: Pick<DrivenPoller, 'pollUntilDone'>;
        if (c.client === 'compute') {
          const options = { updateIntervalInMs: this.pollIntervalMs, abortSignal: signal };
          poller =
            c.request === 'createVm'
              ? restorePoller(compute, c.poller, compute.virtualMachines.createOrUpdate, options)
              : restorePoller(compute, c.poller, sourceOperation(compute, c.request), options);
        } else {
          // With resumeFrom the classic client sends no DELETE or PUT (the body is not sent), only a first poll.
          const resume = { resumeFrom: c.poller, updateIntervalInMs: this.pollIntervalMs, abortSignal: signal };
          if (c.request === 'createNic') poller = await network.networkInterfaces.beginCreateOrUpdate(c.resourceGroup, c.name, {}, resume);
          else if (c.request === 'createPublicIp') poller = await network.publicIPAddresses.beginCreateOrUpdate(c.resourceGroup, c.name, {}, resume);
          else poller = await (c.request === 'deleteNic' ? network.networkInterfaces : network.publicIPAddresses).beginDelete(c.resourceGroup, c.name, resume);
        }
        await poller.pollUntilDone({ abortSignal: signal });
      });
    } catch (error) {
      if (signal?.aborted) {
        throw new ProviderError(
          ProviderErrorCode.Timeout,
          `${what} in subscription ${c.subscriptionId} was stopped before Azure settled it; the operation goes on in Azure and its continuation can be awaited again`,
          true,
        );
      }
      throw error;
    }
  }

  /**
   * Sends one long-running request of another duty (provisioning's PUTs) the way this operator
   * sends its own: the provider's subscription check, Azure's errors mapped, the poller's state
   * as the continuation.
   */
  async send(
    what: string,
    subscriptionId: string,
    continuation: Omit<AzureContinuation, 'v' | 'poller' | 'subscriptionId'>,
    begin: (clients: AzureLifecycleClients, options: { updateIntervalInMs: number; abortSignal?: AbortSignal }) => Promise<{ poller: DrivenPoller; serialize: () => Promise<string> }>,
  ): Promise<CloudRequestProgress> {
    const clients = this.lifecycle(subscriptionId);
    return this.call(what, subscriptionId, async () => {
      const { poller, serialize } = await begin(clients, { updateIntervalInMs: this.pollIntervalMs, abortSignal: this.options.signal });
      return this.progress(poller, { ...continuation, subscriptionId }, serialize);
    });
  }

  private async progress(
    poller: DrivenPoller,
    continuation: Omit<AzureContinuation, 'v' | 'poller'>,
    serialize: () => Promise<string>,
  ): Promise<CloudRequestProgress> {
    if (poller.isDone()) {
      // Settled in the first answer: this sends nothing, and throws a failure the answer reported.
      await poller.pollUntilDone();
      return { state: 'done' };
    }
    return { state: 'accepted', continuation: encodeAzureContinuation({ ...continuation, poller: await serialize() }) };
  }

  private async call<T>(what: string, subscriptionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const mapped = toProviderError(error, { operation: what, subscriptionId, secrets: this.options.secrets, access: 'write' });
      if (isInUseRefusal(error)) {
        throw new ProviderError(mapped.code, `${mapped.message} — it is still in use: delete (or detach it from) what uses it first`, false);
      }
      throw mapped;
    }
  }

  private lifecycle(subscriptionId: string): AzureLifecycleClients {
    if (!this.options.subscriptionIds.some((id) => id.toLowerCase() === subscriptionId.toLowerCase())) {
      throw new ProviderError(ProviderErrorCode.NotFound, `subscription ${subscriptionId} is not one of this provider's subscriptions`);
    }
    if (!this.clients.lifecycleFor) throw new ProviderError(ProviderErrorCode.InvalidConfig, 'this Azure client source cannot act on resources');
    return this.clients.lifecycleFor(subscriptionId);
  }
}

/** Whether a VM in this power state is already where the action leads (a deallocated VM is stopped too). */
function alreadyThere(action: AzureVmAction, power: string | undefined): boolean {
  if (action === 'start') return power === 'running';
  // Azure refuses powerOff of a deallocated VM; its guest is off already.
  if (action === 'stop') return power === 'stopped' || power === 'deallocated';
  if (action === 'deallocate') return power === 'deallocated';
  return false;
}

/** The SDK operation a restored compute poller belongs to (restorePoller names it in its errors). */
function sourceOperation(compute: ComputeManagementClient, request: AzureLroRequest) {
  const vms = compute.virtualMachines;
  if (request === 'start') return vms.start;
  if (request === 'powerOff') return vms.powerOff;
  if (request === 'deallocate') return vms.deallocate;
  if (request === 'restart') return vms.restart;
  if (request === 'deleteVm') return vms.delete;
  return compute.disks.delete;
}
