import { ProviderError, ProviderErrorCode, type MetricName, type MetricSample } from '@hybridforms/core';
import { parsePowerShellDate, parsePowerShellJson, type PowerShellRecord } from './powershell-output.parser.js';

/**
 * Turns what the metrics script (hyperv-metrics.script.ts) printed into metric samples of the
 * asked-for VMs (shared/reference/hyperv.md §5). Pure: fixtures in, samples and warnings out.
 */

export interface HyperVMetricsResult {
  samples: MetricSample[];
  /** Things the caller should log (e.g. a VM name two VMs share, whose counters are skipped). */
  warnings: string[];
}

const MIB = 1024 * 1024;

/**
 * Get-Counter gives instantaneous rates (bytes/sec at the sample time), not totals; a PT1M
 * sample's bytes are the rate × 60, the rate taken as the interval's average.
 */
const SECONDS_PER_INTERVAL = 60;

/** `<counter set>|<counter>` (lower-case, as Path prints them) → what it measures. */
const COUNTERS: Readonly<Record<string, 'vp' | 'memory' | 'net-in' | 'net-out' | 'disk-read' | 'disk-write'>> = {
  'hyper-v hypervisor virtual processor|% guest run time': 'vp',
  'hyper-v dynamic memory vm|guest available memory': 'memory',
  'hyper-v virtual network adapter|bytes received/sec': 'net-in',
  'hyper-v virtual network adapter|bytes sent/sec': 'net-out',
  'hyper-v virtual storage device|read bytes/sec': 'disk-read',
  'hyper-v virtual storage device|write bytes/sec': 'disk-write',
};

const RATE_METRICS = { 'net-in': 'network_in_bytes', 'net-out': 'network_out_bytes', 'disk-read': 'disk_read_bytes', 'disk-write': 'disk_write_bytes' } as const;

interface VmInfo {
  id: string;
  name: string;
  disks: string[];
}

/**
 * Parses the metrics document and keeps the samples of `targets` (VM native ids, lower-case GUIDs).
 * - cpu_percent: the mean of the VM's virtual processors' % Guest Run Time.
 * - memory_available_bytes: Guest Available Memory (MB) × 1 MiB.
 * - disk/network bytes: the sum over the VM's devices of the rate × 60 (bytes per PT1M interval).
 * - timestamp: the sample time floored to the minute.
 * A counter the host printed no valid value for (absent, non-numeric, Status ≠ 0) gives no sample:
 * never a 0. VP and memory instances are VM names: a name two VMs share is skipped with a warning.
 *
 * @throws ProviderError(MalformedResponse) on invalid or truncated JSON, or no `{ Vms, Samples }` document.
 */
