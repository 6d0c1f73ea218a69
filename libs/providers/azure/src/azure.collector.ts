import { setMaxListeners } from 'node:events';
import type { Disk, VirtualMachine } from '@azure/arm-compute';
import { getContinuationToken as networkContinuationToken, type NetworkInterface, type PublicIPAddress } from '@azure/arm-network';
import { getContinuationToken as resourcesContinuationToken } from '@azure/arm-resources';
import { BoundedChannel, graphOfChunks, ProviderError, ProviderErrorCode, settleWithConcurrency, type InventoryChunk, type PartError, type ProviderLogger } from '@hybridforms/core';
import type { AzureClientSource, AzureSubscriptionClients } from './azure-client.factory.js';
import { toProviderError } from './azure-error.mapper.js';
import { normalizeLocation } from './azure-inventory.parser.js';
import { AzureSubscriptionStreamParser, parseSubscriptionPages } from './azure-inventory.stream-parser.js';
import type { AzureLocationSizes, AzureSubscriptionInventory } from './azure-raw-inventory.js';
import { DEFAULT_TARGETED_LIST_THRESHOLD, listScopeFor, planTargetedRead, type TargetedReadCounts } from './azure-targeted-read.planner.js';

/** How the collector runs; the clients come from an {@link AzureClientSource}. */
export interface AzureCollectorOptions {
  subscriptionIds: string[];
  subscriptionConcurrency: number;
  /** Concurrent single GETs (or resource group lists) of a targeted refresh. */
  targetedConcurrency?: number;
  /**
   * Targets of one subscription up to which a targeted refresh reads them by single GETs; above
   * it the subscription's status list is read and the cheapest plan chosen (see planTargetedRead).
   */
  targetedListThreshold?: number;
  /** Masked in every error message. */
  secrets: readonly unknown[];
  logger?: ProviderLogger;
  signal?: AbortSignal;
  progress?: (counts: Record<string, number>) => void;
}

/** What a targeted refresh asks for: a VM resource id, cut into its parts. */
interface VmRef {
  nativeId: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** What one subscription's targeted read returns. */
interface TargetedSubscriptionRead {
  inventory: AzureSubscriptionInventory;
  notFound: string[];
  failures: { nativeId: string; error: ProviderError }[];
}

/** Where a list is read: the subscription's list, or those of some resource groups (lower-cased). */
type ListScope = { kind: 'subscription' } | { kind: 'groups'; groups: string[] };

/** The subscription-wide and the resource group list of one resource type. */
interface ScopedLists<T> {
  what: string;
  subscription: () => PagedList<T>;
  group: (resourceGroup: string) => PagedList<T>;
}

const VM_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/virtualmachines\/([^/]+)$/i;
const RESOURCE_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i;
const DEFAULT_TARGETED_CONCURRENCY = 8;
// Records per chunk of what no page bounds (the disks only a VM names).
const FALLBACK_CHUNK_SIZE = 1000;

/**
 * Talks to ARM through the SDKs, and only that: lists (full refresh), or single GETs or lists
 * kept to the targets, whichever costs fewer requests (targeted refresh), per subscription, subscriptions in parallel up to a bound. One subscription's failure
 * becomes a part error while the others complete; a failure anywhere in a subscription's paging
 * stops that whole subscription (what it had yielded stays, nothing more of it is yielded, and it
 * is not reported complete). Retries are the SDK pipeline's alone.
 */
export class AzureCollector {
  constructor(
    private readonly clients: AzureClientSource,
    private readonly options: AzureCollectorOptions,
  ) {}

  /** Gets a token once up front: a bad secret fails fast, and the clients share the cached token. */
  async authenticate(): Promise<void> {
    try {
      await this.clients.getToken(this.options.signal);
    } catch (error) {
      throw toProviderError(error, { operation: 'getting an ARM token', secrets: this.options.secrets });
    }
  }

