import { randomUUID } from 'node:crypto';
import type { SimDeletableKind } from './azure-simulator.types.js';
import type { SimEstate } from './sim-estate.js';
import type { OperationRefusal, VmOperationTiming } from './vm-operations.js';

/** A DELETE of a disk, NIC or public IP, accepted and settling once its delay has passed. */
export interface SimResourceDeletion {
  /** The operation id (a GUID) in the status URLs. */
  id: string;
  kind: SimDeletableKind;
  resourceId: string;
  location: string;
  subscriptionId: string;
  startMs: number;
  dueMs: number;
  status: 'InProgress' | 'Succeeded';
  endMs?: number;
}

/**
 * The DELETEs of disks, NICs and public IPs as ARM answers them: refused synchronously while the
 * resource is in use, otherwise accepted (202) and settled lazily like the VM operations (see
 * VmOperations), the resource leaving the estate when the operation succeeds. The refusals, as
 * the services word them:
 * - a disk attached to a VM: 409 OperationNotAllowed "Disk <name> is attached to VM <vm id>."
 *   (seen in ansible/ansible#54644);
 * - a NIC a VM uses: 400 NicInUse "Network Interface <id> is used by existing resource <vm id>…";
 * - a public IP a NIC holds: 400 PublicIPAddressCannotBeDeleted "Public IP address <id> can not be
 *   deleted since it is still allocated to resource <ipconfig id>…" (MicrosoftDocs
 *   SupportArticles-docs, cannot-delete-ip-subnet-nsg.md).
 */
export class ResourceDeletions {
  private readonly operations = new Map<string, SimResourceDeletion>();

  constructor(
    private readonly estate: SimEstate,
    private readonly timing: () => VmOperationTiming,
  ) {}

  get(operationId: string): SimResourceDeletion | undefined {
    return this.operations.get(operationId.toLowerCase());
  }

  all(): SimResourceDeletion[] {
    return [...this.operations.values()];
  }

  /** The accepted deletion, the refusal, or null when the resource is not there (ARM answers 204). */
  begin(kind: SimDeletableKind, resourceId: string, nowMs: number): SimResourceDeletion | OperationRefusal | null {
    this.advance(nowMs);
    // A second DELETE while the first is in progress joins it, as ARM's idempotent DELETE does.
    const pending = this.all().find((op) => op.status === 'InProgress' && op.resourceId.toLowerCase() === resourceId.toLowerCase());
    if (pending) return pending;
    const resource = this.locate(kind, resourceId);
    if (!resource) return null;
    const refusal = this.refusal(kind, resourceId);
    if (refusal) return refusal;
    const op: SimResourceDeletion = {
      id: randomUUID(),
      kind,
      resourceId: resource.id,
      location: resource.location.toLowerCase(),
      subscriptionId: resourceId.split('/')[2],
      startMs: nowMs,
      dueMs: nowMs + this.timing().delayMs,
      status: 'InProgress',
    };
    this.operations.set(op.id, op);
    if (op.dueMs <= nowMs) this.settle(op, nowMs);
    return op;
  }

  advance(nowMs: number): void {
    for (const op of this.operations.values()) {
      if (op.status === 'InProgress' && op.dueMs <= nowMs) this.settle(op, op.dueMs);
    }
  }

  private settle(op: SimResourceDeletion, atMs: number): void {
    op.status = 'Succeeded';
    op.endMs = atMs;
    // The resource may have become attached again meanwhile; the simulator does not model that race.
    if (op.kind === 'disk' && !this.estate.findDisk(op.resourceId)?.owner) this.estate.deleteDisk(op.resourceId);
    if (op.kind === 'nic' && !this.estate.findNic(op.resourceId)?.vm) this.estate.deleteNic(op.resourceId);
    if (op.kind === 'publicIp' && !this.estate.findPublicIp(op.resourceId)?.nic) this.estate.deletePublicIp(op.resourceId);
  }

  private locate(kind: SimDeletableKind, id: string): { id: string; location: string } | undefined {
    if (kind === 'disk') return this.estate.findDisk(id);
    if (kind === 'nic') return this.estate.findNic(id);
    return this.estate.findPublicIp(id);
  }

  private refusal(kind: SimDeletableKind, id: string): OperationRefusal | null {
    if (kind === 'disk') {
      const disk = this.estate.findDisk(id);
      if (disk?.owner) return { status: 409, code: 'OperationNotAllowed', message: `Disk ${disk.name} is attached to VM ${disk.owner.id}.` };
    }
    if (kind === 'nic') {
      const nic = this.estate.findNic(id);
      if (nic?.vm) {
        return {
          status: 400,
          code: 'NicInUse',
          message:
            `Network Interface ${nic.id} is used by existing resource ${nic.vm.id}. ` +
            'In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.',
        };
      }
    }
    if (kind === 'publicIp') {
      const pip = this.estate.findPublicIp(id);
      if (pip?.nic) {
        return {
          status: 400,
          code: 'PublicIPAddressCannotBeDeleted',
          message:
            `Public IP address ${pip.id} can not be deleted since it is still allocated to resource ${pip.nic.id}/ipConfigurations/ipconfig1. ` +
            'In order to delete the public IP, disassociate/detach the Public IP address from the resource. To learn how to do this, see aka.ms/deletepublicip.',
        };
      }
    }
    return null;
  }
}
