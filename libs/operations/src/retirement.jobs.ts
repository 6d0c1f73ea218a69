import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, BadInputError, ConflictError, NotFoundError, type AppConfig } from '@hybridforms/core';
import { HandlesJob } from '@hybridforms/jobs';
import { RetirementRepository } from '@hybridforms/persistence';
import { EventStore } from '@hybridforms/telemetry';
import { RetireVm } from './retire-vm.usecase.js';

/** The scheduled job (once per cluster) that warns of and carries out retirements. */
export const RETIREMENT_JOB = 'vm-retirement';

const SCHEDULER = { name: 'scheduler', tokenId: null };

/**
 * Each tick: a `vm.retirement_warning` event for every VM whose date falls within
 * `operations.retirementWarningDays` and was not warned of yet, then a retirement for every VM
 * whose date has passed (one that failed before is taken up again where it stopped; a VM busy
 * with another operation waits for the next tick).
 */
@Injectable()
export class RetirementJobs {
  private readonly logger = new Logger(RetirementJobs.name);

  constructor(
    private readonly retirements: RetirementRepository,
    private readonly retire: RetireVm,
    private readonly events: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // Safe to run again: warnings are stored once each (native id per VM and date), and a VM with a
  // retirement in progress is skipped.
  @HandlesJob(RETIREMENT_JOB, { concurrency: 1, attempts: 1, backoffMs: 0, interrupted: 'retry' })
  async check(): Promise<void> {
    const now = new Date();
    await this.warn(now);
    await this.retireDue(now);
  }

  private async warn(now: Date): Promise<void> {
    const until = new Date(now.getTime() + this.config.operations.retirementWarningDays * 24 * 3600 * 1000);
    for (const due of await this.retirements.dueForWarning(until)) {
      const at = due.retiresAt.toISOString();
      await this.events.recordOwn(due.providerId, [
        {
          nativeId: `hybridforms:retirement-warning:${due.vmId}:${at}`,
          occurredAt: now,
          type: 'vm.retirement_warning',
          vmNativeId: due.vmNativeId,
          vmName: due.vmName,
          status: null,
          actor: 'hybridforms',
          message: `${due.vmName} is retired at ${at}: it is stopped and deleted with the disks, NICs and public IPs it owns`,
          refreshesVm: false,
          raw: { retiresAt: at },
        },
      ]);
      await this.retirements.markWarned(due.vmId, now);
      this.logger.log(`retirement warning for ${due.vmName} (retires at ${at})`);
    }
  }

  private async retireDue(now: Date): Promise<void> {
    for (const due of await this.retirements.dueForRetirement(now)) {
      try {
        const operation = await this.retire.retire(due.vmId, due.vmName, SCHEDULER);
        this.logger.log(`retirement of ${due.vmName} due since ${due.retiresAt.toISOString()}: operation ${operation.id}`);
      } catch (error) {
        // Busy, or its provider cannot delete: said in the log, tried again at the next tick.
        if (error instanceof ConflictError || error instanceof BadInputError || error instanceof NotFoundError) this.logger.warn(`retirement of ${due.vmName} not started: ${error.message}`);
        else throw error;
      }
    }
  }
}
