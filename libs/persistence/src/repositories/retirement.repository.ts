import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { VmEntity, VmRetirementEntity } from '../entities/index.js';
import { fromTimestamp } from '../sql-dialect.js';

/** A VM whose retirement date has come (or comes soon), with what the job needs of it. */
export interface RetirementDue {
  vmId: string;
  providerId: string;
  vmName: string;
  vmNativeId: string;
  retiresAt: Date;
}

/** Retirement dates of VMs (not inventory: set through the API, read by the retirement job). */
@Injectable()
export class RetirementRepository {
  constructor(@InjectRepository(VmRetirementEntity) private readonly retirements: Repository<VmRetirementEntity>) {}

  of(vmId: string): Promise<VmRetirementEntity | null> {
    return this.retirements.findOneBy({ vmId });
  }

  /** Sets (or with null clears) the date; a new date is warned about again. */
  async set(vmId: string, retiresAt: Date | null, setBy: string, now: Date): Promise<VmRetirementEntity | null> {
    if (retiresAt === null) {
      await this.retirements.delete({ vmId });
      return null;
    }
    const row: VmRetirementEntity = { vmId, retiresAt, warnedAt: null, setBy, updatedAt: now };
    await this.retirements.upsert(row, ['vmId']);
    return row;
  }

  async markWarned(vmId: string, now: Date): Promise<void> {
    await this.retirements.update({ vmId }, { warnedAt: now });
  }

  /** Live VMs retiring before `until` that were not warned yet. */
  dueForWarning(until: Date): Promise<RetirementDue[]> {
    return this.due(until, true);
  }

  /** Live VMs whose date has passed. */
  dueForRetirement(now: Date): Promise<RetirementDue[]> {
    return this.due(now, false);
  }

  private async due(before: Date, unwarnedOnly: boolean): Promise<RetirementDue[]> {
    const qb = this.retirements
      .createQueryBuilder('retirement')
      .innerJoin(VmEntity, 'vm', 'vm.id = retirement.vmId')
      .select(['retirement.vmId AS "vmId"', 'retirement.retiresAt AS "retiresAt"', 'vm.providerId AS "providerId"', 'vm.name AS "vmName"', 'vm.nativeId AS "vmNativeId"'])
      .where('retirement.retiresAt <= :before', { before })
      .andWhere('vm.archivedAt IS NULL')
      .orderBy('retirement.retiresAt', 'ASC');
    if (unwarnedOnly) qb.andWhere('retirement.warnedAt IS NULL');
    const rows = await qb.getRawMany<{ vmId: string; retiresAt: Date | string; providerId: string; vmName: string; vmNativeId: string }>();
    return rows.map((row) => ({ ...row, retiresAt: fromTimestamp(row.retiresAt) }));
  }
}
