import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, In, type EntityManager, type EntityTarget } from 'typeorm';
import { NotFoundError, addChunk, emptyInventoryGraph, type InventoryChunk, type InventoryGraph, type InventoryScope, type PartError, type PowerState } from '@hybridforms/core';
import {
  DiskEntity,
  HostEntity,
  ImageEntity,
  NetworkEntity,
  NicEntity,
  OperationEntity,
  ProviderEntity,
  ResourceGroupEntity,
  VmChangeEntity,
  VmEntity,
  type InventoryRow,
} from './entities/index.js';
import { EntityTable } from './entity-table.js';
import { fitToColumns } from './fit-to-columns.js';
import {
  diffInventory,
  INVENTORY_COLLECTIONS,
  type ChangeCauses,
  type CollectionStats,
  type InventoryCollection,
  type InventoryRows,
  type PersistStats,
} from './inventory-diff.js';

// Changes a lifecycle operation makes, and how long after its end a refresh's finding is still its doing.
const ATTRIBUTED_FIELDS = new Set(['powerState', 'archived']);
const ATTRIBUTION_WINDOW_MS = 10 * 60 * 1000;
// An overwrite keeps who owns the row, its key and when it was first seen.
const NEVER_OVERWRITTEN = new Set(['id', 'provider_id', 'native_id', 'created_at']);
// Stored ids read per query when a streamed refresh looks for what it did not see.
const ARCHIVE_PAGE_SIZE = 2000;
// A chunk is saved as a targeted save that may archive nothing.
const NO_ARCHIVE_SCOPE: InventoryScope = { kind: 'targeted', nativeIds: [] };

/**
 * The save of one refresh: `apply` each chunk the plugin yields, in order, then `finish`. Archives
 * happen only in a `finish` of a refresh whose chunks reported no part errors; a refresh that
 * stops before `finish` archives nothing.
 *
 * - Full scope: each chunk is saved as it is applied, in its own transaction (what it commits is
 *   current data, kept whatever happens next); `finish` archives, in one transaction, every
 *   stored, non-archived row of the provider that no chunk held.
 * - Targeted scope: the chunks (one, typically) are held and saved whole by `finish`, in one
 *   transaction, archiving only the asked-for VMs the provider says are gone and the NICs and
 *   disks its VMs no longer have.
 */
export interface InventorySession {
  /**
   * Takes the chunk's records (those not already seen in this refresh), part errors and not-found
   * ids; returns what saving it did (nothing yet in a targeted session).
   */
  apply(chunk: InventoryChunk): Promise<PersistStats>;
  /** Ends the refresh; returns its stats (every chunk's, summed, plus the archives). */
  finish(): Promise<PersistStats>;
  /** The stats so far. */
  readonly stats: PersistStats;
}

/**
 * Saves the inventory of one provider: upsert by native id, archive what a complete full refresh
 * no longer saw, keep a change record per changed VM field. A refresh saves through a session
 * ({@link open}); each of its saves loads only the stored rows it may touch, computes the diff in
 * memory, and writes only rows that differ, in multi-row statements.
 */
@Injectable()
export class InventoryPersister {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Opens the save of a refresh. A full session keeps, per collection, a short hash of every
   * native id it saved (no rows), so memory grows by a few dozen bytes per record.
   */
  open(providerId: string, refreshId: string | null, scope: InventoryScope, options: { archivePageSize?: number; causes?: ChangeCauses } = {}): InventorySession {
    return scope.kind === 'full'
      ? new StreamedFullSave(this, providerId, refreshId, options.archivePageSize ?? ARCHIVE_PAGE_SIZE)
      : new TargetedSave((graph) => this.save(providerId, refreshId, graph, scope, options.causes));
  }

  /**
   * Saves a whole graph in one transaction (a full scope loads every stored row of the provider):
   * for seeding and tests, and a targeted session's `finish`.
   */
  save(providerId: string, refreshId: string | null, graph: InventoryGraph, scope: InventoryScope, causes?: ChangeCauses): Promise<PersistStats> {
    return this.inTransaction((manager) => this.saveIn(manager, providerId, refreshId, graph, scope, causes));
  }