  /** Proves read access to every subscription: the first page of its VM list. */
  async validateAccess(): Promise<void> {
    await this.authenticate();
    const results = await settleWithConcurrency(this.options.subscriptionIds, this.options.subscriptionConcurrency, async (subscriptionId) => {
      const { compute } = this.clients.forSubscription(subscriptionId);
      await this.call('reading virtual machines', subscriptionId, async () => {
        await compute.virtualMachines.listAll({ abortSignal: this.options.signal }).byPage().next();
      });
    });
    const errors = results.flatMap((r, i) =>
      r.status === 'rejected' ? [toProviderError(r.reason, { operation: 'reading', subscriptionId: this.options.subscriptionIds[i], secrets: this.options.secrets })] : [],
    );
    if (errors.length > 0) throw combine(errors, this.options.subscriptionIds.length);
  }

  /**
   * A full refresh as a stream of chunks, each at most one ARM page of records: subscriptions in
   * parallel up to `subscriptionConcurrency` (a subscription holds its slot until every request
   * of it has settled), each emitting as it pages. A failed subscription yields a part error
   * chunk (what it had emitted stays valid); the stream throws only when every subscription
   * failed. Producers wait while the reader is behind: the channel holds a couple of chunks per
   * running subscription, no more.
   */
  async *streamFull(): AsyncGenerator<InventoryChunk> {
    await this.authenticate();
    const { subscriptionIds, subscriptionConcurrency, logger, progress } = this.options;
    const channel = new BoundedChannel<InventoryChunk>(2 * Math.max(1, subscriptionConcurrency));
    const stop = new AbortController();
    // Every subscription and every SDK call of the stream listens to it.
    setMaxListeners(256, stop.signal);
    const parent = this.options.signal;
    const onAbort = () => stop.abort(parent?.reason);
    if (parent?.aborted) onAbort();
    parent?.addEventListener('abort', onAbort, { once: true });
    const errors: ProviderError[] = [];
    let vms = 0;
    let done = 0;
    const emit = async (chunk: InventoryChunk) => {
      if (!(await channel.push(chunk))) throw abortError();
    };
    const work = settleWithConcurrency(subscriptionIds, subscriptionConcurrency, async (subscriptionId) => {
      if (stop.signal.aborted) return;
      const started = Date.now();
      try {
        let own = 0;
        await this.streamSubscription(this.clients.forSubscription(subscriptionId), stop.signal, async (chunk) => {
          own += chunk.vms?.length ?? 0;
          vms += chunk.vms?.length ?? 0;
          await emit(chunk);
          progress?.({ subscriptions: done, vms });
        });
        progress?.({ subscriptions: ++done, vms });
        logger?.debug(`subscription ${subscriptionId}: ${own} vms streamed in ${Date.now() - started} ms`);
        await emit({ completedParts: [`subscription ${subscriptionId}`] });
      } catch (reason) {
        if (stop.signal.aborted) return; // the reader left or the refresh was aborted: not this part's failure
        const error = toProviderError(reason, { operation: 'collecting', subscriptionId, secrets: this.options.secrets });
        errors.push(error);
        logger?.warn(`subscription ${subscriptionId} skipped (${error.code}): ${error.message}`);
        await channel.push({ partErrors: [partError(`subscription ${subscriptionId}`, error)] });
      }
    }).finally(() => channel.close());
    try {
      for (let chunk = await channel.pull(); chunk !== undefined; chunk = await channel.pull()) yield chunk;
      await work;
      throwIfAborted(stop.signal);
      if (errors.length > 0 && errors.length === subscriptionIds.length) throw combine(errors, subscriptionIds.length);
    } finally {
      stop.abort();
      channel.stop();
      parent?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One subscription, page by page: first the compact lookups (statuses, public IPs, NIC
   * addresses; resource groups are emitted as they come), then VM pages (with sizes per new
   * location), then NIC and disk pages (a second NIC pass: the first only kept addresses), so
   * that whatever a record references is emitted before it. A failed list stops its siblings at
   * their next page, not mid-request (the SDK would drop a request ARM still serves): the
   * subscription's slot is free only once ARM has answered all of its requests. Only the
   * stream's own end (`signal`) cuts requests short.
   */
  private async streamSubscription(clients: AzureSubscriptionClients, signal: AbortSignal, emit: (chunk: InventoryChunk) => Promise<void>): Promise<void> {
    const { subscriptionId, compute, network, resources } = clients;
    const parser = new AzureSubscriptionStreamParser(subscriptionId);
    await this.withSubscriptionAbort(signal, async (abortSignal, fail) => {
      await settleAllOrThrow(fail, [
        this.pages('listing resource groups', subscriptionId, () => resources.resourceGroups.list({ abortSignal: signal }), abortSignal, (page) => parser.resourceGroups(page), emit),
        this.pages(
          'listing virtual machine statuses',
          subscriptionId,
          () => compute.virtualMachines.listAll({ statusOnly: 'true', abortSignal: signal }),
          abortSignal,
          (page) => parser.addStatuses(page),
        ),
        this.pages('listing public IP addresses', subscriptionId, () => network.publicIPAddresses.listAll({ abortSignal: signal }), abortSignal, (page) => parser.addPublicIps(page)),
        this.pages('listing network interfaces', subscriptionId, () => network.networkInterfaces.listAll({ abortSignal: signal }), abortSignal, (page) => parser.addNicAddresses(page)),
      ]);
      await this.pages('listing virtual machines', subscriptionId, () => compute.virtualMachines.listAll({ abortSignal: signal }), abortSignal, async (page) => {
        const locations = parser.missingSizeLocations(page);
        const sizes = await settleAllOrThrow(
          fail,
          locations.map((location) =>
            this.list(`listing VM sizes in ${location}`, subscriptionId, () => compute.virtualMachineSizes.list(location, { abortSignal: signal }), abortSignal, 'name'),
          ),
        );
        locations.forEach((location, i) => parser.addSizes(location, sizes[i]));
        return parser.vms(page);
      }, emit);
      parser.vmsDone();
      await settleAllOrThrow(fail, [
        this.pages('listing network interfaces', subscriptionId, () => network.networkInterfaces.listAll({ abortSignal: signal }), abortSignal, (page) => parser.nics(page), emit),
        this.pages('listing disks', subscriptionId, () => compute.disks.list({ abortSignal: signal }), abortSignal, (page) => parser.disks(page), emit),
      ]);
      for (const chunk of parser.remainingDisks(FALLBACK_CHUNK_SIZE)) await emit(chunk);
    });
  }

  /**
   * Reads the given VMs (lower-cased resource ids) and what hangs off them, by single GETs or
   * from lists (see collectTargetedSubscription), and parses them as a full refresh's pages are (each subscription's reads one page per list): one
   * chunk, with the ids ARM says are gone and what failed.
   */
  async collectTargeted(nativeIds: string[]): Promise<InventoryChunk> {
    const partErrors: PartError[] = [];
    const bySubscription = new Map<string, VmRef[]>();
    const configured = new Set(this.options.subscriptionIds.map((s) => s.toLowerCase()));
    for (const nativeId of [...new Set(nativeIds.map((id) => id.toLowerCase()))]) {
      const match = VM_ID.exec(nativeId);
      if (!match) {
        partErrors.push({ scope: `vm ${nativeId}`, code: ProviderErrorCode.NotFound, message: `${nativeId} is not an Azure VM resource id` });
        continue;
      }
      const [, subscriptionId, resourceGroup, name] = match;
      if (!configured.has(subscriptionId)) {
        partErrors.push({ scope: `vm ${nativeId}`, code: ProviderErrorCode.NotFound, message: `subscription ${subscriptionId} is not configured for this provider` });
        continue;
      }
      const refs = bySubscription.get(subscriptionId) ?? [];
      refs.push({ nativeId, subscriptionId, resourceGroup, name });
      bySubscription.set(subscriptionId, refs);
    }
    if (bySubscription.size === 0) return { partErrors, notFound: [] };

    await this.authenticate();
    const subscriptions = [...bySubscription.entries()];
    const results = await settleWithConcurrency(subscriptions, this.options.subscriptionConcurrency, ([subscriptionId, refs]) =>
      this.collectTargetedSubscription(this.clients.forSubscription(subscriptionId), refs),
    );
    const chunks: InventoryChunk[] = [];
    const notFound: string[] = [];
    const failures: ProviderError[] = [];
    let vms = 0;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        const { inventory } = result.value;
        if (inventory.virtualMachines.length > 0) chunks.push(...parseSubscriptionPages(inventory));
        vms += inventory.virtualMachines.length;
        this.options.progress?.({ vms });
        notFound.push(...result.value.notFound);
        for (const failure of result.value.failures) {
          failures.push(failure.error);
          partErrors.push(partError(`vm ${failure.nativeId}`, failure.error));
        }
      } else {
        const error = toProviderError(result.reason, { operation: 'reading virtual machines', subscriptionId: subscriptions[i][0], secrets: this.options.secrets });
        failures.push(error);
        for (const ref of subscriptions[i][1]) partErrors.push(partError(`vm ${ref.nativeId}`, error));
      }
    });
    // Nothing read and nothing proven gone: the refresh failed as a whole.
    if (vms === 0 && notFound.length === 0 && failures.length > 0) throw combine(failures, failures.length);
    // One chunk: a record shared by subscriptions (a marketplace image) once, the first one read.
    return { ...(await graphOfChunks(replay(chunks))), partErrors, notFound };
  }

