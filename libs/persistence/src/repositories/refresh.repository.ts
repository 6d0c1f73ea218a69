import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';
import { ACTIVE_REFRESH_STATUSES, RefreshEntity, type RefreshErrorEntry, type RefreshStatus } from '../entities/index.js';
import { isUniqueViolation } from '../unique-violation.js';

/**
 * Refresh rows. At most one refresh per provider is active (queued or running): a partial unique
 * index enforces it, so it holds across processes.
 */
@Injectable()
export class RefreshRepository {
  constructor(@InjectRepository(RefreshEntity) private readonly refreshes: Repository<RefreshEntity>) {}

  findById(id: string): Promise<RefreshEntity | null> {
    return this.refreshes.findOneBy({ id });
  }

  active(providerId: string): Promise<RefreshEntity | null> {
    return this.refreshes.findOneBy({ providerId, status: In([...ACTIVE_REFRESH_STATUSES]) });
  }

  countActive(): Promise<number> {
    return this.refreshes.countBy({ status: In([...ACTIVE_REFRESH_STATUSES]) });
  }

  /**
   * Inserts a queued refresh; false when the provider already has an active one (another request
   * won the race: the unique index said no).
   */
  async insertQueued(refresh: RefreshEntity): Promise<boolean> {
    try {
      await this.refreshes.insert(this.refreshes.create(refresh));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Marks the refresh running under `owner` if its status is one of `from`; false when it was not. */
  async claim(id: string, from: readonly RefreshStatus[], owner: string): Promise<boolean> {
    const now = new Date();
    const claimed = await this.refreshes.update({ id, status: In([...from]) }, { status: 'running', startedAt: now, heartbeatAt: now, owner });
    return Boolean(claimed.affected);
  }

  async heartbeat(id: string): Promise<void> {
    await this.refreshes.update({ id, status: 'running' }, { heartbeatAt: new Date() });
  }

  async recordProgress(id: string, progress: Record<string, number>): Promise<void> {
    await this.refreshes.update({ id }, { progress, heartbeatAt: new Date() });
  }

  async finish(id: string, status: RefreshStatus, progress: Record<string, number>, errors: RefreshErrorEntry[]): Promise<void> {
    const now = new Date();
    await this.refreshes.update({ id }, { status, progress, errors, finishedAt: now, heartbeatAt: now });
  }

  /** Running refreshes whose heartbeat is older than `staleBefore`; every running one without it. */
  running(staleBefore?: Date): Promise<RefreshEntity[]> {
    return this.refreshes.find({ where: staleBefore ? { status: 'running', heartbeatAt: LessThan(staleBefore) } : { status: 'running' } });
  }

  /** Queued refreshes, oldest first. */
  queued(): Promise<RefreshEntity[]> {
    return this.refreshes.find({ where: { status: 'queued' }, order: { requestedAt: 'ASC' } });
  }
}
