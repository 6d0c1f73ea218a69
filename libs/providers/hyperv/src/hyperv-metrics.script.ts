/**
 * The PowerShell script that reads the Hyper-V performance counters of every running VM of a host
 * in one round trip (shared/reference/hyperv.md §5), for `collectMetrics`:
 * - Get-VM lists id, name, state and (running VMs only) the VHD paths: counter instances are
 *   lower-cased VM names (virtual processors `<vm>:hv vp <n>`, dynamic memory `<vm>`), storage
 *   device instances derive from the VHD path, network adapter instances embed the VM id.
 * - One Get-Counter for all counter paths, `(*)` instances, one sample
 *   (`-SampleInterval 1 -MaxSamples 1`); `-ErrorAction SilentlyContinue` because a counter set
 *   with no instance (no VM running) is an error otherwise.
 * - Samples projected (§5): Path, InstanceName, CookedValue, Status, Timestamp as UTC round-trip.
 * The target list is not sent: thousands of ids would not fit cmd.exe's 8,191 characters, and the
 * counters come for all VMs at once anyway; the plugin keeps the asked-for ones.
 */

export const METRICS_SCRIPT_FIRST_LINE = '# hybridforms:metrics';

export const METRICS_COMMAND_NAME = 'metrics script';

/** Counter paths read. English names: Get-Counter expects localized names on a host of another display language (not handled). */
export const METRICS_COUNTER_PATHS = [
  '\\Hyper-V Hypervisor Virtual Processor(*)\\% Guest Run Time',
  '\\Hyper-V Dynamic Memory VM(*)\\Guest Available Memory',
  '\\Hyper-V Virtual Network Adapter(*)\\Bytes Received/sec',
  '\\Hyper-V Virtual Network Adapter(*)\\Bytes Sent/sec',
  '\\Hyper-V Virtual Storage Device(*)\\Read Bytes/sec',
  '\\Hyper-V Virtual Storage Device(*)\\Write Bytes/sec',
] as const;

export const METRICS_SCRIPT = [
  METRICS_SCRIPT_FIRST_LINE,
  '$vms = foreach ($vm in Hyper-V\\Get-VM) {',
  '  $run = [string]$vm.State -eq \'Running\'',
  '  [pscustomobject]@{',
  '    Id = ([string]$vm.VMId).ToLower()',
  '    Name = $vm.VMName',
  '    State = [string]$vm.State',
  '    Disks = @(if ($run) { foreach ($d in Hyper-V\\Get-VMHardDiskDrive -VM $vm) { $d.Path } })',
  '  }',
  '}',
  '$p = @(',
  ...METRICS_COUNTER_PATHS.map((path) => `  '${path}'`),
  ')',
  '$c = Get-Counter -Counter $p -SampleInterval 1 -MaxSamples 1 -ErrorAction SilentlyContinue',
  '$samples = foreach ($s in $c.CounterSamples) {',
  "  [pscustomobject]@{ Path = $s.Path; InstanceName = $s.InstanceName; CookedValue = $s.CookedValue; Status = $s.Status; Timestamp = $s.Timestamp.ToUniversalTime().ToString('o') }",
  '}',
  'ConvertTo-Json -InputObject ([pscustomobject]@{ Vms = $vms; Samples = $samples }) -Depth 4 -Compress',
  '',
].join('\n');