  /**
   * Up to `targetedListThreshold` targets, single GETs. Beyond it the status list first (the
   * VM count and groups a plan needs, and the power states lists lack), then the plan that
   * costs fewest requests: single GETs after all, or lists kept to the targets and what they
   * reference. A list read never costs more than the full listing it is a subset of.
   */
  private async collectTargetedSubscription(clients: AzureSubscriptionClients, refs: VmRef[]): Promise<TargetedSubscriptionRead> {
    const threshold = this.options.targetedListThreshold ?? DEFAULT_TARGETED_LIST_THRESHOLD;
    if (refs.length <= threshold) return this.getTargets(clients, refs);
    return this.withSubscriptionAbort(this.options.signal, async (signal, fail) => {
      const statuses = await this.readStatuses(clients, refs, signal);
      const plan = planTargetedRead(statuses.counts);
      this.options.logger?.debug(`subscription ${clients.subscriptionId}: ${refs.length} targets of ${statuses.counts.vms} VMs read by ${plan.kind} (about ${plan.requests} requests)`);
      if (plan.kind === 'singleGets') return this.getTargets(clients, refs);
      const vmScope: ListScope = plan.kind === 'groupLists' ? { kind: 'groups', groups: plan.groups } : { kind: 'subscription' };
      return this.listTargets(clients, refs, statuses, vmScope, signal, fail);
    });
  }

