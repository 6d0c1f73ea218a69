import { POWER_STATES, VM_ACTIONS } from '@hybridforms/core';
import { isVmAction, OPTIMISTIC_STATE, wrongStateReason } from './vm-action.rules.js';

describe('vm action rules', () => {
  it('lets each action start from the states it applies to', () => {
    expect(wrongStateReason('start', 'stopped')).toBeNull();
    expect(wrongStateReason('start', 'deallocated')).toBeNull();
    expect(wrongStateReason('start', 'suspended')).toBeNull();
    expect(wrongStateReason('stop', 'running')).toBeNull();
    expect(wrongStateReason('deallocate', 'stopped')).toBeNull();
    expect(wrongStateReason('restart', 'running')).toBeNull();
    expect(wrongStateReason('suspend', 'running')).toBeNull();
    expect(wrongStateReason('resume', 'suspended')).toBeNull();
  });

  it('refuses with the reason an operator needs', () => {
    expect(wrongStateReason('start', 'running')).toBe('the VM is already running');
    expect(wrongStateReason('stop', 'stopped')).toBe('the VM is already stopped');
    expect(wrongStateReason('deallocate', 'deallocated')).toBe('the VM is already deallocated');
    expect(wrongStateReason('restart', 'stopped')).toBe('restart needs a VM that is running; it is stopped');
    expect(wrongStateReason('resume', 'running')).toBe('the VM is already running');
    expect(wrongStateReason('suspend', 'deallocated')).toBe('suspend needs a VM that is running; it is deallocated');
  });

  it('refuses every action while the VM is between states', () => {
    for (const action of VM_ACTIONS) {
      for (const state of ['starting', 'stopping', 'deallocating'] as const) expect(wrongStateReason(action, state)).toBe(`the VM is ${state}: wait until it settles`);
    }
  });

  it('leaves an unknown state to the cloud', () => {
    for (const action of VM_ACTIONS) expect(wrongStateReason(action, 'unknown')).toBeNull();
  });

  it('knows only our action words, and moves to a state of our vocabulary', () => {
    expect(isVmAction('start')).toBe(true);
    expect(isVmAction('powerOff')).toBe(false);
    expect(isVmAction(undefined)).toBe(false);
    for (const state of Object.values(OPTIMISTIC_STATE)) if (state) expect(POWER_STATES).toContain(state);
  });
});
