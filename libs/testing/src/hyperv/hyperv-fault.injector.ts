import type { HyperVFaultKind, HyperVFaultSpec } from './hyperv-host-simulator.types.js';
import { VM_CREATE_STEP_CMDLETS } from './vm-create.projector.js';

const KINDS: readonly HyperVFaultKind[] = ['auth', 'disconnect', 'hang', 'answer-lost', 'slow', 'error-record', 'truncated-json', 'cmdlet-error'];

/** A command fault as taken: its kind, and for 'slow' its delay. */
export interface TakenFault {
  kind: HyperVFaultKind;
  delayMs?: number;
}

interface ActiveFault {
  kind: HyperVFaultKind;
  remaining: number;
  /** Only commands with this script marker take it; undefined = any command. */
  marker?: string;
  /** Only vm-create scripts of this step take it; undefined = any step. */
  step?: string;
  /** 'cmdlet-error': the cmdlet that fails, and its message. */
  cmdlet?: string;
  message?: string;
  /** 'slow': how long the script's cmdlets take. */
  delayMs?: number;
}

/**
 * Holds injected faults; 'auth' faults are taken by logins, 'cmdlet-error' ones by the cmdlet they
 * name when an action script applies it, the others by PowerShell commands.
 */
export class HyperVFaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: HyperVFaultSpec): void {
    if (!KINDS.includes(spec.kind)) throw new Error(`Unknown fault kind '${spec.kind}'`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('A fault needs times > 0');
    if (spec.marker !== undefined && spec.kind === 'auth') throw new Error("An 'auth' fault applies to logins, not to one script marker");
    if ((spec.kind === 'cmdlet-error') !== (spec.cmdlet !== undefined)) throw new Error("A 'cmdlet-error' fault names its cmdlet, and only it does");
    if ((spec.kind === 'slow') !== (spec.delayMs !== undefined)) throw new Error("A 'slow' fault gives its delayMs, and only it does");
    if (spec.kind === 'slow' && (spec.marker !== 'vm-create' || !(spec.delayMs! > 0))) throw new Error("A 'slow' fault needs marker 'vm-create' and delayMs > 0");
    if (spec.step !== undefined) {
      // Only create scripts carry a step; a step filter elsewhere would never match and fail silently.
      if (spec.marker !== 'vm-create') throw new Error("A fault's step applies to vm-create scripts only: give marker 'vm-create'");
      if (!Object.hasOwn(VM_CREATE_STEP_CMDLETS, spec.step)) throw new Error(`Unknown vm-create step '${spec.step}' (known: ${Object.keys(VM_CREATE_STEP_CMDLETS).join(', ')})`);
    }
    this.faults.push({
      kind: spec.kind,
      remaining: times,
      ...(spec.marker !== undefined ? { marker: spec.marker } : {}),
      ...(spec.step !== undefined ? { step: spec.step } : {}),
      ...(spec.cmdlet !== undefined ? { cmdlet: spec.cmdlet.toLowerCase() } : {}),
      ...(spec.message !== undefined ? { message: spec.message } : {}),
      ...(spec.delayMs !== undefined ? { delayMs: spec.delayMs } : {}),
    });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Consumes one use of the first matching fault: `auth` for a login, otherwise a command fault
   * that targets any command, or the command's script marker (and, for a create script, its step).
   */
  take(target: 'auth' | 'command', marker: string | null = null, step: string | null = null): HyperVFaultKind | undefined {
    return (target === 'auth' ? this.takeWhere((f) => f.kind === 'auth') : this.takeCommand(marker, step))?.kind;
  }

  /** As {@link take} for a command, with the fault's delay. */
  takeCommand(marker: string | null, step: string | null = null): TakenFault | undefined {
    return this.takeWhere((f) => f.kind !== 'cmdlet-error' && f.kind !== 'auth' && matches(f, marker, step));
  }

  private takeWhere(test: (fault: ActiveFault) => boolean): TakenFault | undefined {
    const index = this.faults.findIndex(test);
    if (index < 0) return undefined;
    const { kind, delayMs } = this.consume(index);
    return { kind, ...(delayMs !== undefined ? { delayMs } : {}) };
  }

  /** Consumes one use of a 'cmdlet-error' fault for this cmdlet; its message (null = the default one), or undefined. */
  takeCmdletError(cmdlet: string, marker: string | null, step: string | null = null): { message: string | null } | undefined {
    const index = this.faults.findIndex((f) => f.kind === 'cmdlet-error' && f.cmdlet === cmdlet.toLowerCase() && matches(f, marker, step));
    if (index < 0) return undefined;
    return { message: this.consume(index).message ?? null };
  }

  private consume(index: number): ActiveFault {
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function matches(fault: ActiveFault, marker: string | null, step: string | null): boolean {
  return (fault.marker === undefined || fault.marker === marker) && (fault.step === undefined || fault.step === step);
}