  /** Every VM of the status list counted by resource group; the targets' entries kept. */
  private async readStatuses(
    clients: AzureSubscriptionClients,
    refs: VmRef[],
    signal: AbortSignal,
  ): Promise<{ counts: TargetedReadCounts; targets: VirtualMachine[] }> {
    const wanted = new Set(refs.map((ref) => ref.nativeId));
    const vmsByGroup = new Map<string, number>();
    const targets: VirtualMachine[] = [];
    const targetGroups = new Set<string>();
    let vms = 0;
    let pages = 0;
    let firstPage = 0;
    await this.pages(
      'listing virtual machine statuses',
      clients.subscriptionId,
      () => clients.compute.virtualMachines.listAll({ statusOnly: 'true', abortSignal: this.options.signal }),
      signal,
      (page) => {
        if (pages++ === 0) firstPage = page.length;
        for (const vm of page.filter(hasStringId)) {
          const group = groupOf(vm.id);
          vmsByGroup.set(group, (vmsByGroup.get(group) ?? 0) + 1);
          vms += 1;
          if (wanted.has(vm.id.toLowerCase())) {
            targets.push(vm);
            targetGroups.add(group);
          }
        }
      },
    );
    // One page says only that a page holds every VM: as many as there are is the bound that counts.
    const pageSize = pages > 1 ? firstPage : Math.max(1, vms);
    return { counts: { targets: refs.length, targetGroups: [...targetGroups].sort(), vmsByGroup, vms, pageSize }, targets };
  }