export function parseHyperVMetrics(stdout: string, targets: Iterable<string>, command: string): HyperVMetricsResult {
  const document = parsePowerShellJson(stdout, command);
  if (!isRecord(document) || !('Vms' in document)) {
    throw new ProviderError(ProviderErrorCode.MalformedResponse, `PowerShell command "${command}" printed ${document === null ? 'nothing' : 'no { Vms, Samples } document'}`);
  }
  const wanted = new Set([...targets].map((id) => id.toLowerCase()));
  const warnings: string[] = [];
  const vms: VmInfo[] = list(document.Vms).flatMap((vm) => {
    const id = typeof vm.Id === 'string' ? vm.Id.trim().toLowerCase() : '';
    const name = typeof vm.Name === 'string' ? vm.Name.toLowerCase() : '';
    const disks = (Array.isArray(vm.Disks) ? vm.Disks : vm.Disks === null || vm.Disks === undefined ? [] : [vm.Disks]).filter((d): d is string => typeof d === 'string');
    return id ? [{ id, name, disks }] : [];
  });

  const byName = new Map<string, VmInfo | null>();
  for (const vm of vms) byName.set(vm.name, byName.has(vm.name) ? null : vm);
  for (const [name, vm] of byName) {
    if (vm === null && vms.some((v) => v.name === name && wanted.has(v.id))) {
      warnings.push(`two or more VMs are named '${name}': their CPU and memory counters cannot be told apart and are skipped`);
    }
  }
  // A VHD two VMs list (a shared disk) cannot be told apart either: null.
  const byDisk = new Map<string, VmInfo | null>();
  for (const vm of vms) {
    for (const disk of vm.disks) {
      const key = storageInstance(disk);
      const seen = byDisk.get(key);
      byDisk.set(key, seen === undefined || seen === vm ? vm : null);
    }
  }

  // Per VM and metric: the values to combine, and the sample time.
  const acc = new Map<string, { vmId: string; name: MetricName; values: number[]; time: number }>();
  const add = (vm: VmInfo, name: MetricName, value: number, time: number) => {
    if (!wanted.has(vm.id)) return;
    const key = `${vm.id}|${name}`;
    const entry = acc.get(key) ?? { vmId: vm.id, name, values: [], time };
    entry.values.push(value);
    entry.time = Math.max(entry.time, time);
    acc.set(key, entry);
  };

  for (const sample of list(document.Samples)) {
    const path = typeof sample.Path === 'string' ? sample.Path.toLowerCase() : '';
    const kind = COUNTERS[counterKey(path)];
    if (!kind) continue;
    const value = sample.CookedValue;
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    if (sample.Status !== undefined && sample.Status !== null && sample.Status !== 0) continue;
    const time = parsePowerShellDate(sample.Timestamp);
    if (!time) continue;
    const instance = typeof sample.InstanceName === 'string' ? sample.InstanceName.toLowerCase() : '';
    if (kind === 'vp') {
      const at = instance.lastIndexOf(':hv vp ');
      const vm = at > 0 ? byName.get(instance.slice(0, at)) : undefined;
      if (vm) add(vm, 'cpu_percent', value, time.getTime());
    } else if (kind === 'memory') {
      const vm = byName.get(instance);
      if (vm) add(vm, 'memory_available_bytes', value * MIB, time.getTime());
    } else if (kind === 'net-in' || kind === 'net-out') {
      const vm = networkVm(instance, vms, byName);
      if (vm) add(vm, RATE_METRICS[kind], value * SECONDS_PER_INTERVAL, time.getTime());
    } else {
      const vm = byDisk.get(instance);
      if (vm) add(vm, RATE_METRICS[kind], value * SECONDS_PER_INTERVAL, time.getTime());
    }
  }

  const samples: MetricSample[] = [...acc.values()].map((entry) => {
    const sum = entry.values.reduce((a, b) => a + b, 0);
    return {
      vmNativeId: entry.vmId,
      name: entry.name,
      timestamp: new Date(Math.floor(entry.time / 60_000) * 60_000),
      value: entry.name === 'cpu_percent' ? sum / entry.values.length : sum,
    };
  });
  return { samples, warnings };
}

/** The storage device instance of a VHD path: the path with `\` as `-`, lower-case (unverified form). */
export function storageInstance(vhdPath: string): string {
  return vhdPath.replace(/\\/g, '-').toLowerCase();
}

/** `<set>|<counter>` of a counter path `\\host\set(instance)\counter`. */
function counterKey(path: string): string {
  const host = /^\\\\[^\\]*\\/.exec(path);
  const rest = host ? path.slice(host[0].length) : path.replace(/^\\/, '');
  const open = rest.indexOf('(');
  const set = open >= 0 ? rest.slice(0, open) : rest.slice(0, rest.indexOf('\\'));
  return `${set}|${rest.slice(rest.lastIndexOf('\\') + 1)}`;
}

/** A network adapter instance names its VM by id (`<vm>_<adapter>_<vmid>--<guid>`), else by a unique name prefix. */
function networkVm(instance: string, vms: VmInfo[], byName: Map<string, VmInfo | null>): VmInfo | undefined {
  const byId = vms.find((vm) => instance.includes(vm.id));
  if (byId) return byId;
  let best: VmInfo | undefined;
  for (const [name, vm] of byName) {
    if (vm && instance.startsWith(`${name}_`) && (!best || name.length > best.name.length)) best = vm;
  }
  return best;
}

function list(value: unknown): PowerShellRecord[] {
  if (value === null || value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter(isRecord);
}

function isRecord(value: unknown): value is PowerShellRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