  /**
   * The optimistic power state of an operation the cloud accepted (starting, stopping…), with a
   * change record naming the operation; the refresh that follows it confirms or corrects it.
   * False when the VM is gone or archived (nothing written).
   */
  async recordPowerTransition(vmId: string, powerState: PowerState, operationId: string): Promise<boolean> {
    return this.inTransaction(async (manager) => {
      const vm = await manager.findOne(VmEntity, { select: { id: true, providerId: true, powerState: true, archivedAt: true }, where: { id: vmId } });
      if (!vm || vm.archivedAt) return false;
      if (vm.powerState === powerState) return true;
      const now = new Date();
      await manager.update(VmEntity, { id: vmId }, { powerState, updatedAt: now });
      await manager.insert(VmChangeEntity, {
        id: randomUUID(),
        vmId,
        providerId: vm.providerId,
        refreshId: null,
        operationId,
        field: 'powerState',
        fromValue: vm.powerState,
        toValue: powerState,
        changedAt: now,
      });
      return true;
    });
  }

  /** Runs work in a transaction; on SQLite, one at a time per process. */
  inTransaction<T>(run: (manager: EntityManager) => Promise<T>): Promise<T> {
    const work = () => (this.isPostgres ? this.dataSource.transaction(run) : this.sqliteImmediate(run));
    if (!this.isPostgres) {
      // TypeORM runs every SQLite query of the process on one connection: a second save started
      // meanwhile would nest in this transaction (as a savepoint) instead of waiting its turn.
      const run = this.sqliteQueue.then(work, work);
      this.sqliteQueue = run.catch(() => undefined);
      return run;
    }
    return work();
  }

