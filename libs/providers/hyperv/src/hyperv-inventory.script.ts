/**
 * The PowerShell script one Hyper-V host runs for a full inventory: one round trip prints one
 * compressed JSON document `{ host, switches, vms }` (the contract the host simulator documents in
 * libs/testing/src/hyperv/hyperv-host-simulator.types.ts), read by `parseHyperVInventory`.
 *
 * Why it looks the way it does (shared/reference/hyperv.md):
 * - Windows PowerShell 5.1 syntax only: `powershell.exe` is the one PowerShell every host has.
 * - Raw cmdlet objects are never serialised: each level is our own flat `[pscustomobject]`, so
 *   ConvertTo-Json cannot truncate nested objects into type names.
 * - Lists are assigned from `foreach` without `@()`: none, one or many items print as null, a bare
 *   object or an array; the parser accepts all three.
 * - Enums stay enums: integers in 5.1, names in 7 (`-EnumsAsStrings`, splatted so 5.1, which lacks
 *   the parameter, never binds it). Dates stay DateTime (`/Date(ms)/` in 5.1, ISO in 7).
 * - Cmdlets are module-qualified (`Hyper-V\`) so VMware PowerCLI's `Get-VM` cannot shadow them.
 * - KVP intrinsic items (what the guest reports of itself) come from one WMI query for all VMs,
 *   each item a CIM-XML instance; every item is kept (Linux guests put os-release VERSION_ID in
 *   OSMajorVersion and the full kernel release in OSBuildNumber, which classification needs).
 * - A drive without a VHD (pass-through disk) or with a missing file must not fail the whole host:
 *   Get-VHD is asked per path with SilentlyContinue.
 *
 * The encoded command line must stay under cmd.exe's 8,191 characters, so the script is terse:
 * explanations belong here, not in PowerShell comments.
 */

/** First line of the script: the marker the host simulator (and our logs) recognise it by. */
export const INVENTORY_SCRIPT_FIRST_LINE = '# hybridforms:inventory';

/** What the inventory command is called in logs and error messages. */
export const INVENTORY_COMMAND_NAME = 'hyperv-inventory';

/**
 * `$kvp`: each VM's KVP intrinsic items (the guest's OS name and version among them) by VM GUID,
 * read in one CIM query for all VMs (reference/hyperv.md §4).
 */
export const KVP_BY_VM_SCRIPT = [
  '$kvp = @{}',
  'foreach ($c in Get-CimInstance -Namespace root/virtualization/v2 -ClassName Msvm_KvpExchangeComponent) {',
  '  $i = [ordered]@{}',
  '  foreach ($x in $c.GuestIntrinsicExchangeItems) {',
  '    $d = [xml]$x',
  '    $n = $d.SelectSingleNode("/INSTANCE/PROPERTY[@NAME=\'Name\']/VALUE")',
  '    $v = $d.SelectSingleNode("/INSTANCE/PROPERTY[@NAME=\'Data\']/VALUE")',
  '    if ($n) { $i[$n.InnerText] = "$($v.InnerText)" }',
  '  }',
  '  if ($i.Count) { $kvp[[string]$c.SystemName] = New-Object PSObject -Property $i }',
  '}',
];

/** The inventory script body; send it with `encodePowerShellCommand(INVENTORY_SCRIPT, INVENTORY_COMMAND_NAME)`. */
export const INVENTORY_SCRIPT = [
  INVENTORY_SCRIPT_FIRST_LINE,
  '$h = Hyper-V\\Get-VMHost',
  '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
  ...KVP_BY_VM_SCRIPT,
  '$vms = foreach ($vm in Hyper-V\\Get-VM) {',
  '  [pscustomobject]@{',
  '    VMId = ([string]$vm.VMId).ToLower()',
  '    VMName = $vm.VMName',
  '    State = $vm.State',
  '    ProcessorCount = $vm.ProcessorCount',
  '    MemoryAssigned = $vm.MemoryAssigned',
  '    MemoryStartup = $vm.MemoryStartup',
  '    DynamicMemoryEnabled = $vm.DynamicMemoryEnabled',
  '    Generation = $vm.Generation',
  '    Version = $vm.Version',
  '    Uptime = $vm.Uptime',
  '    CreationTime = $vm.CreationTime',
  '    Notes = $vm.Notes',
  '    NetworkAdapters = foreach ($a in Hyper-V\\Get-VMNetworkAdapter -VM $vm) {',
  '      [pscustomobject]@{ MacAddress = $a.MacAddress; SwitchName = $a.SwitchName; IPAddresses = @($a.IPAddresses | Where-Object { $_ }) }',
  '    }',
  '    HardDrives = foreach ($r in Hyper-V\\Get-VMHardDiskDrive -VM $vm) {',
  '      $vhd = if ($r.Path) { Hyper-V\\Get-VHD -Path $r.Path -ErrorAction SilentlyContinue }',
  '      [pscustomobject]@{ Path = $r.Path; VhdType = $vhd.VhdType; Size = $vhd.Size; FileSize = $vhd.FileSize }',
  '    }',
  '    IntegrationServices = foreach ($s in Hyper-V\\Get-VMIntegrationService -VM $vm) {',
  '      [pscustomobject]@{ Name = $s.Name; Enabled = $s.Enabled; PrimaryStatusDescription = $s.PrimaryStatusDescription }',
  '    }',
  '    Kvp = $kvp[[string]$vm.VMId]',
  '  }',
  '}',
  '$doc = [pscustomobject]@{',
  '  host = [pscustomobject]@{',
  '    ComputerName = $h.ComputerName',
  '    OsName = $os.Caption',
  '    OsVersion = $os.Version',
  '    LogicalProcessorCount = $h.LogicalProcessorCount',
  '    MemoryCapacity = $h.MemoryCapacity',
  '    HyperVVersion = [string](Get-Item "$env:SystemRoot\\System32\\vmms.exe").VersionInfo.ProductVersion',
  '  }',
  '  switches = foreach ($w in Hyper-V\\Get-VMSwitch) { [pscustomobject]@{ Name = $w.Name; SwitchType = $w.SwitchType } }',
  '  vms = $vms',
  '}',
  '$j = @{ Depth = 6; Compress = $true }',
  'if ($PSVersionTable.PSVersion.Major -ge 7) { $j.EnumsAsStrings = $true }',
  'ConvertTo-Json -InputObject $doc @j',
  '',
].join('\n');
