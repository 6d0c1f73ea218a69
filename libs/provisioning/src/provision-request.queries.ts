import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@hybridforms/core';
import { OperationRepository, ProvisionRequestRepository, type OperationEntity, type Page, type ProvisionRequestEntity, type ProvisionRequestFilter } from '@hybridforms/persistence';

/** Reads of provision requests for the API. */
@Injectable()
export class ProvisionRequestQueries {
  constructor(
    private readonly requests: ProvisionRequestRepository,
    private readonly operations: OperationRepository,
  ) {}

  list(filter: ProvisionRequestFilter, page: { limit: number; cursor?: string }): Promise<Page<ProvisionRequestEntity>> {
    return this.requests.list(filter, page);
  }

  /** A request with its tasks (one per VM, with their steps), in the request's order. */
  async get(id: string): Promise<{ request: ProvisionRequestEntity; tasks: OperationEntity[] }> {
    const request = await this.requests.findById(id);
    if (!request) throw new NotFoundError(`provision request ${id} not found`);
    return { request, tasks: await this.operations.tasksOf(id) };
  }
}