  /**
   * A SQLite transaction that takes the write lock as it begins (BEGIN IMMEDIATE): a save waits
   * for another writer (up to the busy timeout) before it reads, never half-way, and fails clearly
   * when the lock does not come, even when it turns out to have nothing to write.
   */
  private async sqliteImmediate<T>(run: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN IMMEDIATE');
      try {
        const result = await run(runner.manager);
        await runner.query('COMMIT');
        return result;
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The archives of a complete streamed full refresh: stored non-archived rows whose native id
   * the refresh did not see, read in keyset pages of native ids, marked archived page by page (with a
   * change record per VM), all in the caller's one transaction.
   */
  async archiveUnseenIn(
    manager: EntityManager,
    providerId: string,
    refreshId: string | null,
    seen: (collection: InventoryCollection, nativeId: string) => boolean,
    pageSize = ARCHIVE_PAGE_SIZE,
  ): Promise<Record<InventoryCollection, number>> {
    await this.lockProvider(manager, providerId);
    const tables = tablesOf(manager);
    const writable: Record<InventoryCollection, EntityTable<InventoryRow>> = tables;
    const changes = new EntityTable(manager, VmChangeEntity);
    const now = new Date();
    const archived = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, 0])) as Record<InventoryCollection, number>;
    for (const name of INVENTORY_COLLECTIONS) {
      let after = '';
      for (;;) {
        const rows = await writable[name].liveKeysAfter({ column: 'provider_id', value: providerId }, after, pageSize);
        if (rows.length === 0) break;
        after = rows[rows.length - 1].nativeId;
        const unseen = rows.filter((row) => !seen(name, row.nativeId)).map((row) => row.id);
        if (unseen.length === 0) continue;
        await writable[name].updateByIds(unseen, { archivedAt: now, updatedAt: now });
        if (name === 'vms') {
          await changes.insert(
            unseen.map((vmId) => ({ id: randomUUID(), vmId, providerId, refreshId, field: 'archived', fromValue: false, toValue: true, changedAt: now })),
          );
        }
        archived[name] += unseen.length;
      }
    }
    return archived;
  }

  private get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  private async saveIn(
    manager: EntityManager,
    providerId: string,
    refreshId: string | null,
    graph: InventoryGraph,
    scope: InventoryScope,
    causes?: ChangeCauses,
  ): Promise<PersistStats> {
    await this.lockProvider(manager, providerId);
    const tables = tablesOf(manager);
    const existing = scope.kind === 'full' ? await this.loadAll(tables, providerId) : await this.loadTargeted(tables, providerId, graph, scope.nativeIds);
    const now = new Date();
    const diff = diffInventory({ providerId, refreshId, graph: this.fitted(graph), scope, existing, now, causes });

    // Save order: whatever a row references is written before it.
    const writable: Record<InventoryCollection, EntityTable<InventoryRow>> = tables;
    for (const name of INVENTORY_COLLECTIONS) await writable[name].upsert(diff.upserts[name], NEVER_OVERWRITTEN);
    for (const name of INVENTORY_COLLECTIONS) await writable[name].updateByIds(diff.archives[name], { archivedAt: now, updatedAt: now });
    await this.attributeToOperations(manager, diff.changes, now);
    await new EntityTable(manager, VmChangeEntity).insert(diff.changes);
    if (causes && diff.archives.vms.length > 0) await this.markRetired(manager, diff.archives.vms, existingNativeIds(existing), causes);
    return diff.stats;
  }

  /**
   * A power state (or archive) change that a refresh finds while an operation on the VM is in
   * flight or just ended, unconfirmed, is that operation's doing even when another refresh (one an
   * event asked for, a full one) read it first: its change record names the operation.
   */
  private async attributeToOperations(manager: EntityManager, changes: VmChangeEntity[], now: Date): Promise<void> {
    const open = changes.filter((change) => !change.operationId && ATTRIBUTED_FIELDS.has(change.field));
    if (open.length === 0) return;
    const since = new Date(now.getTime() - ATTRIBUTION_WINDOW_MS);
    const vmIds = [...new Set(open.map((change) => change.vmId))];
    const operationOf = new Map<string, string>();
    for (let i = 0; i < vmIds.length; i += 500) {
      const rows = await manager
        .createQueryBuilder(OperationEntity, 'operation')
        .select(['operation.id', 'operation.vmId'])
        .where('operation.vmId IN (:...vmIds)', { vmIds: vmIds.slice(i, i + 500) })
        .andWhere(
          new Brackets((qb) =>
            qb.where("operation.status IN ('queued', 'running')").orWhere('operation.confirmedByRefreshId IS NULL AND operation.finishedAt >= :since', { since }),
          ),
        )
        .orderBy('operation.requestedAt', 'ASC')
        .getMany();
      for (const row of rows) if (row.vmId) operationOf.set(row.vmId, row.id);
    }
    for (const change of open) {
      const operationId = operationOf.get(change.vmId);
      if (operationId) change.operationId = operationId;
    }
  }

  /** VMs a retirement deleted, archived by the refresh it asked for: their reason says so. */
  private async markRetired(manager: EntityManager, archivedVmIds: string[], nativeIdOf: Map<string, string>, causes: ChangeCauses): Promise<void> {
    const causeOf = new Map(archivedVmIds.map((id) => [id, causes[nativeIdOf.get(id) ?? '']]).filter((pair): pair is [string, string] => Boolean(pair[1])));
    if (causeOf.size === 0) return;
    const retirements = await manager.find(OperationEntity, { select: { id: true }, where: { id: In([...new Set(causeOf.values())]), kind: 'vm-retire' } });
    const retiring = new Set(retirements.map((operation) => operation.id));
    const retired = [...causeOf].filter(([, operationId]) => retiring.has(operationId)).map(([vmId]) => vmId);
    if (retired.length > 0) await tablesOf(manager).vms.updateByIds(retired, { archiveReason: 'retired' });
  }

  private fitted(graph: InventoryGraph): InventoryGraph {
    const fitted = { ...graph };
    for (const name of INVENTORY_COLLECTIONS) (fitted[name] as object[]) = fitToColumns(this.dataSource, ENTITY_OF[name], graph[name] as object[]);
    return fitted;
  }

  /**
   * Fails clearly when the provider is gone, and on PostgreSQL serializes saves of one provider
   * across processes (a refresh declared stale may still be saving). NO KEY UPDATE does not block
   * inserts that merely reference the provider.
   */
  async lockProvider(manager: EntityManager, providerId: string): Promise<void> {
    const query = manager.createQueryBuilder(ProviderEntity, 'provider').select('provider.id').where('provider.id = :providerId', { providerId });
    if (this.isPostgres) query.setLock('for_no_key_update');
    if (!(await query.getRawOne())) throw new NotFoundError(`provider ${providerId} not found`);
  }

  private async loadAll(tables: Tables, providerId: string): Promise<InventoryRows> {
    const owned = { column: 'provider_id', value: providerId };
    const rows = {} as Record<InventoryCollection, InventoryRow[]>;
    for (const name of INVENTORY_COLLECTIONS) rows[name] = await (tables[name] as EntityTable<InventoryRow>).select(owned);
    return rows as InventoryRows;
  }

  /**
   * A targeted save loads only what it may touch: the rows the graph holds, the rows they
   * reference, the asked-for VMs, and the NICs and disks of those VMs.
   */
  private async loadTargeted(tables: Tables, providerId: string, graph: InventoryGraph, asked: string[]): Promise<InventoryRows> {
    const owned = { column: 'provider_id', value: providerId };
    const byNativeId = <E extends InventoryRow>(table: EntityTable<E>, nativeIds: string[]) =>
      table.select(owned, { column: 'native_id', values: [...new Set(nativeIds)] });
    const byVmId = <E extends InventoryRow>(table: EntityTable<E>, vmIds: string[]) => table.select(owned, { column: 'vm_id', values: vmIds });

    const vms = await byNativeId(tables.vms, [
      ...graph.vms.map((r) => r.nativeId),
      ...asked,
      ...graph.nics.flatMap((r) => r.vmNativeId ?? []),
      ...graph.disks.flatMap((r) => r.vmNativeId ?? []),
    ]);
    const askedSet = new Set(asked);
    const targetedVmIds = vms.filter((vm) => askedSet.has(vm.nativeId)).map((vm) => vm.id);
    return {
      resourceGroups: await byNativeId(tables.resourceGroups, graph.resourceGroups.map((r) => r.nativeId)),
      networks: await byNativeId(tables.networks, [...graph.networks.map((r) => r.nativeId), ...graph.nics.flatMap((r) => r.networkNativeId ?? [])]),
      hosts: await byNativeId(tables.hosts, [...graph.hosts.map((r) => r.nativeId), ...graph.vms.flatMap((r) => r.hostNativeId ?? [])]),
      images: await byNativeId(tables.images, [...graph.images.map((r) => r.nativeId), ...graph.vms.flatMap((r) => r.imageNativeId ?? [])]),
      vms,
      nics: union(await byNativeId(tables.nics, graph.nics.map((r) => r.nativeId)), await byVmId(tables.nics, targetedVmIds)),
      disks: union(await byNativeId(tables.disks, graph.disks.map((r) => r.nativeId)), await byVmId(tables.disks, targetedVmIds)),
    };
  }
}

