import { randomUUID } from 'node:crypto';
import {
  INVENTORY_COLLECTIONS,
  mergeOsClassification,
  type InventoryCollection,
  type DiskRecord,
  type HostRecord,
  type ImageRecord,
  type InventoryGraph,
  type InventoryScope,
  type NetworkRecord,
  type NicRecord,
  type ResourceGroupRecord,
  type VmRecord,
} from '@hybridforms/core';
import type {
  DiskEntity,
  HostEntity,
  ImageEntity,
  InventoryRow,
  NetworkEntity,
  NicEntity,
  ResourceGroupEntity,
  VmChangeEntity,
  VmEntity,
} from './entities/index.js';

export { INVENTORY_COLLECTIONS, type InventoryCollection } from '@hybridforms/core';

/**
 * What one save did to one collection. Every distinct record of the graph is counted once, as
 * created, updated, unchanged or restored (a restored row may also have changed values);
 * `archived` counts rows the save marked archived.
 */
export interface CollectionStats {
  created: number;
  updated: number;
  unchanged: number;
  archived: number;
  restored: number;
}

export interface PersistStats {
  collections: Record<InventoryCollection, CollectionStats>;
  /** vm_changes rows written. */
  changes: number;
  /** Rows inserted or updated, change records included: 0 when nothing changed. */
  rowsWritten: number;
  /** Set when the save archived nothing although its scope could have: why. */
  archivedNothingBecause?: string;
}

/** Stored rows of one provider, per collection (all of them, or the subset a targeted save needs). */
export interface InventoryRows {
  resourceGroups: ResourceGroupEntity[];
  networks: NetworkEntity[];
  hosts: HostEntity[];
  images: ImageEntity[];
  vms: VmEntity[];
  nics: NicEntity[];
  disks: DiskEntity[];
}

/** The writes one save needs. */
export interface InventoryDiff {
  /** Whole rows to insert or overwrite; only rows that are new or differ from the stored ones. */
  upserts: InventoryRows;
  /** Ids of stored rows to mark archived. */
  archives: Record<InventoryCollection, string[]>;
  changes: VmChangeEntity[];
  stats: PersistStats;
}

export interface DiffInput {
  providerId: string;
  refreshId: string | null;
  graph: InventoryGraph;
  scope: InventoryScope;
  existing: InventoryRows;
  now: Date;
  /** The operation behind a VM's refresh, by native id: recorded on that VM's changes. */
  causes?: ChangeCauses;
}

/** Native id of a VM → the operation whose end asked for its refresh. */
export type ChangeCauses = Readonly<Record<string, string>>;

/** The VM fields whose changes are kept as change records (plus `archived`). */
export const TRACKED_VM_FIELDS = [
  'name',
  'powerState',
  'osFamily',
  'osName',
  'osVersion',
  'osSource',
  'licenseModel',
  'licenseType',
  'size',
  'cpuCount',
  'memoryMb',
  'location',
  'guestAgentVersion',
  'imageId',
  'hostId',
  'tags',
  'details',
  'ipAddresses',
] as const satisfies readonly (keyof VmEntity)[];

type Data<E> = Omit<E, keyof InventoryRow>;
type Outcome = 'created' | 'updated' | 'unchanged' | 'restored';

interface Diffed<E extends InventoryRow> {
  row: E;
  stored: E | undefined;
  outcome: Outcome;
}

/**
 * Computes, in memory, what a save of `graph` must write over the stored rows: which rows to
 * insert or overwrite (nothing for a row whose values are identical), which to archive, and the
 * change records of VMs. Pure: the persister loads before and writes after.
 */
