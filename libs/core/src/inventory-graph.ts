/**
 * The inventory graph: plain data a provider plugin returns from a refresh. The shared persister
 * saves it; nothing in here knows which cloud it came from. Every record carries the provider's
 * native id (Azure resource ids lower-cased, Hyper-V GUIDs), the key it is upserted by.
 */

/** A value that survives a JSON round trip unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One vocabulary of power states for every provider. */
export const POWER_STATES = [
  'running',
  'starting',
  'stopping',
  'stopped',
  'deallocating',
  'deallocated',
  'suspended',
  'unknown',
] as const;
export type PowerState = (typeof POWER_STATES)[number];

export const OS_FAMILIES = ['rhel', 'linux-other', 'windows', 'unknown'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

/** Which source decided osFamily, most trusted first. */
export const OS_SOURCES = ['guest-agent', 'kvp', 'image', 'disk'] as const;
export type OsSource = (typeof OS_SOURCES)[number];

export const LICENSE_MODELS = ['byos', 'payg', 'unknown'] as const;

/** Azure's licenseType values (Hybrid Benefit for Linux) that bill RHEL by the hour, and the one that stops that charge. */
export const RHEL_PAYG_LICENSE_TYPES: ReadonlySet<string> = new Set(['RHEL_BASE', 'RHEL_EUS', 'RHEL_SAPAPPS', 'RHEL_SAPHA', 'RHEL_BASESAPAPPS', 'RHEL_BASESAPHA']);
export const RHEL_BYOS_LICENSE_TYPE = 'RHEL_BYOS';
export type LicenseModel = (typeof LICENSE_MODELS)[number];

/** The guest OS as classified from the best source a refresh had. */
export interface OsClassification {
  osFamily: OsFamily;
  osName: string | null;
  osVersion: string | null;
  /** null when osFamily is unknown. */
  osSource: OsSource | null;
}

export interface HostRecord {
  nativeId: string;
  name: string;
  /** e.g. 'hyperv'. */
  kind: string;
  osName: string | null;
  osVersion: string | null;
  cpuCount: number | null;
  memoryMb: number | null;
  hypervisorVersion: string | null;
  location: string | null;
}

export interface VmRecord extends OsClassification {
  nativeId: string;
  /** The provider's own immutable id of the machine (Azure vmId, Hyper-V VMId). */
  uid: string | null;
  name: string;
  /** Native id of the host it runs on, when the provider has hosts. */
  hostNativeId: string | null;
  /** Native id of the image it was built from, when known. */
  imageNativeId: string | null;
  location: string | null;
  /** Azure resource group (lower-cased), null elsewhere. */
  resourceGroup: string | null;
  /** Azure subscription id, null elsewhere. */
  subscriptionId: string | null;
  /** Size name, e.g. Standard_D2s_v3. */
  size: string | null;
  cpuCount: number | null;
  memoryMb: number | null;
  powerState: PowerState;
  /**
   * The license model this machine has if it runs RHEL, whatever this refresh could tell of its
   * OS. The persister decides the stored `licenseModel` from it and the merged classification
   * (a stored, more trusted one may say rhel): see licenseModelFor and mergeOsClassification.
   */
  rhelLicenseModel: LicenseModel;
  /** The provider's raw license field (Azure licenseType), null when absent. */
  licenseType: string | null;
  /** WALinuxAgent version on Azure, integration services version on Hyper-V. */
  guestAgentVersion: string | null;
  tags: Record<string, string>;
  /**
   * Provider-specific facts shown with the VM (Hyper-V generation, integration services, notes;
   * Azure zones, priority…), saved as given. Nothing volatile such as uptime: a change here is a
   * real change of the machine and is recorded as one.
   */
  details: Record<string, JsonValue>;
  /** When the provider says the machine was created. */
  createdAtProvider: Date | null;
  /**
   * The machine's addresses (every private then every public address of its NICs, primary NIC
   * first), for a plugin that streams a VM in another chunk than its NICs. Omitted: the persister
   * derives them from the NICs in the same graph or chunk.
   */
  ipAddresses?: string[];
}

export interface NicRecord {
  nativeId: string;
  vmNativeId: string | null;
  name: string;
  macAddress: string | null;
  primary: boolean;
  privateIps: string[];
  publicIps: string[];
  /** Native id of the network (subnet or switch) it is attached to. */
  networkNativeId: string | null;
}

export interface DiskRecord {
  nativeId: string;
  vmNativeId: string | null;
  name: string;
  /** 'os' or 'data'. */
  role: 'os' | 'data';
  sizeGb: number | null;
  /** Storage sku (Premium_LRS) or VHD type (Dynamic). */
  storageType: string | null;
  location: string | null;
}

export interface ImageRecord extends OsClassification {
  nativeId: string;
  name: string;
  /** marketplace, custom (managed or gallery image by id) */
  kind: 'marketplace' | 'custom';
  publisher: string | null;
  offer: string | null;
  sku: string | null;
  version: string | null;
}

export interface NetworkRecord {
  nativeId: string;
  name: string;
  /** subnet, vnet, switch */
  kind: string;
  location: string | null;
}

export interface ResourceGroupRecord {
  nativeId: string;
  name: string;
  location: string | null;
  tags: Record<string, string>;
}

/** A failure of one part of a refresh (one subscription, one host) that did not stop the rest. */
export interface PartError {
  /** What part failed: e.g. 'subscription 00000000-…' or 'host hv01'. */
  scope: string;
  code: string;
  message: string;
}

/** The inventory collections, in save order: whatever a record references comes before it. */
export const INVENTORY_COLLECTIONS = ['resourceGroups', 'networks', 'hosts', 'images', 'vms', 'nics', 'disks'] as const;
export type InventoryCollection = (typeof INVENTORY_COLLECTIONS)[number];

/** The records of each collection. */
export interface InventoryRecords {
  resourceGroups: ResourceGroupRecord[];
  networks: NetworkRecord[];
  hosts: HostRecord[];
  images: ImageRecord[];
  vms: VmRecord[];
  nics: NicRecord[];
  disks: DiskRecord[];
}

export interface InventoryGraph extends InventoryRecords {
  /**
   * Parts that could not be collected. A graph with part errors is partial: the persister saves
   * what it holds and archives nothing.
   */
  partErrors: PartError[];
  /**
   * Targeted refresh only: native ids that were asked for and that the provider says no longer
   * exist (these, and only these, are archived).
   */
  notFound: string[];
}

/**
 * A piece of a refresh's inventory, as {@link ProviderPlugin.collectInventory} yields it: any
 * subset of the graph's collections, a bounded number of records (a page or so, never the estate).
 * A record may reference (by native id) only what an earlier chunk or this one holds, or what is
 * already stored: chunks of a full refresh are saved in order, each on its own, and what one saves
 * is never undone. A native id seen again later in the same refresh is ignored (the first record wins).
 */
export interface InventoryChunk extends Partial<InventoryRecords> {
  /**
   * Parts that failed, reported on any chunk (typically one of their own at the point of
   * failure); they accumulate. A refresh whose stream reported any archives nothing.
   */
  partErrors?: PartError[];
  /** Parts collected to their end (e.g. 'subscription <id>'); informative, for logs and progress. */
  completedParts?: string[];
  /** Targeted refresh only: asked-for native ids the provider says no longer exist (see InventoryGraph). */
  notFound?: string[];
}

/** The chunk holding a whole graph: what a plugin that collects in one go yields, once. */
export function chunkOfGraph(graph: InventoryGraph): InventoryChunk {
  return { ...graph };
}

export function emptyInventoryGraph(): InventoryGraph {
  const graph = { partErrors: [], notFound: [] } as unknown as InventoryGraph;
  for (const name of INVENTORY_COLLECTIONS) graph[name] = [];
  return graph;
}

/**
 * The graph of a whole stream of chunks, in order (the first record of a native id wins, as when
 * the chunks are saved): for a targeted refresh, which is saved whole, and for tests.
 */
export async function graphOfChunks(chunks: AsyncIterable<InventoryChunk>): Promise<InventoryGraph> {
  const graph = emptyInventoryGraph();
  const seen = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, new Set<string>()])) as Record<InventoryCollection, Set<string>>;
  for await (const chunk of chunks) addChunk(graph, chunk, seen);
  return graph;
}

/** Appends a chunk's records (those not in `seen`, which it updates), part errors and not-found ids to a graph. */
export function addChunk(graph: InventoryGraph, chunk: InventoryChunk, seen: Record<InventoryCollection, Set<string>>): void {
  for (const name of INVENTORY_COLLECTIONS) {
    const into = graph[name] as { nativeId: string }[];
    for (const record of (chunk[name] ?? []) as { nativeId: string }[]) {
      if (seen[name].has(record.nativeId)) continue;
      seen[name].add(record.nativeId);
      into.push(record);
    }
  }
  graph.partErrors.push(...(chunk.partErrors ?? []));
  graph.notFound.push(...(chunk.notFound ?? []));
}
