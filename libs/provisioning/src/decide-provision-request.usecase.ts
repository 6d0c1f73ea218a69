import { Injectable, Logger } from '@nestjs/common';
import { BadInputError, ConflictError, NotFoundError } from '@hybridforms/core';
import { ProvisionRequestRepository, type ProvisionRequestEntity, type ProvisionRequestStatus } from '@hybridforms/persistence';
import type { Requester } from '@hybridforms/operations';
import { RunProvisionRequest } from './run-provision-request.usecase.js';

/**
 * What is decided about a request after it was made: an admin's approval or denial (of a request
 * waiting for one), and the requester's (or an admin's) cancel before it runs. Each moves the
 * request only from the status it was read in, so two decisions at once cannot both win.
 */
@Injectable()
export class DecideProvisionRequest {
  private readonly logger = new Logger(DecideProvisionRequest.name);

  constructor(
    private readonly requests: ProvisionRequestRepository,
    private readonly execution: RunProvisionRequest,
  ) {}

  async approve(id: string, admin: Requester, now = new Date()): Promise<ProvisionRequestEntity> {
    await this.move(id, ['pending_approval'], 'approved', { decidedBy: admin.name, reason: null, decidedAt: now }, 'approved');
    await this.execution.startOrLeave(id);
    return (await this.requests.findById(id))!;
  }

  deny(id: string, reason: unknown, admin: Requester, now = new Date()): Promise<ProvisionRequestEntity> {
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1024) throw new BadInputError('reason: say why the request is denied (1 to 1024 characters)');
    return this.move(id, ['pending_approval'], 'denied', { decidedBy: admin.name, reason: reason.trim(), decidedAt: now, finishedAt: now }, 'denied');
  }

  /**
   * A request not running yet ends as canceled at once. A running one is canceled too: each task
   * stops before its next step and deletes what it made (a VM already in the inventory stays);
   * the request's finishedAt is set once its last task has ended.
   */
  async cancel(id: string, by: Requester, now = new Date()): Promise<ProvisionRequestEntity> {
    const before = await this.requests.findById(id);
    const running = before?.status === 'running';
    return this.move(id, ['pending_approval', 'approved', 'running'], 'canceled', { reason: `canceled by ${by.name}`, ...(running ? {} : { finishedAt: now }) }, 'canceled');
  }

  private async move(
    id: string,
    from: ProvisionRequestStatus[],
    to: ProvisionRequestStatus,
    decision: Parameters<ProvisionRequestRepository['transition']>[3],
    verb: string,
  ): Promise<ProvisionRequestEntity> {
    const request = await this.requests.findById(id);
    if (!request) throw new NotFoundError(`provision request ${id} not found`);
    if (!(await this.requests.transition(id, from, to, decision))) {
      const current = (await this.requests.findById(id))!;
      const by = current.decidedBy ? ` (decided by ${current.decidedBy})` : '';
      throw new ConflictError(`provision request ${id} is ${current.status}${by}: only a request ${from.map((status) => status.replace('_', ' ')).join(', ')} can be ${verb}`);
    }
    this.logger.log(`provision request ${id} ${verb} (${decision.decidedBy ?? decision.reason ?? ''})`);
    return (await this.requests.findById(id))!;
  }
}