type Tables = { [K in InventoryCollection]: EntityTable<InventoryRows[K][number]> };

/** A targeted refresh: see {@link InventorySession}. */
class TargetedSave implements InventorySession {
  stats: PersistStats = emptyStats();
  private readonly graph = emptyInventoryGraph();
  private readonly seen = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, new Set<string>()])) as Record<InventoryCollection, Set<string>>;
  private saved: Promise<PersistStats> | null = null;

  constructor(private readonly saveWhole: (graph: InventoryGraph) => Promise<PersistStats>) {}

  apply(chunk: InventoryChunk): Promise<PersistStats> {
    if (this.saved) throw new Error('this refresh has finished saving');
    addChunk(this.graph, chunk, this.seen);
    return Promise.resolve(emptyStats());
  }

  async finish(): Promise<PersistStats> {
    if (this.saved) throw new Error('this refresh has finished saving');
    this.saved = this.saveWhole(this.graph);
    this.stats = await this.saved;
    return this.stats;
  }
}

/** A full refresh: see {@link InventorySession}. */
class StreamedFullSave implements InventorySession {
  readonly stats: PersistStats = emptyStats();
  private readonly partErrors: PartError[] = [];
  // 16 bytes of SHA-1 per native id, as a latin1 string: ~40 bytes each in V8, whatever the id's length.
  private readonly seen = Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, new Set<string>()])) as Record<InventoryCollection, Set<string>>;
  private finished = false;

  constructor(
    private readonly persister: InventoryPersister,
    private readonly providerId: string,
    private readonly refreshId: string | null,
    private readonly archivePageSize: number,
  ) {}

  async apply(chunk: InventoryChunk): Promise<PersistStats> {
    if (this.finished) throw new Error('this refresh has finished saving');
    this.partErrors.push(...(chunk.partErrors ?? []));
    const graph = emptyInventoryGraph();
    const fresh = {} as Record<InventoryCollection, string[]>;
    for (const name of INVENTORY_COLLECTIONS) {
      const records: { nativeId: string }[] = chunk[name] ?? [];
      const kept = new Map<string, { nativeId: string }>();
      for (const record of records) {
        const hash = digest(record.nativeId);
        if (this.seen[name].has(hash) || kept.has(hash)) continue;
        kept.set(hash, record);
      }
      (graph[name] as { nativeId: string }[]) = [...kept.values()];
      fresh[name] = [...kept.keys()];
    }
    if (INVENTORY_COLLECTIONS.every((name) => graph[name].length === 0)) return emptyStats();
    // A chunk that reports failed parts is saved as a partial graph is (a VM without its NICs keeps its addresses).
    graph.partErrors = chunk.partErrors ?? [];
    // A chunk is a save that archives nothing: it goes through save() like any other.
    const stats = await this.persister.save(this.providerId, this.refreshId, graph, NO_ARCHIVE_SCOPE);
    // Marked seen once committed: a chunk that failed is not seen, and the refresh then fails too.
    for (const name of INVENTORY_COLLECTIONS) for (const hash of fresh[name]) this.seen[name].add(hash);
    addStats(this.stats, stats);
    return stats;
  }

  async finish(): Promise<PersistStats> {
    if (this.finished) throw new Error('this refresh has finished saving');
    this.finished = true;
    const { partErrors } = this;
    if (partErrors.length > 0) {
      const parts = partErrors.map((e) => `${e.scope} (${e.code})`).join(', ');
      this.stats.archivedNothingBecause = `partial refresh: ${partErrors.length} part(s) could not be collected: ${parts}`;
      return this.stats;
    }
    const archived = await this.persister.inTransaction((manager) =>
      this.persister.archiveUnseenIn(manager, this.providerId, this.refreshId, (name, nativeId) => this.seen[name].has(digest(nativeId)), this.archivePageSize),
    );
    for (const name of INVENTORY_COLLECTIONS) {
      this.stats.collections[name].archived += archived[name];
      this.stats.rowsWritten += archived[name];
    }
    this.stats.changes += archived.vms;
    this.stats.rowsWritten += archived.vms;
    return this.stats;
  }
}

