import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import {
  ACTIVE_OPERATION_STATUSES,
  DiskEntity,
  FINISHED_OPERATION_STATUSES,
  NicEntity,
  OperationEntity,
  type OperationKind,
  type OperationStatus,
  type OperationStep,
  type RefreshEntity,
} from '../entities/index.js';
import type { Page } from '../queries/cursor.js';
import { paginate } from '../queries/inventory-query.js';
import { isUniqueViolation } from '../unique-violation.js';

export interface OperationFilter {
  vmId?: string;
  status?: OperationStatus;
  kind?: OperationKind;
  batchId?: string;
}

/** How an operation ended besides its status. */
export interface OperationOutcome {
  errorCode?: string | null;
  error?: string | null;
}

/** The inventory's view of what a VM owns (a retirement deletes it). */
export interface OwnedResources {
  nics: Pick<NicEntity, 'id' | 'nativeId' | 'name' | 'vmId' | 'publicIps'>[];
  disks: Pick<DiskEntity, 'id' | 'nativeId' | 'name' | 'vmId' | 'role'>[];
}

/**
 * Lifecycle operations. At most one per VM is active (queued or running): a partial unique index
 * says so for every process at once, and `add` reports the one that holds the VM.
 */
@Injectable()
export class OperationRepository {
  constructor(
    @InjectRepository(OperationEntity) private readonly operations: Repository<OperationEntity>,
    @InjectRepository(NicEntity) private readonly nics: Repository<NicEntity>,
    @InjectRepository(DiskEntity) private readonly disks: Repository<DiskEntity>,
  ) {}

  /** Stores a queued operation, or answers the active one of its VM that stopped it. */
  async add(fields: OperationEntity): Promise<{ added: OperationEntity } | { active: OperationEntity }> {
    const operation = this.operations.create(fields);
    try {
      await this.operations.insert(operation as QueryDeepPartialEntity<OperationEntity>);
      return { added: operation };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const active = fields.vmId ? await this.activeOfVm(fields.vmId) : null;
      if (!active && !fields.vmId) throw error; // a task without a VM collides only on its id
      // The one that held the VM may have ended in between: try once more.
      if (!active) return this.add(fields);
      return { active };
    }
  }

