import { HyperVFaultInjector } from './hyperv-fault.injector.js';

describe('HyperVFaultInjector: faults aimed at one create step', () => {
  it("gives a step's fault only to the create script of that step, and keeps it for that step while others pass", () => {
    const faults = new HyperVFaultInjector();
    faults.inject({ kind: 'answer-lost', marker: 'vm-create', step: 'start' });
    expect(faults.take('command', 'vm-create', 'vhd')).toBeUndefined();
    expect(faults.take('command', 'vm-create', 'vm')).toBeUndefined();
    // Another marker's script has no step: it never takes a step's fault.
    expect(faults.take('command', 'vm-action')).toBeUndefined();
    expect(faults.take('command', 'vm-create', 'start')).toBe('answer-lost');
    expect(faults.take('command', 'vm-create', 'start')).toBeUndefined();
  });

  it('takes the faults of one step in the order they were given, and a stepless vm-create fault for any step', () => {
    const faults = new HyperVFaultInjector();
    faults.inject({ kind: 'hang', marker: 'vm-create', step: 'vm' });
    faults.inject({ kind: 'answer-lost', marker: 'vm-create', step: 'vm' });
    faults.inject({ kind: 'disconnect', marker: 'vm-create', times: 1 });
    expect(faults.take('command', 'vm-create', 'vm')).toBe('hang');
    expect(faults.take('command', 'vm-create', 'vm')).toBe('answer-lost');
    expect(faults.take('command', 'vm-create', 'guest')).toBe('disconnect');
    expect(faults.take('command', 'vm-create', 'vm')).toBeUndefined();
  });

  it("aims a 'cmdlet-error' at the cmdlet of one step only", () => {
    const faults = new HyperVFaultInjector();
    faults.inject({ kind: 'cmdlet-error', marker: 'vm-create', step: 'guest', cmdlet: 'Get-VMNetworkAdapter', message: 'gone' });
    expect(faults.takeCmdletError('Get-VMNetworkAdapter', 'vm-create', 'network')).toBeUndefined();
    expect(faults.takeCmdletError('get-vmnetworkadapter', 'vm-create', 'guest')).toEqual({ message: 'gone' });
    expect(faults.takeCmdletError('Get-VMNetworkAdapter', 'vm-create', 'guest')).toBeUndefined();
  });

  it('refuses a step without the vm-create marker, and a step no create script runs', () => {
    const faults = new HyperVFaultInjector();
    expect(() => faults.inject({ kind: 'answer-lost', step: 'vm' })).toThrow(/marker 'vm-create'/);
    expect(() => faults.inject({ kind: 'hang', marker: 'vm-action', step: 'vm' })).toThrow(/marker 'vm-create'/);
    expect(() => faults.inject({ kind: 'answer-lost', marker: 'vm-create', step: 'reboot' })).toThrow(/Unknown vm-create step 'reboot'/);
    // Nothing refused was kept.
    expect(faults.take('command', 'vm-create', 'vm')).toBeUndefined();
  });

  it("knows 'answer-lost' as a command fault: any command may take it, a login never", () => {
    const faults = new HyperVFaultInjector();
    faults.inject({ kind: 'answer-lost' });
    expect(faults.take('auth')).toBeUndefined();
    expect(faults.take('command', 'inventory')).toBe('answer-lost');
    expect(() => faults.inject({ kind: 'lost' as never })).toThrow(/Unknown fault kind 'lost'/);
  });
});
