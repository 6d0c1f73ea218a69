import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderErrorCode } from '@hybridforms/core';
import { parseHyperVMetrics, storageInstance } from './hyperv-metrics.parser.js';

const fixture = (name: string): string => readFileSync(join(process.cwd(), 'libs/providers/hyperv/src/__fixtures__', name), 'utf8');
const WEB = '0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f';
const DB = '3c1d2b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const WIN = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const MINUTE = new Date('2024-06-01T10:00:00Z');

describe('parseHyperVMetrics (PS 5.1 fixture)', () => {
  const text = fixture('metrics.ps51.json');

  it('turns counter samples into our metrics of the asked-for VMs', () => {
    const { samples, warnings } = parseHyperVMetrics(text, [WEB.toUpperCase(), DB], 'metrics script');
    expect(warnings).toEqual([]);
    const byName = Object.fromEntries(samples.filter((s) => s.vmNativeId === WEB).map((s) => [s.name, s.value]));
    expect(byName).toEqual({
      // The mean over the VM's virtual processors.
      cpu_percent: 25,
      memory_available_bytes: 1536 * 1024 * 1024,
      // Rates (bytes/sec) × 60: bytes per one-minute interval, summed over the VM's devices.
      network_in_bytes: 1000.5 * 60,
      network_out_bytes: 0,
      disk_read_bytes: (4096 + 1024) * 60,
    });
    expect(samples.every((s) => s.timestamp.getTime() === MINUTE.getTime())).toBe(true);
    // A stopped VM has no counter instances: no samples at all, not zeros.
    expect(samples.some((s) => s.vmNativeId === DB)).toBe(false);
  });

  it('leaves out a counter with no valid value, never 0, and maps names with parentheses', () => {
    const { samples } = parseHyperVMetrics(text, [WIN], 'metrics script');
    // Memory has Status ≠ 0 and the write rate is not a number: only the CPU is left.
    expect(samples).toEqual([{ vmNativeId: WIN, name: 'cpu_percent', value: 3, timestamp: MINUTE }]);
  });

  it('keeps only the targets', () => {
    expect(parseHyperVMetrics(text, [], 'metrics script').samples).toEqual([]);
    expect(parseHyperVMetrics(text, ['99999999-9999-4999-8999-999999999999'], 'metrics script').samples).toEqual([]);
  });

  it('skips the VP and memory counters of a name two VMs share, with a warning', () => {
    const doc = JSON.parse(text) as { Vms: { Id: string; Name: string; State: string; Disks: string[] }[] };
    doc.Vms.push({ Id: '11111111-2222-4333-8444-555555555555', Name: 'RHEL9-WEB01', State: 'Off', Disks: [] });
    const { samples, warnings } = parseHyperVMetrics(JSON.stringify(doc), [WEB], 'metrics script');
    expect(samples.map((s) => s.name).sort()).toEqual(['disk_read_bytes', 'network_in_bytes', 'network_out_bytes']);
    expect(warnings).toEqual(["two or more VMs are named 'rhel9-web01': their CPU and memory counters cannot be told apart and are skipped"]);
  });

  it('reads a bare VM and sample, and nothing at all', () => {
    const one = JSON.stringify({
      Vms: { Id: WEB, Name: 'rhel9-web01', State: 'Running', Disks: [] },
      Samples: { Path: '\\\\hv01\\hyper-v dynamic memory vm(rhel9-web01)\\guest available memory', InstanceName: 'rhel9-web01', CookedValue: 2, Timestamp: '/Date(1717236059999)/' },
    });
    expect(parseHyperVMetrics(one, [WEB], 'm').samples).toEqual([{ vmNativeId: WEB, name: 'memory_available_bytes', value: 2 * 1024 * 1024, timestamp: MINUTE }]);
    expect(parseHyperVMetrics('{"Vms":null,"Samples":null}', [WEB], 'm').samples).toEqual([]);
  });

  it('fails on truncated JSON', () => {
    expect(() => parseHyperVMetrics(text.slice(0, 200), [WEB], 'metrics script')).toThrow(expect.objectContaining({ code: ProviderErrorCode.MalformedResponse }));
    expect(() => parseHyperVMetrics('', [WEB], 'metrics script')).toThrow(expect.objectContaining({ code: ProviderErrorCode.MalformedResponse }));
  });

  it('names a storage device instance after its VHD path', () => {
    expect(storageInstance('C:\\VMs\\Disk One.vhdx')).toBe('c:-vms-disk one.vhdx');
  });
});
