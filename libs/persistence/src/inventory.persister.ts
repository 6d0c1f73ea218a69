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
import { diffInventory, INVENTORY_COLLECTIONS, type InventoryCollection, type InventoryRows, type PersistStats } from './inventory-diff.js';

const ENTITY_OF: Record<InventoryCollection, EntityTarget<ObjectLiteral>> = {
  resourceGroups: ResourceGroupEntity,
  networks: NetworkEntity,
  hosts: HostEntity,
  images: ImageEntity,
  vms: VmEntity,
  nics: NicEntity,
  disks: DiskEntity,
};

// Bound parameters per statement: SQLite allows 32766, PostgreSQL 65535; stay clear of both.
const PARAMETER_BUDGET = { sqlite: 30_000, postgres: 60_000 } as const;

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

  private get parameterBudget(): number {
    return this.isPostgres ? PARAMETER_BUDGET.postgres : PARAMETER_BUDGET.sqlite;
  }

  private async saveIn(manager: EntityManager, providerId: string, refreshId: string | null, graph: InventoryGraph, scope: InventoryScope): Promise<PersistStats> {
    await this.lockProvider(manager, providerId);
    const existing = scope.kind === 'full' ? await this.loadAll(manager, providerId) : await this.loadTargeted(manager, providerId, graph, scope.nativeIds);
    const now = new Date();
    const diff = diffInventory({ providerId, refreshId, graph, scope, existing, now });

    for (const name of INVENTORY_COLLECTIONS) await this.upsert(manager, ENTITY_OF[name], diff.upserts[name]);
    for (const name of INVENTORY_COLLECTIONS) await this.archive(manager, ENTITY_OF[name], diff.archives[name], now);
    await this.insert(manager, VmChangeEntity, diff.changes);
    return diff.stats;
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

  private async loadAll(manager: EntityManager, providerId: string): Promise<InventoryRows> {
    const all = <E extends InventoryRow>(entity: EntityTarget<E>) =>
      manager.createQueryBuilder(entity, 'row').where('row.providerId = :providerId', { providerId }).getMany();
    return {
      resourceGroups: await all(ResourceGroupEntity),
      networks: await all(NetworkEntity),
      hosts: await all(HostEntity),
      images: await all(ImageEntity),
      vms: await all(VmEntity),
      nics: await all(NicEntity),
      disks: await all(DiskEntity),
    };
  }

  /**
   * A targeted save loads only what it may touch: the rows the graph holds, the rows they
   * reference, the asked-for VMs, and the NICs and disks of those VMs.
   */
  private async loadTargeted(manager: EntityManager, providerId: string, graph: InventoryGraph, asked: string[]): Promise<InventoryRows> {
    const vmNativeIds = [
      ...graph.vms.map((r) => r.nativeId),
      ...asked,
      ...graph.nics.flatMap((r) => r.vmNativeId ?? []),
      ...graph.disks.flatMap((r) => r.vmNativeId ?? []),
    ];
    const vms = await this.loadWhereIn(manager, VmEntity, providerId, 'nativeId', vmNativeIds);
    const askedSet = new Set(asked);
    const targetedVmIds = vms.filter((vm) => askedSet.has(vm.nativeId)).map((vm) => vm.id);
    const nics = await this.loadWhereIn(manager, NicEntity, providerId, 'nativeId', graph.nics.map((r) => r.nativeId));
    const disks = await this.loadWhereIn(manager, DiskEntity, providerId, 'nativeId', graph.disks.map((r) => r.nativeId));
    return {
      resourceGroups: await this.loadWhereIn(manager, ResourceGroupEntity, providerId, 'nativeId', graph.resourceGroups.map((r) => r.nativeId)),
      networks: await this.loadWhereIn(manager, NetworkEntity, providerId, 'nativeId', [
        ...graph.networks.map((r) => r.nativeId),
        ...graph.nics.flatMap((r) => r.networkNativeId ?? []),
      ]),
      hosts: await this.loadWhereIn(manager, HostEntity, providerId, 'nativeId', [...graph.hosts.map((r) => r.nativeId), ...graph.vms.flatMap((r) => r.hostNativeId ?? [])]),
      images: await this.loadWhereIn(manager, ImageEntity, providerId, 'nativeId', [
        ...graph.images.map((r) => r.nativeId),
        ...graph.vms.flatMap((r) => r.imageNativeId ?? []),
      ]),
      vms,
      nics: union(nics, await this.loadWhereIn(manager, NicEntity, providerId, 'vmId', targetedVmIds)),
      disks: union(disks, await this.loadWhereIn(manager, DiskEntity, providerId, 'vmId', targetedVmIds)),
    };
  }

  private async loadWhereIn<E extends InventoryRow>(
    manager: EntityManager,
    entity: EntityTarget<E>,
    providerId: string,
    property: 'nativeId' | 'vmId',
    values: string[],
  ): Promise<E[]> {
    const rows: E[] = [];
    for (const chunk of chunks([...new Set(values)], this.parameterBudget - 1)) {
      const query = manager
        .createQueryBuilder(entity, 'row')
        .where('row.providerId = :providerId', { providerId })
        .andWhere(`row.${property} IN (:...values)`, { values: chunk });
      rows.push(...(await query.getMany()));
    }
    return rows;
  }

  /**
   * INSERT … ON CONFLICT (id) DO UPDATE of whole rows, as many per statement as the parameter
   * budget allows: new rows and changed rows alike, one statement per chunk.
   */
  private async upsert(manager: EntityManager, entity: EntityTarget<ObjectLiteral>, rows: ObjectLiteral[]): Promise<void> {
    if (rows.length === 0) return;
    const metadata = manager.connection.getMetadata(entity);
    const overwrite = metadata.columns.map((column) => column.databaseName).filter((name) => !NEVER_OVERWRITTEN.has(name));
    for (const chunk of chunks(rows, Math.floor(this.parameterBudget / metadata.columns.length))) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(chunk)
        .orUpdate(overwrite, ['id'])
        .updateEntity(false)
        .callListeners(false)
        .execute();
    }
  }

  private async insert(manager: EntityManager, entity: EntityTarget<ObjectLiteral>, rows: ObjectLiteral[]): Promise<void> {
    const metadata = manager.connection.getMetadata(entity);
    for (const chunk of chunks(rows, Math.floor(this.parameterBudget / metadata.columns.length))) {
      await manager.createQueryBuilder().insert().into(entity).values(chunk).updateEntity(false).callListeners(false).execute();
    }
  }

  private async archive(manager: EntityManager, entity: EntityTarget<ObjectLiteral>, ids: string[], now: Date): Promise<void> {
    for (const chunk of chunks(ids, this.parameterBudget - 2)) {
      await manager
        .createQueryBuilder()
        .update(entity)
        .set({ archivedAt: now, updatedAt: now })
        .where('id IN (:...ids)', { ids: chunk })
        .updateEntity(false)
        .callListeners(false)
        .execute();
    }
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function union<E extends InventoryRow>(a: E[], b: E[]): E[] {
  return [...new Map([...a, ...b].map((row) => [row.id, row])).values()];
}
