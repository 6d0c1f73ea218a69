import { createHash } from 'node:crypto';
import type { HyperVSimVm } from './hyperv-estate.js';
import type { CounterSampleJson, HyperVMetricsJson, MetricsVmJson } from './hyperv-host-simulator.types.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';
import { utcRoundTrip } from './events.projector.js';

/**
 * The Hyper-V performance counters Get-Counter reads (shared/reference/hyperv.md §5; paths from
 * windows_exporter), with values that are deterministic functions of (VM, counter, instance,
 * minute) so tests can compute what the host answered without asking it.
 */

/** The counters the simulator serves, by our short name. */
export const HYPERV_COUNTERS = {
  'guest-run-time': { set: 'Hyper-V Hypervisor Virtual Processor', counter: '% Guest Run Time' },
  'guest-available-memory': { set: 'Hyper-V Dynamic Memory VM', counter: 'Guest Available Memory' },
  'physical-memory': { set: 'Hyper-V Dynamic Memory VM', counter: 'Physical Memory' },
  'bytes-received': { set: 'Hyper-V Virtual Network Adapter', counter: 'Bytes Received/sec' },
  'bytes-sent': { set: 'Hyper-V Virtual Network Adapter', counter: 'Bytes Sent/sec' },
  'read-bytes': { set: 'Hyper-V Virtual Storage Device', counter: 'Read Bytes/sec' },
  'write-bytes': { set: 'Hyper-V Virtual Storage Device', counter: 'Write Bytes/sec' },
} as const;
export type HyperVCounterName = keyof typeof HYPERV_COUNTERS;

function unit(...parts: (string | number)[]): number {
  const h = createHash('sha256').update(parts.join('|')).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

/** The minute a sample time falls in (what the value functions take). */
export function counterMinute(at: Date | number): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / 60_000);
}

/**
 * The CookedValue the host reports for a counter instance in a given minute.
 *
 * @param vmId Lower-case VM GUID.
 * @param instance Virtual processor number ('guest-run-time'), adapter index (network) or hard
 *   drive index (storage), in the order Get-VM lists them; 0 for the memory counters.
 * @param minute {@link counterMinute} of the sample time.
 * @returns `% Guest Run Time` 1..91 %, memory counters in MB (Physical Memory 2048..6143,
 *   Guest Available Memory 10..80 % of it), the rest bytes/sec (network up to 2 MB/s, storage up
 *   to 40 MB/s), with 3 decimals for rates and percentages.
 */
export function simulatedCounterValue(vmId: string, counter: HyperVCounterName, instance: number, minute: number): number {
  const f = unit(vmId.toLowerCase(), counter, instance, minute);
  switch (counter) {
    case 'guest-run-time':
      return Math.round((1 + f * 90) * 1000) / 1000;
    case 'physical-memory':
      return 2048 + Math.floor(unit(vmId.toLowerCase(), counter, minute) * 4096);
    case 'guest-available-memory':
      return Math.floor(simulatedCounterValue(vmId, 'physical-memory', 0, minute) * (0.1 + f * 0.7));
    case 'bytes-received':
    case 'bytes-sent':
      return Math.round(f * 2_000_000 * 1000) / 1000;
    case 'read-bytes':
    case 'write-bytes':
      return Math.round(f * 40_000_000 * 1000) / 1000;
  }
}