  /**
   * The targets from lists: VMs in the plan's scope, then the NICs and disks they name, then the
   * public IPs of those NICs, each list per resource group or for the subscription, whichever
   * costs fewer pages. Only the targets and what they reference are kept, so the graph is the
   * one their single GETs give; a target the VM lists lack is gone (any failed list fails the
   * subscription, so nothing is reported gone then).
   */
  private async listTargets(
    clients: AzureSubscriptionClients,
    refs: VmRef[],
    statuses: { counts: TargetedReadCounts; targets: VirtualMachine[] },
    vmScope: ListScope,
    signal: AbortSignal,
    fail: Fail,
  ): Promise<TargetedSubscriptionRead> {
    const { subscriptionId, compute, network } = clients;
    const abortSignal = this.options.signal;
    const wanted = new Set(refs.map((ref) => ref.nativeId));
    const virtualMachines = await this.readListed(
      subscriptionId,
      vmScope,
      { what: 'virtual machines', subscription: () => compute.virtualMachines.listAll({ abortSignal }), group: (g) => compute.virtualMachines.list(g, { abortSignal }) },
      (id) => wanted.has(id),
      signal,
      fail,
    );
    const found = new Set(virtualMachines.map((vm) => vm.id!.toLowerCase()));
    const nicIds = idSet(virtualMachines.flatMap((vm) => (vm.networkProfile?.networkInterfaces ?? []).map((n) => n.id)));
    const diskIds = idSet(virtualMachines.flatMap((vm) => [vm.storageProfile?.osDisk?.managedDisk?.id, ...(vm.storageProfile?.dataDisks ?? []).map((d) => d.managedDisk?.id)]));
    const scopeOf = (ids: Set<string>): ListScope => listScopeFor([...ids].map(groupOf), statuses.counts);
    const nicsRead = this.readListed(
      subscriptionId,
      scopeOf(nicIds),
      { what: 'network interfaces', subscription: () => network.networkInterfaces.listAll({ abortSignal }), group: (g) => network.networkInterfaces.list(g, { abortSignal }) },
      (id) => nicIds.has(id),
      signal,
      fail,
    );
    const disksRead = this.readListed(
      subscriptionId,
      scopeOf(diskIds),
      { what: 'disks', subscription: () => compute.disks.list({ abortSignal }), group: (g) => compute.disks.listByResourceGroup(g, { abortSignal }) },
      (id) => diskIds.has(id),
      signal,
      fail,
    );
    await settleAllOrThrow<unknown>(fail, [nicsRead, disksRead]);
    const [networkInterfaces, disks] = [await nicsRead, await disksRead];
    const publicIpIds = idSet(networkInterfaces.flatMap((nic) => (nic.ipConfigurations ?? []).map((c) => c.publicIPAddress?.id)));
    const publicIPAddresses =
      publicIpIds.size === 0
        ? []
        : await this.readListed(
            subscriptionId,
            scopeOf(publicIpIds),
            { what: 'public IP addresses', subscription: () => network.publicIPAddresses.listAll({ abortSignal }), group: (g) => network.publicIPAddresses.list(g, { abortSignal }) },
            (id) => publicIpIds.has(id),
            signal,
            fail,
          );
    const vmSizes = virtualMachines.length > 0 ? await this.sizesFor(clients, virtualMachines, abortSignal) : [];
    return {
      inventory: {
        subscriptionId,
        virtualMachines,
        vmStatuses: statuses.targets.filter((vm) => found.has(vm.id!.toLowerCase())),
        networkInterfaces,
        publicIPAddresses,
        disks,
        resourceGroups: [],
        vmSizes,
      },
      notFound: refs.filter((ref) => !found.has(ref.nativeId)).map((ref) => ref.nativeId),
      failures: [],
    };
  }

  /**
   * The items of one resource type in a scope whose (lower-cased) id is wanted, page by page. A
   * resource group gone since the status list was read lists nothing (its VMs are gone too).
   */
  private async readListed<T extends { id?: string }>(
    subscriptionId: string,
    scope: ListScope,
    lists: ScopedLists<T>,
    wanted: (id: string) => boolean,
    signal: AbortSignal,
    fail: Fail,
  ): Promise<T[]> {
    const kept: T[] = [];
    const keep = (page: T[]) => {
      for (const item of page) if (item.id && wanted(item.id.toLowerCase())) kept.push(item);
    };
    if (scope.kind === 'subscription') {
      await this.pages(`listing ${lists.what}`, subscriptionId, lists.subscription, signal, keep);
      return kept;
    }
    const limit = this.options.targetedConcurrency ?? DEFAULT_TARGETED_CONCURRENCY;
    await settleBoundedOrThrow(fail, scope.groups, limit, (group) =>
      this.call(`listing ${lists.what} of resource group ${group}`, subscriptionId, async () => {
        try {
          await this.readPages(`listing ${lists.what} of resource group ${group}`, subscriptionId, () => lists.group(group), signal, keep);
        } catch (error) {
          if (!isGone(error)) throw error;
        }
      }),
    );
    return kept;
  }