export function diffInventory(input: DiffInput): InventoryDiff {
  const { providerId, refreshId, graph, existing, now } = input;
  const partial = graph.partErrors.length > 0;
  const differ = new CollectionDiffer(providerId, now);

  const ids = {
    networks: idsByNativeId(existing.networks),
    hosts: idsByNativeId(existing.hosts),
    images: idsByNativeId(existing.images),
    vms: idsByNativeId(existing.vms),
  };
  const ref = (map: Map<string, string>, nativeId: string | null): string | null => (nativeId === null ? null : (map.get(nativeId) ?? null));

  const resourceGroups = differ.diff(graph.resourceGroups, existing.resourceGroups, (r: ResourceGroupRecord): Data<ResourceGroupEntity> => ({
    name: r.name,
    location: r.location ?? null,
    tags: sortedTags(r.tags),
  }));
  const networks = differ.diff(graph.networks, existing.networks, (r: NetworkRecord): Data<NetworkEntity> => ({
    name: r.name,
    kind: r.kind,
    location: r.location ?? null,
  }));
  register(ids.networks, networks);
  const hosts = differ.diff(graph.hosts, existing.hosts, (r: HostRecord): Data<HostEntity> => ({
    name: r.name,
    kind: r.kind,
    osName: r.osName ?? null,
    osVersion: r.osVersion ?? null,
    cpuCount: r.cpuCount ?? null,
    memoryMb: r.memoryMb ?? null,
    hypervisorVersion: r.hypervisorVersion ?? null,
    location: r.location ?? null,
  }));
  register(ids.hosts, hosts);
  const images = differ.diff(graph.images, existing.images, (r: ImageRecord): Data<ImageEntity> => ({
    name: r.name,
    kind: r.kind,
    publisher: r.publisher ?? null,
    offer: r.offer ?? null,
    sku: r.sku ?? null,
    version: r.version ?? null,
    osFamily: r.osFamily,
    osName: r.osName ?? null,
    osVersion: r.osVersion ?? null,
    osSource: r.osSource ?? null,
  }));
  register(ids.images, images);

  const ipsByVm = ipAddressesByVm(graph.nics);
  const vms = differ.diff(graph.vms, existing.vms, (r: VmRecord, stored): Data<VmEntity> => {
    const os = mergeOsClassification(
      stored ? { osFamily: stored.osFamily, osName: stored.osName, osVersion: stored.osVersion, osSource: stored.osSource, licenseModel: stored.licenseModel } : null,
      r,
      r.rhelLicenseModel,
    );
    // A partial graph may lack the NICs of a VM it holds: keep what we knew rather than erase it.
    // A streamed VM may come without its NICs: it then says its addresses itself.
    const ipAddresses = ipsByVm.get(r.nativeId) ?? r.ipAddresses ?? (partial && stored ? stored.ipAddresses : []);
    return {
      uid: r.uid ?? null,
      name: r.name,
      hostId: ref(ids.hosts, r.hostNativeId ?? null),
      imageId: ref(ids.images, r.imageNativeId ?? null),
      location: r.location ?? null,
      resourceGroup: r.resourceGroup ?? null,
      subscriptionId: r.subscriptionId ?? null,
      size: r.size ?? null,
      cpuCount: r.cpuCount ?? null,
      memoryMb: r.memoryMb ?? null,
      powerState: r.powerState,
      osFamily: os.osFamily,
      osName: os.osName,
      osVersion: os.osVersion,
      osSource: os.osSource,
      licenseModel: os.licenseModel,
      licenseType: r.licenseType ?? null,
      guestAgentVersion: r.guestAgentVersion ?? null,
      tags: sortedTags(r.tags),
      details: r.details ?? {},
      ipAddresses,
      createdAtProvider: r.createdAtProvider ?? null,
    };
  });
  register(ids.vms, vms);
  const nics = differ.diff(graph.nics, existing.nics, (r: NicRecord): Data<NicEntity> => ({
    vmId: ref(ids.vms, r.vmNativeId ?? null),
    name: r.name,
    macAddress: r.macAddress ?? null,
    primary: r.primary ?? false,
    privateIps: r.privateIps ?? [],
    publicIps: r.publicIps ?? [],
    networkId: ref(ids.networks, r.networkNativeId ?? null),
  }));
  const disks = differ.diff(graph.disks, existing.disks, (r: DiskRecord): Data<DiskEntity> => ({
    vmId: ref(ids.vms, r.vmNativeId ?? null),
    name: r.name,
    role: r.role,
    sizeGb: r.sizeGb ?? null,
    storageType: r.storageType ?? null,
    location: r.location ?? null,
  }));

  const diffed = { resourceGroups, networks, hosts, images, vms, nics, disks };
  const { archives, archivedNothingBecause } = archivable(input, diffed, ids.vms);

  const changes: VmChangeEntity[] = [];
  const causes = input.causes ?? {};
  const causeOfId = new Map(input.causes ? existing.vms.filter((vm) => causes[vm.nativeId]).map((vm) => [vm.id, causes[vm.nativeId]]) : []);
  const change = (vmId: string, field: string, fromValue: unknown, toValue: unknown): void => {
    const operationId = causeOfId.get(vmId) ?? null;
    changes.push({ id: randomUUID(), vmId, providerId, refreshId, field, fromValue, toValue, changedAt: now, ...(operationId ? { operationId } : {}) });
  };
  for (const { row, stored, outcome } of vms) {
    if (!stored || outcome === 'unchanged') continue;
    if (outcome === 'restored') change(row.id, 'archived', true, false);
    for (const field of TRACKED_VM_FIELDS) {
      if (!sameValue(stored[field], row[field])) change(row.id, field, stored[field], row[field]);
    }
  }
  for (const id of archives.vms) change(id, 'archived', false, true);

  const upserts = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, written<InventoryRow>(diffed[name])])) as unknown as InventoryRows;
  const collections = {} as Record<InventoryCollection, CollectionStats>;
  let rowsWritten = changes.length;
  for (const name of INVENTORY_COLLECTIONS) {
    collections[name] = countOutcomes(diffed[name], archives[name].length);
    rowsWritten += upserts[name].length + archives[name].length;
  }
  const stats: PersistStats = { collections, changes: changes.length, rowsWritten };
  if (archivedNothingBecause) stats.archivedNothingBecause = archivedNothingBecause;
  return { upserts, archives, changes, stats };
}

