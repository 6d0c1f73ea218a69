import { VM_ACTIONS, type PowerState, type VmAction } from '@hybridforms/core';

/**
 * The power states an action may start from, the same for every provider (each plugin then
 * lists which actions it offers). `unknown` is let through: the cloud knows the state better
 * than an inventory that could not read it, and refuses what does not apply.
 */
const STARTS_FROM: Readonly<Record<VmAction, readonly PowerState[]>> = {
  start: ['stopped', 'deallocated', 'suspended', 'unknown'],
  stop: ['running', 'unknown'],
  deallocate: ['running', 'stopped', 'unknown'],
  restart: ['running', 'unknown'],
  suspend: ['running', 'unknown'],
  resume: ['suspended', 'unknown'],
};

/** While the cloud works on these, a new action would race it. */
const TRANSITIONAL: readonly PowerState[] = ['starting', 'stopping', 'deallocating'];

/** The state the inventory shows once the cloud has accepted an action, before a refresh confirms it. */
export const OPTIMISTIC_STATE: Readonly<Record<VmAction, PowerState | null>> = {
  start: 'starting',
  stop: 'stopping',
  deallocate: 'deallocating',
  restart: 'starting',
  resume: 'starting',
  // Our vocabulary has no "saving": the refresh shows `suspended` once Hyper-V has saved it.
  suspend: null,
};

export function isVmAction(value: unknown): value is VmAction {
  return typeof value === 'string' && (VM_ACTIONS as readonly string[]).includes(value);
}

/** Why the action cannot apply to a VM in this state, or null when it can. */
export function wrongStateReason(action: VmAction, powerState: PowerState): string | null {
  if (TRANSITIONAL.includes(powerState)) return `the VM is ${powerState}: wait until it settles`;
  if (STARTS_FROM[action].includes(powerState)) return null;
  if ((action === 'start' || action === 'resume') && powerState === 'running') return 'the VM is already running';
  if ((action === 'stop' || action === 'deallocate') && powerState === powerStateAfter(action)) return `the VM is already ${powerState}`;
  return `${action} needs a VM that is ${STARTS_FROM[action].filter((state) => state !== 'unknown').join(' or ')}; it is ${powerState}`;
}

function powerStateAfter(action: VmAction): PowerState | null {
  return action === 'stop' ? 'stopped' : action === 'deallocate' ? 'deallocated' : null;
}