  /** The single-GET path: each VM with its instance view, then its NICs, their public IPs and its disks. */
  private async getTargets(clients: AzureSubscriptionClients, refs: VmRef[]): Promise<TargetedSubscriptionRead> {
    const { subscriptionId, compute, network } = clients;
    const abortSignal = this.options.signal;
    const limit = this.options.targetedConcurrency ?? DEFAULT_TARGETED_CONCURRENCY;
    const notFound: string[] = [];
    const failures: { nativeId: string; error: ProviderError }[] = [];
    const read: { vm: VirtualMachine; nics: NetworkInterface[]; publicIps: PublicIPAddress[]; disks: Disk[] }[] = [];

    const results = await settleWithConcurrency(refs, limit, async (ref) => {
      const vm = await this.get(`reading virtual machine ${ref.name}`, subscriptionId, () => compute.virtualMachines.get(ref.resourceGroup, ref.name, { expand: 'instanceView', abortSignal }));
      if (!vm) return 'gone' as const;
      const nics = await this.getAll(
        (vm.networkProfile?.networkInterfaces ?? []).map((n) => n.id),
        limit,
        (group, name) => this.get(`reading network interface ${name}`, subscriptionId, () => network.networkInterfaces.get(group, name, { abortSignal })),
      );
      const publicIpIds = nics.flatMap((nic) => (nic.ipConfigurations ?? []).map((c) => c.publicIPAddress?.id));
      const diskIds = [vm.storageProfile?.osDisk?.managedDisk?.id, ...(vm.storageProfile?.dataDisks ?? []).map((d) => d.managedDisk?.id)];
      const [publicIps, disks] = await Promise.all([
        this.getAll(publicIpIds, limit, (group, name) =>
          this.get(`reading public IP address ${name}`, subscriptionId, () => network.publicIPAddresses.get(group, name, { abortSignal })),
        ),
        this.getAll(diskIds, limit, (group, name) => this.get(`reading disk ${name}`, subscriptionId, () => compute.disks.get(group, name, { abortSignal }))),
      ]);
      read.push({ vm, nics, publicIps, disks });
      return 'read' as const;
    });
    results.forEach((result, i) => {
      if (result.status === 'rejected') failures.push({ nativeId: refs[i].nativeId, error: toProviderError(result.reason, { operation: `reading ${refs[i].name}`, subscriptionId, secrets: this.options.secrets }) });
      else if (result.value === 'gone') notFound.push(refs[i].nativeId);
    });

    const virtualMachines = read.map((r) => r.vm);
    // Sizes are needed for cores and memory; without them the VMs read would be half records.
    const vmSizes = virtualMachines.length > 0 ? await this.sizesFor(clients, virtualMachines, abortSignal) : [];
    return {
      inventory: {
        subscriptionId,
        virtualMachines,
        vmStatuses: [],
        networkInterfaces: read.flatMap((r) => r.nics),
        publicIPAddresses: read.flatMap((r) => r.publicIps),
        disks: read.flatMap((r) => r.disks),
        resourceGroups: [],
        vmSizes,
      },
      notFound,
      failures,
    };
  }

  /** One size list per location in use (cores and memory per size). */
  private async sizesFor(clients: AzureSubscriptionClients, vms: VirtualMachine[], abortSignal: AbortSignal | undefined): Promise<AzureLocationSizes[]> {
    const locations = [...new Set(vms.map((vm) => vm.location).filter((l): l is string => Boolean(l)).map(normalizeLocation))].sort();
    return Promise.all(
      locations.map(async (location) => ({
        location,
        sizes: await this.list(`listing VM sizes in ${location}`, clients.subscriptionId, () => clients.compute.virtualMachineSizes.list(location, { abortSignal }), abortSignal, 'name'),
      })),
    );
  }