/** Upserts rows by native id and tells, for each, whether anything must be written. */
class CollectionDiffer {
  constructor(
    private readonly providerId: string,
    private readonly now: Date,
  ) {}

  diff<R extends { nativeId: string }, E extends InventoryRow>(records: R[], existing: E[], build: (record: R, stored: E | undefined) => Data<E>): Diffed<E>[] {
    const stored = new Map(existing.map((row) => [row.nativeId, row]));
    const result: Diffed<E>[] = [];
    for (const record of lastByNativeId(records)) {
      const before = stored.get(record.nativeId);
      const data = build(record, before);
      if (!before) {
        const created: InventoryRow = { id: randomUUID(), providerId: this.providerId, nativeId: record.nativeId, archivedAt: null, createdAt: this.now, updatedAt: this.now };
        result.push({ row: { ...data, ...created } as E, stored: undefined, outcome: 'created' });
        continue;
      }
      const changed = (Object.keys(data) as (keyof Data<E>)[]).some((key) => !sameValue(before[key], data[key]));
      const restored = before.archivedAt !== null;
      if (!changed && !restored) {
        result.push({ row: before, stored: before, outcome: 'unchanged' });
        continue;
      }
      result.push({ row: { ...before, ...data, archivedAt: null, updatedAt: this.now }, stored: before, outcome: restored ? 'restored' : 'updated' });
    }
    return result;
  }
}

/**
 * Which stored rows this save archives. A complete full refresh archives every row it did not
 * see; a targeted one only the asked-for VMs the provider says are gone, and the NICs and disks
 * its VMs no longer have. A graph with part errors archives nothing, in either scope.
 */
