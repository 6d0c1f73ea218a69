import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@hybridforms/core';
import { ProvisionRequestRepository, type Page, type ProvisionRequestEntity, type ProvisionRequestFilter } from '@hybridforms/persistence';

/** Reads of provision requests for the API. */
@Injectable()
export class ProvisionRequestQueries {
  constructor(private readonly requests: ProvisionRequestRepository) {}

  list(filter: ProvisionRequestFilter, page: { limit: number; cursor?: string }): Promise<Page<ProvisionRequestEntity>> {
    return this.requests.list(filter, page);
  }

  async get(id: string): Promise<ProvisionRequestEntity> {
    const request = await this.requests.findById(id);
    if (!request) throw new NotFoundError(`provision request ${id} not found`);
    return request;
  }
}