  /**
   * Drains a paged list; any failure, on any page, fails the whole list. The signal is checked
   * between pages because the SDKs do not pass it on to nextLink requests: without the check a
   * list whose sibling failed would go on paging in the background.
   */
  private async list<T extends object>(
    operation: string,
    subscriptionId: string,
    start: () => { byPage(): AsyncIterable<T[]> },
    abortSignal: AbortSignal | undefined,
    key: 'id' | 'name' = 'id',
  ): Promise<T[]> {
    return this.call(operation, subscriptionId, async () => {
      const items: T[] = [];
      for await (const page of start().byPage()) {
        throwIfAborted(abortSignal);
        items.push(...page);
      }
      assertShape(items, key, operation, subscriptionId);
      return items;
    });
  }

  /** A single GET; undefined when ARM says the resource is gone (404, but not a missing subscription). */
  private async get<T extends { id?: string }>(operation: string, subscriptionId: string, run: () => Promise<T>): Promise<T | undefined> {
    let item: T;
    try {
      item = await run();
    } catch (error) {
      if (isGone(error)) return undefined;
      throw toProviderError(error, { operation, subscriptionId, secrets: this.options.secrets });
    }
    assertShape([item], 'id', operation, subscriptionId);
    return item;
  }

  /** GETs the resources with these ids (deduplicated, case-insensitively), skipping those gone. */
  private async getAll<T>(ids: (string | undefined)[], limit: number, get: (resourceGroup: string, name: string) => Promise<T | undefined>): Promise<T[]> {
    const unique = [...new Map(ids.filter((id): id is string => Boolean(id)).map((id) => [id.toLowerCase(), id])).values()];
    const results = await settleWithConcurrency(unique, limit, (id) => {
      const match = RESOURCE_ID.exec(id);
      if (!match) throw new ProviderError(ProviderErrorCode.MalformedResponse, `${id} is not a resource id`);
      return get(match[1], match[2]);
    });
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
  }

  private async call<T>(operation: string, subscriptionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toProviderError(error, { operation, subscriptionId, secrets: this.options.secrets });
    }
  }

  /**
   * Pages through a list, handing each page (checked) to `onPage` before the next is asked for,
   * and the chunk it makes, if any, to `emit`; any failure, on any page, fails the whole list. The
   * signal is checked between pages (see list()). Each page is read through an iterator of its
   * own, closed at once: the SDK's iterator keeps its last page while suspended, and a list
   * waiting for room in the stream must hold only its chunk, not the raw page (a heap snapshot
   * of a 100,000-VM refresh showed about 7.5 MB per waiting list of NICs or disks).
   */
  private async pages<T extends object>(
    operation: string,
    subscriptionId: string,
    start: () => PagedList<T>,
    abortSignal: AbortSignal,
    onPage: (page: T[]) => InventoryChunk | void | Promise<InventoryChunk | void>,
    emit?: (chunk: InventoryChunk) => Promise<void>,
  ): Promise<void> {
    await this.call(operation, subscriptionId, () => this.readPages(operation, subscriptionId, start, abortSignal, onPage, emit));
  }

  /** The paging of {@link pages}, its errors as the SDK threw them. */
  private async readPages<T extends object>(
    operation: string,
    subscriptionId: string,
    start: () => PagedList<T>,
    abortSignal: AbortSignal,
    onPage: (page: T[]) => InventoryChunk | void | Promise<InventoryChunk | void>,
    emit?: (chunk: InventoryChunk) => Promise<void>,
  ): Promise<void> {
    let token: string | undefined;
    do {
      let page: T[] | undefined = await onePage(start().byPage(token === undefined ? undefined : { continuationToken: token }));
      if (page === undefined) return;
      throwIfAborted(abortSignal);
      assertShape(page, 'id', operation, subscriptionId);
      token = continuationTokenOf(page);
      const chunk = await onPage(page);
      page = undefined; // not held while emit waits
      if (chunk && emit) await emit(chunk);
    } while (token);
  }

  /**
   * Runs a subscription's lists under one signal, so the first failure stops its siblings; that
   * failure is the one thrown (nested lists may settle their aborts before it propagates).
   */
  private async withSubscriptionAbort<T>(parent: AbortSignal | undefined, run: (signal: AbortSignal, fail: Fail) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    setMaxListeners(256, controller.signal); // every list and page request of the subscription
    const onAbort = () => controller.abort(parent?.reason);
    if (parent?.aborted) onAbort();
    parent?.addEventListener('abort', onAbort, { once: true });
    let first: { error: unknown } | null = null;
    const fail: Fail = (error) => {
      if (error !== undefined && !controller.signal.aborted) first = { error };
      controller.abort();
    };
    try {
      return await run(controller.signal, fail);
    } catch (error) {
      controller.abort();
      throw first ? (first as { error: unknown }).error : error;
    } finally {
      parent?.removeEventListener('abort', onAbort);
    }
  }
}

