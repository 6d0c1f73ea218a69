import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { ACTIVE_PROVISION_REQUEST_STATUSES, ProvisionRequestEntity, type ProvisionRequestStatus } from '../entities/index.js';
import type { Page } from '../queries/cursor.js';
import { paginate } from '../queries/inventory-query.js';

export interface ProvisionRequestFilter {
  status?: ProvisionRequestStatus;
  requester?: string;
  providerId?: string;
}

/** What a decision or an end writes besides the status. */
export interface ProvisionRequestDecision {
  decidedBy?: string | null;
  reason?: string | null;
  decidedAt?: Date | null;
  finishedAt?: Date | null;
}

/** Provision requests. A status moves only from the one it was read in: two admins deciding at once cannot both win. */
@Injectable()
export class ProvisionRequestRepository {
  constructor(@InjectRepository(ProvisionRequestEntity) private readonly requests: Repository<ProvisionRequestEntity>) {}

  async add(fields: ProvisionRequestEntity): Promise<ProvisionRequestEntity> {
    const request = this.requests.create(fields);
    await this.requests.insert(request as QueryDeepPartialEntity<ProvisionRequestEntity>);
    return request;
  }

  findById(id: string): Promise<ProvisionRequestEntity | null> {
    return this.requests.findOneBy({ id });
  }

  /** Newest first, keyset-paginated. */
  list(filter: ProvisionRequestFilter, page: { limit: number; cursor?: string }): Promise<Page<ProvisionRequestEntity>> {
    const qb = this.requests.createQueryBuilder('request');
    if (filter.status) qb.andWhere('request.status = :status', { status: filter.status });
    if (filter.requester) qb.andWhere('request.requestedBy = :requester', { requester: filter.requester });
    if (filter.providerId) qb.andWhere('request.providerId = :providerId', { providerId: filter.providerId });
    return paginate(qb, 'request', { property: 'requestedAt', descending: true }, page.limit, page.cursor);
  }

  /** Requests of a token not ended yet (pending, approved or running): its quota. */
  countActiveOf(tokenId: string): Promise<number> {
    return this.requests.countBy({ requestedByTokenId: tokenId, status: In([...ACTIVE_PROVISION_REQUEST_STATUSES]) });
  }

  /** Approved or running: started again when a process starts (their tasks resume). */
  unfinished(): Promise<ProvisionRequestEntity[]> {
    return this.requests.find({ where: { status: In(['approved', 'running']) }, order: { requestedAt: 'ASC' } });
  }

  /** Moves the request from `from` to `to`; false when it was no longer in `from` (someone else moved it). */
  async transition(id: string, from: readonly ProvisionRequestStatus[], to: ProvisionRequestStatus, decision: ProvisionRequestDecision): Promise<boolean> {
    const result = await this.requests
      .createQueryBuilder()
      .update(ProvisionRequestEntity)
      .set({ status: to, ...decision } as QueryDeepPartialEntity<ProvisionRequestEntity>)
      .where('id = :id', { id })
      .andWhere('status IN (:...from)', { from: [...from] })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