  findById(id: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ id });
  }

  /** The operations of these ids (a refresh confirms hundreds at once), in no particular order. */
  async findByIds(ids: string[]): Promise<OperationEntity[]> {
    const rows: OperationEntity[] = [];
    for (let i = 0; i < ids.length; i += 500) rows.push(...(await this.operations.findBy({ id: In(ids.slice(i, i + 500)) })));
    return rows;
  }

  activeOfVm(vmId: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ vmId, status: In([...ACTIVE_OPERATION_STATUSES]) });
  }

  /** The active operations of these VMs, by VM id. */
  async activeOfVms(vmIds: string[]): Promise<Map<string, OperationEntity>> {
    const active = new Map<string, OperationEntity>();
    for (let i = 0; i < vmIds.length; i += 500) {
      const rows = await this.operations.findBy({ vmId: In(vmIds.slice(i, i + 500)), status: In([...ACTIVE_OPERATION_STATUSES]) });
      for (const row of rows) if (row.vmId) active.set(row.vmId, row);
    }
    return active;
  }

  /** Newest first, keyset-paginated. */
  list(filter: OperationFilter, page: { limit: number; cursor?: string }): Promise<Page<OperationEntity>> {
    const qb = this.operations.createQueryBuilder('operation');
    if (filter.vmId) qb.andWhere('operation.vmId = :vmId', { vmId: filter.vmId });
    if (filter.status) qb.andWhere('operation.status = :status', { status: filter.status });
    if (filter.kind) qb.andWhere('operation.kind = :kind', { kind: filter.kind });
    if (filter.batchId) qb.andWhere('operation.batchId = :batchId', { batchId: filter.batchId });
    return paginate(qb, 'operation', { property: 'requestedAt', descending: true }, page.limit, page.cursor);
  }

  /** Queued or running, oldest first (dispatched again after a restart). */
  unfinished(): Promise<OperationEntity[]> {
    return this.operations.find({ where: { status: In([...ACTIVE_OPERATION_STATUSES]) }, order: { requestedAt: 'ASC' } });
  }

  /** Queued or running, of the given kinds (all when none). */
  countUnfinished(kinds?: readonly OperationKind[]): Promise<number> {
    return this.operations.countBy({ status: In([...ACTIVE_OPERATION_STATUSES]), ...(kinds ? { kind: In([...kinds]) } : {}) });
  }

  /** Stores the tasks of a provision request not stored yet: starting a request twice makes no second task. */
  async addTasks(tasks: OperationEntity[]): Promise<void> {
    const stored = new Set((await this.findByIds(tasks.map((task) => task.id))).map((task) => task.id));
    const missing = tasks.filter((task) => !stored.has(task.id)).map((task) => this.operations.create(task));
    for (let i = 0; i < missing.length; i += 100) await this.operations.insert(missing.slice(i, i + 100) as QueryDeepPartialEntity<OperationEntity>[]);
  }

  /** The tasks of a provision request, in the order they were made. */
  tasksOf(provisionRequestId: string): Promise<OperationEntity[]> {
    return this.operations.find({ where: { provisionRequestId }, order: { requestedAt: 'ASC', vmName: 'ASC' } });
  }

  /** How many tasks of a request are in each status. */
  async taskStatusesOf(provisionRequestId: string): Promise<Partial<Record<OperationStatus, number>>> {
    const rows = await this.operations
      .createQueryBuilder('operation')
      .select('operation.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('operation.provisionRequestId = :provisionRequestId', { provisionRequestId })
      .groupBy('operation.status')
      .getRawMany<{ status: OperationStatus; count: string | number }>();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  /** A provision task's VM, once the inventory has it (the task stays the VM's active operation until it ends). */
  async linkVm(id: string, vmId: string): Promise<void> {
    await this.operations.update({ id }, { vmId });
  }

  /** The provision task that made a VM, if one did. */
  provisionOf(vmId: string): Promise<OperationEntity | null> {
    return this.operations.findOne({ where: { vmId, kind: 'vm-provision' }, order: { requestedAt: 'DESC' } });
  }

  /**
   * Moves the operation to running under `owner`: from queued, or (`takeOver`: its job came back
   * after the process running it died) from running. False when it had ended.
   */
  async claim(id: string, owner: string, now: Date, takeOver: boolean): Promise<boolean> {
    const from: OperationStatus[] = takeOver ? ['queued', 'running'] : ['queued'];
    const claimed = await this.operations.update({ id, status: In(from) }, { status: 'running', owner });
    if (claimed.affected) await this.operations.update({ id, startedAt: IsNull() }, { startedAt: now });
    return Boolean(claimed.affected);
  }

  /** Records the steps as they stand (before and after each call to a cloud). */
  async saveSteps(id: string, steps: OperationStep[]): Promise<void> {
    await this.operations.update({ id }, { steps } as QueryDeepPartialEntity<OperationEntity>);
  }

  /** Ends an active operation; false when it had ended already. */
  async finish(id: string, status: OperationStatus, outcome: OperationOutcome, steps: OperationStep[] | null, now: Date): Promise<boolean> {
    const fields: QueryDeepPartialEntity<OperationEntity> = {
      status,
      finishedAt: now,
      errorCode: outcome.errorCode?.slice(0, 64) ?? null,
      error: outcome.error?.slice(0, 4096) ?? null,
      ...(steps ? { steps: steps as unknown as QueryDeepPartialEntity<OperationEntity>['steps'] } : {}),
    };
    const ended = await this.operations.update({ id, status: In([...ACTIVE_OPERATION_STATUSES]) }, fields);
    return Boolean(ended.affected);
  }

  /**
   * Queues a failed operation again with its steps as given (done ones stay done): false when it
   * was not failed any more, or when another operation holds the VM now (the unique index).
   */
  async requeue(id: string, steps: OperationStep[]): Promise<boolean> {
    try {
      const requeued = await this.operations.update(
        { id, status: 'failed' },
        { status: 'queued', steps: steps as unknown as QueryDeepPartialEntity<OperationEntity>['steps'], errorCode: null, error: null, finishedAt: null, confirmedByRefreshId: null },
      );
      return Boolean(requeued.affected);
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** The newest operation of a kind on a VM. */
  latestOfVm(vmId: string, kind: OperationKind): Promise<OperationEntity | null> {
    return this.operations.findOne({ where: { vmId, kind }, order: { requestedAt: 'DESC' } });
  }

  /**
   * A refresh of the provider read the VMs of ended operations back: the targeted refresh they
   * asked for (its causes), or a full refresh that started after they ended. Returns their ids.
   */
  async markConfirmed(refresh: RefreshEntity): Promise<string[]> {
    let ids: string[];
    if (refresh.kind === 'targeted') {
      ids = [...new Set(Object.values(refresh.causes ?? {}))];
    } else {
      if (!refresh.startedAt) return [];
      const ended = await this.operations.find({
        select: { id: true },
        where: { providerId: refresh.providerId, status: In([...FINISHED_OPERATION_STATUSES]), confirmedByRefreshId: IsNull(), finishedAt: LessThan(refresh.startedAt) },
      });
      ids = ended.map((row) => row.id);
    }
    for (let i = 0; i < ids.length; i += 500) {
      await this.operations.update({ id: In(ids.slice(i, i + 500)), confirmedByRefreshId: IsNull() }, { confirmedByRefreshId: refresh.id });
    }
    return ids;
  }

  /** The NICs and disks the inventory links to a VM (not archived). */
  async ownedBy(vmId: string): Promise<OwnedResources> {
    const [nics, disks] = await Promise.all([
      this.nics.find({ select: { id: true, nativeId: true, name: true, vmId: true, publicIps: true }, where: { vmId, archivedAt: IsNull() } }),
      this.disks.find({ select: { id: true, nativeId: true, name: true, vmId: true, role: true }, where: { vmId, archivedAt: IsNull() } }),
    ]);
    return { nics, disks };
  }
}
