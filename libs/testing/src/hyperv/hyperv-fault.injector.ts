import type { HyperVFaultKind, HyperVFaultSpec } from './hyperv-host-simulator.types.js';

const KINDS: readonly HyperVFaultKind[] = ['auth', 'disconnect', 'hang', 'error-record', 'truncated-json'];

interface ActiveFault {
  kind: HyperVFaultKind;
  remaining: number;
  /** Only commands with this script marker take it; undefined = any command. */
  marker?: string;
}

/** Holds injected faults; 'auth' faults are taken by logins, the others by PowerShell commands. */
export class HyperVFaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: HyperVFaultSpec): void {
    if (!KINDS.includes(spec.kind)) throw new Error(`Unknown fault kind '${spec.kind}'`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('A fault needs times > 0');
    if (spec.marker !== undefined && spec.kind === 'auth') throw new Error("An 'auth' fault applies to logins, not to one script marker");
    this.faults.push({ kind: spec.kind, remaining: times, ...(spec.marker !== undefined ? { marker: spec.marker } : {}) });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Consumes one use of the first matching fault: `auth` for a login, otherwise a command fault
   * that targets any command or the command's script marker.
   */
  take(target: 'auth' | 'command', marker: string | null = null): HyperVFaultKind | undefined {
    const index = this.faults.findIndex(
      (f) => (target === 'auth') === (f.kind === 'auth') && (f.marker === undefined || f.marker === marker),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault.kind;
  }
}
