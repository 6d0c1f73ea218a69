import { randomUUID } from 'node:crypto';
import type { ActivityLog, PendingActivity, SimActivityTarget } from './activity-log.js';
import type { SimPowerState, SimVmAction } from './azure-simulator.types.js';
import type { SimEstate } from './sim-estate.js';
import type { SimVm } from './sim-estate.model.js';
import type { PowerTimeline } from './sim-metrics.js';

export const VM_ACTIONS: readonly SimVmAction[] = ['start', 'powerOff', 'deallocate', 'restart'];

export interface SimOperationError {
  code: string;
  message: string;
}

/** Makes operations end `Failed` (asynchronously, on the status URL) instead of `Succeeded`. */
export interface VmOperationFailureSpec {
  /** Only operations on this VM (any casing); omitted = any VM. */
  vmId?: string;
  /** Only this operation; omitted = any. */
  action?: SimVmAction;
  /** How many operations fail; default Infinity with a vmId, else 1. */
  times?: number;
  /** Default AllocationFailed, one of the asynchronous errors Compute reports (reference/lifecycle.md). */
  error?: SimOperationError;
}

export interface VmOperationTiming {
  /** How long an operation stays InProgress, in ms. */
  delayMs: number;
  /** The Retry-After (seconds) of the 202 and of every InProgress status answer. */
  retryAfterSeconds: number;
}

export interface SimLongRunningOperation {
  /** The operation id (a GUID) in the status URLs. */
  id: string;
  action: SimVmAction;
  vmId: string;
  location: string;
  subscriptionId: string;
  startMs: number;
  dueMs: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  endMs?: number;
  error?: SimOperationError;
  correlationId: string;
  /** The power state the VM goes back to if the operation fails. */
  from: SimPowerState;
  activity: PendingActivity;
}

/** A synchronous refusal (the POST or DELETE itself answers 4xx). */
export interface OperationRefusal {
  status: number;
  code: string;
  message: string;
}

const TRANSITION: Record<Exclude<SimVmAction, 'delete'>, { during: SimPowerState; after: SimPowerState }> = {
  start: { during: 'starting', after: 'running' },
  restart: { during: 'starting', after: 'running' },
  create: { during: 'starting', after: 'running' },
  powerOff: { during: 'stopping', after: 'stopped' },
  deallocate: { during: 'deallocating', after: 'deallocated' },
};

const DEFAULT_ERROR: SimOperationError = {
  code: 'AllocationFailed',
  message:
    'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. ' +
    'Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance',
};

interface ActiveFailure {
  spec: VmOperationFailureSpec;
  remaining: number;
}

/**
 * The long-running VM operations: accepted now, settled once their delay has passed. Settling is
 * lazy (`advance`, called before every request is served), so state never changes behind a test's
 * back between two requests it makes. The power state moves through Azure's transitional states
 * (`starting`, `stopping`, `deallocating`) while an operation is in progress; each operation logs
 * its Activity Log BeginRequest when accepted and its EndRequest when settled.
 */
export class VmOperations {
  private readonly operations = new Map<string, SimLongRunningOperation>();
  private readonly failures: ActiveFailure[] = [];

  constructor(
    private readonly estate: SimEstate,
    private readonly log: ActivityLog,
    private readonly power: PowerTimeline,
    private readonly target: (vm: SimVm) => SimActivityTarget,
    public timing: VmOperationTiming,
  ) {}

