import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { NotFoundError, type InventoryGraph, type InventoryScope } from '@hybridforms/core';
import {
  DiskEntity,
  HostEntity,
  ImageEntity,
  NetworkEntity,
  NicEntity,
  ProviderEntity,
  ResourceGroupEntity,
  VmChangeEntity,
  VmEntity,
  type InventoryRow,
} from './entities/index.js';
import { EntityTable } from './entity-table.js';
import { fitToColumns } from './fit-to-columns.js';
import { diffInventory, INVENTORY_COLLECTIONS, type InventoryCollection, type InventoryRows, type PersistStats } from './inventory-diff.js';

// An overwrite keeps who owns the row, its key and when it was first seen.
const NEVER_OVERWRITTEN = new Set(['id', 'provider_id', 'native_id', 'created_at']);

/**
 * Saves an inventory graph of one provider: upsert by native id, archive what a complete full
 * refresh no longer saw, keep a change record per changed VM field. One transaction per save;
 * the stored rows are loaded with one query per collection, the diff is computed in memory, and
 * only rows that differ are written, in multi-row statements.
 */
@Injectable()
export class InventoryPersister {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  save(providerId: string, refreshId: string | null, graph: InventoryGraph, scope: InventoryScope): Promise<PersistStats> {
    const work = () => this.dataSource.transaction((manager) => this.saveIn(manager, providerId, refreshId, graph, scope));
    if (!this.isPostgres) {
      // TypeORM runs every SQLite query of the process on one connection: a second save started
      // meanwhile would nest in this transaction (as a savepoint) instead of waiting its turn.
      const run = this.sqliteQueue.then(work, work);
      this.sqliteQueue = run.catch(() => undefined);
      return run;
    }
    return work();
  }

  private get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  private async saveIn(manager: EntityManager, providerId: string, refreshId: string | null, graph: InventoryGraph, scope: InventoryScope): Promise<PersistStats> {
    await this.lockProvider(manager, providerId);
    const tables = tablesOf(manager);
    const existing = scope.kind === 'full' ? await this.loadAll(tables, providerId) : await this.loadTargeted(tables, providerId, graph, scope.nativeIds);
    const now = new Date();
    const diff = diffInventory({ providerId, refreshId, graph: this.fitted(graph), scope, existing, now });

    // Save order: whatever a row references is written before it.
    const writable: Record<InventoryCollection, EntityTable<InventoryRow>> = tables;
    for (const name of INVENTORY_COLLECTIONS) await writable[name].upsert(diff.upserts[name], NEVER_OVERWRITTEN);
    for (const name of INVENTORY_COLLECTIONS) await writable[name].updateByIds(diff.archives[name], { archivedAt: now, updatedAt: now });
    await new EntityTable(manager, VmChangeEntity).insert(diff.changes);
    return diff.stats;
  }

  private fitted(graph: InventoryGraph): InventoryGraph {
    const fit = <R extends object>(entity: EntityTarget<ObjectLiteral>, records: R[]) => fitToColumns(this.dataSource, entity, records);
    return {
      ...graph,
      resourceGroups: fit(ResourceGroupEntity, graph.resourceGroups),
      networks: fit(NetworkEntity, graph.networks),
      hosts: fit(HostEntity, graph.hosts),
      images: fit(ImageEntity, graph.images),
      vms: fit(VmEntity, graph.vms),
      nics: fit(NicEntity, graph.nics),
      disks: fit(DiskEntity, graph.disks),
    };
  }

  /**
   * Fails clearly when the provider is gone, and on PostgreSQL serializes saves of one provider
   * across processes (a refresh declared stale may still be saving). NO KEY UPDATE does not block
   * inserts that merely reference the provider.
   */
  private async lockProvider(manager: EntityManager, providerId: string): Promise<void> {
    const query = manager.createQueryBuilder(ProviderEntity, 'provider').select('provider.id').where('provider.id = :providerId', { providerId });
    if (this.isPostgres) query.setLock('for_no_key_update');
    if (!(await query.getRawOne())) throw new NotFoundError(`provider ${providerId} not found`);
  }

  private async loadAll(tables: Tables, providerId: string): Promise<InventoryRows> {
    const owned = { column: 'provider_id', value: providerId };
    return {
      resourceGroups: await tables.resourceGroups.select(owned),
      networks: await tables.networks.select(owned),
      hosts: await tables.hosts.select(owned),
      images: await tables.images.select(owned),
      vms: await tables.vms.select(owned),
      nics: await tables.nics.select(owned),
      disks: await tables.disks.select(owned),
    };
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

function tablesOf(manager: EntityManager): Tables {
  return {
    resourceGroups: new EntityTable(manager, ResourceGroupEntity),
    networks: new EntityTable(manager, NetworkEntity),
    hosts: new EntityTable(manager, HostEntity),
    images: new EntityTable(manager, ImageEntity),
    vms: new EntityTable(manager, VmEntity),
    nics: new EntityTable(manager, NicEntity),
    disks: new EntityTable(manager, DiskEntity),
  };
}

function union<E extends InventoryRow>(a: E[], b: E[]): E[] {
  return [...new Map([...a, ...b].map((row) => [row.id, row])).values()];
}
