import { counterInstance, counterMinute, MetricsProjector, parseCounterRequests, simulatedCounterValue } from './hyperv-counters.js';
import { HyperVEstate } from './hyperv-estate.js';
import { PowerShellJsonSerializer } from './powershell-json.serializer.js';

const VM_ID = '0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f';

describe('simulatedCounterValue', () => {
  it('is a deterministic function of VM, counter, instance and minute, in plausible ranges', () => {
    const minute = counterMinute(new Date('2024-06-01T10:00:59.999Z'));
    expect(minute).toBe(Date.parse('2024-06-01T10:00:00Z') / 60_000);
    expect(simulatedCounterValue(VM_ID, 'guest-run-time', 0, minute)).toBe(simulatedCounterValue(VM_ID.toUpperCase(), 'guest-run-time', 0, minute));
    expect(simulatedCounterValue(VM_ID, 'guest-run-time', 0, minute)).not.toBe(simulatedCounterValue(VM_ID, 'guest-run-time', 1, minute));
    for (let m = minute; m < minute + 50; m++) {
      const cpu = simulatedCounterValue(VM_ID, 'guest-run-time', 0, m);
      expect(cpu).toBeGreaterThanOrEqual(1);
      expect(cpu).toBeLessThanOrEqual(91);
      const physical = simulatedCounterValue(VM_ID, 'physical-memory', 0, m);
      const available = simulatedCounterValue(VM_ID, 'guest-available-memory', 0, m);
      expect(Number.isInteger(available)).toBe(true);
      expect(available).toBeLessThan(physical);
      expect(simulatedCounterValue(VM_ID, 'read-bytes', 0, m)).toBeLessThanOrEqual(40_000_000);
    }
  });

  it('names instances as Get-Counter prints them, lower-case', () => {
    const vm = { vmId: VM_ID, name: 'RHEL9-Web01' };
    expect(counterInstance(vm, 'guest-run-time', 3)).toBe('rhel9-web01:hv vp 3');
    expect(counterInstance(vm, 'guest-available-memory', 0)).toBe('rhel9-web01');
    expect(counterInstance(vm, 'bytes-sent', 0)).toMatch(new RegExp(`^rhel9-web01_network adapter_${VM_ID}--[0-9a-f-]{36}$`));
    expect(counterInstance(vm, 'read-bytes', 0, 'C:\\VMs\\Web01.vhdx')).toBe('c:-vms-web01.vhdx');
  });
});

describe('MetricsProjector', () => {
  it('answers the asked-for counters of running VMs only, with _total for the processors', () => {
    const estate = new HyperVEstate({ ComputerName: 'HV01', OsName: '', OsVersion: '', LogicalProcessorCount: 8, MemoryCapacity: 0, HyperVVersion: '' }, [
      { name: 'LAN', switchType: 'External' },
    ]);
    const on = estate.addVm({ name: 'on', processorCount: 2 });
    estate.addVm({ name: 'off', state: 'Off' });
    const at = Date.parse('2024-06-01T10:00:30Z');
    const samples = new MetricsProjector(new PowerShellJsonSerializer('5.1')).samples(
      'HV01',
      estate.list(),
      parseCounterRequests("$p = '\\Hyper-V Hypervisor Virtual Processor(*)\\% Guest Run Time', '\\Hyper-V Dynamic Memory VM(on)\\Physical Memory'"),
      at,
    );
    expect(samples.map((s) => s.Path)).toEqual([
      '\\\\hv01\\hyper-v hypervisor virtual processor(on:hv vp 0)\\% guest run time',
      '\\\\hv01\\hyper-v hypervisor virtual processor(on:hv vp 1)\\% guest run time',
      '\\\\hv01\\hyper-v hypervisor virtual processor(_total)\\% guest run time',
      '\\\\hv01\\hyper-v dynamic memory vm(on)\\physical memory',
    ]);
    expect(samples[3]).toEqual({
      Path: '\\\\hv01\\hyper-v dynamic memory vm(on)\\physical memory',
      InstanceName: 'on',
      CookedValue: simulatedCounterValue(on, 'physical-memory', 0, counterMinute(at)),
      Timestamp: '2024-06-01T10:00:30.0000000Z',
      Status: 0,
    });
  });
});
