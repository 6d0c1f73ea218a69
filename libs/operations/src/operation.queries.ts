import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@hybridforms/core';
import { OperationRepository, type OperationEntity, type OperationFilter, type Page } from '@hybridforms/persistence';

/** Reads of operations for the API. */
@Injectable()
export class OperationQueries {
  constructor(private readonly operations: OperationRepository) {}

  async get(id: string): Promise<OperationEntity> {
    const operation = await this.operations.findById(id);
    if (!operation) throw new NotFoundError(`operation ${id} not found`);
    return operation;
  }

  list(filter: OperationFilter, page: { limit: number; cursor?: string }): Promise<Page<OperationEntity>> {
    return this.operations.list(filter, page);
  }
}