function digest(nativeId: string): string {
  return createHash('sha1').update(nativeId).digest().subarray(0, 16).toString('latin1');
}

function emptyStats(): PersistStats {
  const collections = {} as Record<InventoryCollection, CollectionStats>;
  for (const name of INVENTORY_COLLECTIONS) collections[name] = { created: 0, updated: 0, unchanged: 0, archived: 0, restored: 0 };
  return { collections, changes: 0, rowsWritten: 0 };
}

function addStats(total: PersistStats, add: PersistStats): void {
  for (const name of INVENTORY_COLLECTIONS) {
    const into = total.collections[name];
    const from = add.collections[name];
    into.created += from.created;
    into.updated += from.updated;
    into.unchanged += from.unchanged;
    into.archived += from.archived;
    into.restored += from.restored;
  }
  total.changes += add.changes;
  total.rowsWritten += add.rowsWritten;
}

/** The entity that stores each collection. */
const ENTITY_OF: { [K in InventoryCollection]: EntityTarget<InventoryRows[K][number]> } = {
  resourceGroups: ResourceGroupEntity,
  networks: NetworkEntity,
  hosts: HostEntity,
  images: ImageEntity,
  vms: VmEntity,
  nics: NicEntity,
  disks: DiskEntity,
};

function tablesOf(manager: EntityManager): Tables {
  return Object.fromEntries(INVENTORY_COLLECTIONS.map((name) => [name, new EntityTable(manager, ENTITY_OF[name] as EntityTarget<InventoryRow>)])) as Tables;
}

function union<E extends InventoryRow>(a: E[], b: E[]): E[] {
  return [...new Map([...a, ...b].map((row) => [row.id, row])).values()];
}

function existingNativeIds(existing: InventoryRows): Map<string, string> {
  return new Map(existing.vms.map((vm) => [vm.id, vm.nativeId]));
}
