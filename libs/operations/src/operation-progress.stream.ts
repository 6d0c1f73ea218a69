import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';
import { CLUSTER_BUS, type ClusterBus } from '@hybridforms/jobs';
import { OperationRepository, type OperationEntity } from '@hybridforms/persistence';

const CHANNEL = 'operations.changed';

/**
 * Every change of an operation (a step begun or ended, its end) for live watchers: the SSE of an
 * operation and the events stream. An operation runs in one process; the others hear of each
 * change on the cluster bus and read the row back, so a watcher sees what is stored.
 */
@Injectable()
export class OperationProgressStream implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OperationProgressStream.name);
  private readonly changes = new Subject<OperationEntity>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(CLUSTER_BUS) private readonly bus: ClusterBus,
    private readonly operations: OperationRepository,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe<{ operationId: string }>(CHANNEL, (message) => {
      if (typeof message?.operationId !== 'string') return;
      this.operations
        .findById(message.operationId)
        .then((operation) => operation && this.changes.next(operation))
        .catch((error: Error) => this.logger.warn(`operation ${message.operationId} could not be read back: ${error.message}`));
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.changes.complete();
  }

  /** The operation as just stored. */
  publish(operation: OperationEntity): void {
    this.changes.next(operation);
    this.bus.publish(CHANNEL, { operationId: operation.id }).catch((error: Error) => this.logger.warn(`operation change not announced: ${error.message}`));
  }

  /** Changes of every operation from now on. */
  get changes$(): Observable<OperationEntity> {
    return this.changes.asObservable();
  }

  /** Changes of one operation from now on. */
  of(operationId: string): Observable<OperationEntity> {
    return this.changes.pipe(filter((operation) => operation.id === operationId));
  }
}