/** A lower-case GUID derived from parts (adapter ids in the network counter instances). */
function derivedGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Counter instance names as the host prints them (lower-case in CounterSamples). VP and memory
 * instances are the VM name (§5); the network instance `<vm>_<adapter name>_<VMId>--<adapter
 * GUID>` and the storage instance (the VHD path with `\` as `-`) are plausible forms, unverified.
 */
export function counterInstance(vm: Pick<HyperVSimVm, 'vmId' | 'name'>, counter: HyperVCounterName, index: number, hardDrivePath?: string): string {
  switch (counter) {
    case 'guest-run-time':
      return `${vm.name}:Hv VP ${index}`.toLowerCase();
    case 'guest-available-memory':
    case 'physical-memory':
      return vm.name.toLowerCase();
    case 'bytes-received':
    case 'bytes-sent':
      return `${vm.name}_Network Adapter_${vm.vmId}--${derivedGuid(vm.vmId, 'nic', String(index))}`.toLowerCase();
    case 'read-bytes':
    case 'write-bytes':
      return (hardDrivePath ?? '').replace(/\\/g, '-').toLowerCase();
  }
}

/** A counter path the script asks for: set, instance filter (`*` = all) and counter, lower-cased. */
interface CounterRequest {
  set: string;
  instance: string;
  counter: string;
}

const COUNTER_PATH = /'\\(Hyper-V [^'(]+)\(([^')]*)\)\\([^'\\]+)'/gi;

/** The counter paths an metrics script passes to Get-Counter (single-quoted `\Hyper-V …(…)\…` literals). */
export function parseCounterRequests(script: string): CounterRequest[] {
  return [...script.matchAll(COUNTER_PATH)].map((m) => ({ set: m[1].toLowerCase(), instance: m[2].toLowerCase(), counter: m[3].toLowerCase() }));
}

/** Builds the metrics document: Get-VM's projection and one Get-Counter sample set taken now. */
export class MetricsProjector {
  /** `<vmId>|<counter>` pairs whose instances Get-Counter does not list (a counter with no value). */
  readonly withheld = new Set<string>();

  constructor(
    private readonly serializer: PowerShellJsonSerializer,
    private readonly now: () => number = Date.now,
  ) {}

  /** The samples a Get-Counter of `requests` would return at `at` for the VMs (running ones only have instances). */
  samples(hostName: string, vms: HyperVSimVm[], requests: CounterRequest[], at: number): CounterSampleJson[] {
    const minute = counterMinute(at);
    const timestamp = utcRoundTrip(at);
    const out: CounterSampleJson[] = [];
    const host = hostName.toLowerCase();
    const running = vms.filter((vm) => vm.state === 'Running');
    for (const request of requests) {
      const entry = Object.entries(HYPERV_COUNTERS).find(([, c]) => c.set.toLowerCase() === request.set && c.counter.toLowerCase() === request.counter);
      if (!entry) continue; // Get-Counter -ErrorAction SilentlyContinue skips a path it cannot read
      const name = entry[0] as HyperVCounterName;
      const rows: { instance: string; value: number }[] = [];
      for (const vm of running) {
        if (this.withheld.has(`${vm.vmId}|${name}`)) continue;
        if (name === 'guest-run-time') {
          for (let vp = 0; vp < vm.processorCount; vp++) rows.push({ instance: counterInstance(vm, name, vp), value: simulatedCounterValue(vm.vmId, name, vp, minute) });
        } else if (name === 'guest-available-memory' || name === 'physical-memory') {
          rows.push({ instance: counterInstance(vm, name, 0), value: simulatedCounterValue(vm.vmId, name, 0, minute) });
        } else if (name === 'bytes-received' || name === 'bytes-sent') {
          vm.networkAdapters.forEach((_a, i) => rows.push({ instance: counterInstance(vm, name, i), value: simulatedCounterValue(vm.vmId, name, i, minute) }));
        } else {
          vm.hardDrives.forEach((d, i) => rows.push({ instance: counterInstance(vm, name, i, d.path), value: simulatedCounterValue(vm.vmId, name, i, minute) }));
        }
      }
      if (name === 'guest-run-time' && rows.length > 0) {
        // The (*) wildcard includes the _total instance.
        rows.push({ instance: '_total', value: Math.round((rows.reduce((sum, r) => sum + r.value, 0) / rows.length) * 1000) / 1000 });
      }
      for (const row of rows) {
        if (request.instance !== '*' && request.instance !== row.instance) continue;
        out.push({
          Path: `\\\\${host}\\${request.set}(${row.instance})\\${request.counter}`,
          InstanceName: row.instance,
          CookedValue: row.value,
          Timestamp: timestamp,
          Status: 0,
        });
      }
    }
    return out;
  }

  render(hostName: string, vms: HyperVSimVm[], script: string): string {
    const s = this.serializer;
    const vmJson: MetricsVmJson[] = vms.map((vm) => ({
      Id: vm.vmId,
      Name: vm.name,
      State: vm.state,
      Disks: vm.state === 'Running' ? vm.hardDrives.map((d) => d.path) : [],
    }));
    const document: HyperVMetricsJson = {
      Vms: s.list(vmJson),
      Samples: s.list(this.samples(hostName, vms, parseCounterRequests(script), this.now())),
    };
    return s.stringify(document);
  }
}