  failOperations(spec: VmOperationFailureSpec): void {
    const times = spec.times ?? (spec.vmId ? Infinity : 1);
    if (!(times > 0)) throw new Error('A failure needs times > 0');
    this.failures.push({ spec: { ...spec }, remaining: times });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  get(operationId: string): SimLongRunningOperation | undefined {
    return this.operations.get(operationId.toLowerCase());
  }

  all(): SimLongRunningOperation[] {
    return [...this.operations.values()];
  }

  /**
   * Accepts an operation on an existing VM, or refuses it as Compute does. Wrong-state rules:
   * - powerOff of a deallocated (or deallocating) VM: synchronous 409 OperationNotAllowed, "Operation
   *   'powerOff' is not allowed on VM '…' since the VM is either deallocated or marked to be
   *   deallocated" (observed in hashicorp/terraform-provider-azurerm#28218; the 2024-07-01 spec
   *   says powerOff "is not allowed" on a deallocated VM, Azure/azure-rest-api-specs#31426).
   * - restart of a deallocated VM: the same refusal (unverified, by analogy: restart needs an allocated VM).
   * - start of a running VM, powerOff of a stopped one, deallocate of a deallocated one: accepted and
   *   succeed as no-ops (unverified against a primary source; what `az vm start` on a running VM shows).
   * - any operation while another one on the same VM is in progress: 409 OperationNotAllowed
   *   (unverified: Compute may instead preempt the earlier operation).
   */
  begin(vm: SimVm, action: SimVmAction, nowMs: number, requestBody?: unknown): SimLongRunningOperation | OperationRefusal {
    this.advance(nowMs);
    const busy = this.all().find((op) => op.status === 'InProgress' && op.vmId.toLowerCase() === vm.key);
    if (busy) {
      return {
        status: 409,
        code: 'OperationNotAllowed',
        message: `Operation '${action}' is not allowed on VM '${vm.name}' since another operation ('${busy.action}') is in progress on it.`,
      };
    }
    const deallocated = vm.powerState === 'deallocated' || vm.powerState === 'deallocating';
    if (deallocated && (action === 'powerOff' || action === 'restart')) {
      return {
        status: 409,
        code: 'OperationNotAllowed',
        message: `Operation '${action}' is not allowed on VM '${vm.name}' since the VM is either deallocated or marked to be deallocated.`,
      };
    }
    const activity = this.log.begin(this.target(vm), action, { atMs: nowMs, requestBody });
    const op: SimLongRunningOperation = {
      id: randomUUID(),
      action,
      vmId: vm.id,
      location: vm.location.toLowerCase(),
      subscriptionId: vm.subscriptionId,
      startMs: nowMs,
      dueMs: nowMs + this.timing.delayMs,
      status: 'InProgress',
      correlationId: activity.correlationId,
      from: vm.powerState,
      activity,
    };
    this.operations.set(op.id, op);
    if (action === 'delete') vm.deleting = true;
    else if (!this.isNoOp(vm.powerState, action)) this.estate.setPowerState(vm.id, TRANSITION[action].during);
    if (op.dueMs <= nowMs) this.settle(op, nowMs);
    return op;
  }

  /** Settles every operation whose delay has passed, in the order they were accepted. */
  advance(nowMs: number): void {
    for (const op of this.operations.values()) {
      if (op.status === 'InProgress' && op.dueMs <= nowMs) this.settle(op, op.dueMs);
    }
  }

  private isNoOp(state: SimPowerState, action: Exclude<SimVmAction, 'delete'>): boolean {
    if (action === 'create') return false;
    if (action === 'start') return state === 'running';
    if (action === 'powerOff') return state === 'stopped';
    if (action === 'deallocate') return state === 'deallocated';
    return false;
  }

  private settle(op: SimLongRunningOperation, atMs: number): void {
    const error = this.takeFailure(op);
    op.endMs = atMs;
    const vm = this.estate.findVm(op.vmId);
    if (error) {
      op.status = 'Failed';
      op.error = error;
      if (vm && op.action === 'delete') vm.deleting = false;
      else if (vm) this.estate.setPowerState(op.vmId, op.from);
      // Azure leaves a VM whose create failed in place, provisioningState Failed.
      if (vm && op.action === 'create') {
        vm.provisioningState = 'Failed';
        vm.provisioningError = error;
      }
    } else {
      op.status = 'Succeeded';
      if (vm && op.action === 'delete') {
        this.estate.deleteVm(op.vmId);
        this.power.change(op.vmId, false, atMs);
      } else if (vm && op.action !== 'delete') {
        const after = TRANSITION[op.action].after;
        this.estate.setPowerState(op.vmId, after);
        this.power.change(op.vmId, after === 'running', atMs);
        // A created VM has booted: its guest agent now reports the image's OS.
        if (op.action === 'create') {
          vm.provisioningState = 'Succeeded';
          if (vm.bootGuest) vm.guest = { ...vm.bootGuest };
        }
      }
    }
    op.activity.end(op.status, { atMs, error, created: op.action === 'create' });
  }

  private takeFailure(op: SimLongRunningOperation): SimOperationError | undefined {
    const index = this.failures.findIndex(
      (f) =>
        (f.spec.vmId === undefined || f.spec.vmId.toLowerCase() === op.vmId.toLowerCase()) &&
        (f.spec.action === undefined || f.spec.action === op.action),
    );
    if (index < 0) return undefined;
    const failure = this.failures[index];
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.splice(index, 1);
    return failure.spec.error ?? DEFAULT_ERROR;
  }
}
