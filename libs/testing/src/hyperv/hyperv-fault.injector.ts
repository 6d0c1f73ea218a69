import type { HyperVFaultKind, HyperVFaultSpec } from './hyperv-host-simulator.types.js';

const KINDS: readonly HyperVFaultKind[] = ['auth', 'disconnect', 'hang', 'error-record', 'truncated-json'];

interface ActiveFault {
  kind: HyperVFaultKind;
  remaining: number;
}

/** Holds injected faults; 'auth' faults are taken by logins, the others by PowerShell commands. */
export class HyperVFaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: HyperVFaultSpec): void {
    if (!KINDS.includes(spec.kind)) throw new Error(`Unknown fault kind '${spec.kind}'`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('A fault needs times > 0');
    this.faults.push({ kind: spec.kind, remaining: times });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one use of the first matching fault: `auth` for a login, otherwise a command fault. */
  take(target: 'auth' | 'command'): HyperVFaultKind | undefined {
    const index = this.faults.findIndex((f) => (target === 'auth') === (f.kind === 'auth'));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault.kind;
  }
}