/** Stops a subscription's other lists; given the error, it is the failure the subscription reports. */
type Fail = (error?: unknown) => void;

/** What an SDK list call returns, as far as paging goes: byPage resumes at a continuation token. */
interface PagedList<T> {
  byPage(settings?: { continuationToken?: string }): AsyncIterableIterator<T[]>;
}

/** The first page of a page iterator, which is then closed (its generator lets go of the page). */
async function onePage<T>(pages: AsyncIterableIterator<T[]>): Promise<T[] | undefined> {
  try {
    const step = await pages.next();
    return step.done ? undefined : step.value;
  } finally {
    await pages.return?.();
  }
}

/**
 * Where the list goes on after this page: arm-compute puts the token on the page, arm-network and
 * arm-resources keep it in a table of their own.
 */
function continuationTokenOf(page: object): string | undefined {
  return (page as { continuationToken?: string }).continuationToken ?? networkContinuationToken(page) ?? resourcesContinuationToken(page);
}

async function* replay<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

/**
 * Awaits every one of the promises, then throws the first failure (the first in time: the others
 * may be the aborts it caused). A subscription's lists end together: a failure aborts the others
 * at once, and the subscription frees its slot only once no request of it is left in flight.
 */
async function settleAllOrThrow<T>(fail: Fail, work: Promise<T>[]): Promise<T[]> {
  let first: { error: unknown } | null = null;
  const results = await Promise.allSettled(
    work.map((p) =>
      p.catch((error: unknown) => {
        first ??= { error };
        fail(error);
        throw error;
      }),
    ),
  );
  if (first) throw (first as { error: unknown }).error;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
/**
 * {@link settleAllOrThrow} for work on items, at most `limit` at a time: the first failure
 * aborts the rest through `fail` and is thrown once every started one has settled.
 */
async function settleBoundedOrThrow<T>(fail: Fail, items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let first: { error: unknown } | null = null;
  await settleWithConcurrency(items, limit, async (item) => {
    try {
      await work(item);
    } catch (error) {
      first ??= { error };
      fail(error);
      throw error;
    }
  });
  if (first) throw (first as { error: unknown }).error;
}

/** Resource ids, lower-cased, without the missing ones. */
function idSet(ids: (string | undefined)[]): Set<string> {
  return new Set(ids.filter((id): id is string => Boolean(id)).map((id) => id.toLowerCase()));
}

/** The resource group of a resource id, lower-cased. */
function groupOf(id: string): string {
  return id.split('/')[4]?.toLowerCase() ?? '';
}

function hasStringId<T extends { id?: string }>(item: T): item is T & { id: string } {
  return typeof item.id === 'string';
}

function assertShape(items: unknown[], key: 'id' | 'name', operation: string, subscriptionId: string): void {
  const bad = items.findIndex((item) => typeof item !== 'object' || item === null || typeof (item as Record<string, unknown>)[key] !== 'string');
  if (bad >= 0) {
    throw new ProviderError(ProviderErrorCode.MalformedResponse, `${operation} in subscription ${subscriptionId} failed: item ${bad} of the response has no ${key}`);
  }
}

/** A 404 of the resource itself or of its resource group; a missing subscription is a failure. */
function isGone(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string } | null;
  return typeof e === 'object' && e !== null && e.statusCode === 404 && e.code !== 'SubscriptionNotFound';
}

function partError(scope: string, error: ProviderError): PartError {
  return { scope, code: error.code, message: error.message };
}

/** One error for several failed parts: the first one's code, every message. */
function combine(errors: ProviderError[], total: number): ProviderError {
  if (errors.length === 1) return errors[0];
  const retryable = errors.every((e) => e.retryable);
  return new ProviderError(errors[0].code, `${errors.length} of ${total} failed: ${errors.map((e) => e.message).join('; ')}`, retryable);
}