function archivable(
  input: DiffInput,
  diffed: Record<InventoryCollection, Diffed<InventoryRow>[]>,
  vmIds: Map<string, string>,
): { archives: Record<InventoryCollection, string[]>; archivedNothingBecause?: string } {
  const { graph, scope, existing } = input;
  const archives = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, []])) as unknown as Record<InventoryCollection, string[]>;
  if (graph.partErrors.length > 0) {
    const parts = graph.partErrors.map((e) => `${e.scope} (${e.code})`).join(', ');
    return { archives, archivedNothingBecause: `partial refresh: ${graph.partErrors.length} part(s) could not be collected: ${parts}` };
  }
  const seen = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, new Set(diffed[name].map((d) => d.row.nativeId))])) as Record<
    InventoryCollection,
    Set<string>
  >;
  const unseen = <E extends InventoryRow>(name: InventoryCollection, rows: E[], also: (row: E) => boolean = () => true): string[] =>
    rows.filter((row) => row.archivedAt === null && !seen[name].has(row.nativeId) && also(row)).map((row) => row.id);

  if (scope.kind === 'full') {
    for (const name of INVENTORY_COLLECTIONS) archives[name] = unseen<InventoryRow>(name, existing[name]);
    return { archives };
  }

  const asked = new Set(scope.nativeIds);
  const gone = new Set(graph.notFound.filter((nativeId) => asked.has(nativeId)));
  archives.vms = unseen('vms', existing.vms, (row) => gone.has(row.nativeId));
  // The NICs and disks of a targeted VM are the graph's to say: those it no longer lists go.
  const targetedVmIds = new Set(
    [...graph.vms.map((vm) => vm.nativeId), ...gone].filter((nativeId) => asked.has(nativeId)).flatMap((nativeId) => vmIds.get(nativeId) ?? []),
  );
  const ofTargetedVm = (row: NicEntity | DiskEntity) => row.vmId !== null && targetedVmIds.has(row.vmId);
  archives.nics = unseen('nics', existing.nics, ofTargetedVm);
  archives.disks = unseen('disks', existing.disks, ofTargetedVm);
  return { archives };
}

/**
 * Every private then every public address of a VM's NICs, primary NIC first (then by native id,
 * so the order does not depend on the order the provider listed them in), without duplicates.
 */
export function ipAddressesByVm(nics: NicRecord[]): Map<string, string[]> {
  const byVm = new Map<string, NicRecord[]>();
  for (const nic of lastByNativeId(nics)) {
    if (!nic.vmNativeId) continue;
    const list = byVm.get(nic.vmNativeId);
    if (list) list.push(nic);
    else byVm.set(nic.vmNativeId, [nic]);
  }
  const result = new Map<string, string[]>();
  for (const [vmNativeId, list] of byVm) {
    list.sort((a, b) => Number(b.primary) - Number(a.primary) || (a.nativeId < b.nativeId ? -1 : a.nativeId > b.nativeId ? 1 : 0));
    const ips = [...list.flatMap((nic) => nic.privateIps ?? []), ...list.flatMap((nic) => nic.publicIps ?? [])];
    result.set(vmNativeId, [...new Set(ips)]);
  }
  return result;
}

/**
 * Value equality as the database sees it: dates by instant, arrays in order, plain objects by
 * their keys whatever their order, undefined as null.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = Object.keys(left).filter((key) => left[key] !== undefined);
    const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    return keys.length === rightKeys.length && keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
  }
  return false;
}

function sortedTags(tags: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A graph should not repeat a native id; if it does, the last record wins (never two rows). */
function lastByNativeId<R extends { nativeId: string }>(records: R[]): R[] {
  return [...new Map(records.map((record) => [record.nativeId, record])).values()];
}

function idsByNativeId(rows: InventoryRow[]): Map<string, string> {
  return new Map(rows.map((row) => [row.nativeId, row.id]));
}

function register(ids: Map<string, string>, diffed: Diffed<InventoryRow>[]): void {
  for (const { row } of diffed) ids.set(row.nativeId, row.id);
}

function written<E extends InventoryRow>(diffed: Diffed<E>[]): E[] {
  return diffed.filter((d) => d.outcome !== 'unchanged').map((d) => d.row);
}

function countOutcomes(diffed: Diffed<InventoryRow>[], archived: number): CollectionStats {
  const stats: CollectionStats = { created: 0, updated: 0, unchanged: 0, archived, restored: 0 };
  for (const { outcome } of diffed) stats[outcome] += 1;
  return stats;
}
