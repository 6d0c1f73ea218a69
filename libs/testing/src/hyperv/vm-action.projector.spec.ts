import { HyperVEstate } from './hyperv-estate.js';
import { parseVhdScriptPath, parseVmActionScript, VmActionProjector, type VmActionHost } from './vm-action.projector.js';
import { PowerShellJsonSerializer } from './powershell-json.serializer.js';

const ID = '0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f';
const script = (steps: string, select = `Hyper-V\\Get-VM -Id '${ID}'`) =>
  [
    '# hybridforms:vm-action',
    "$c = 'Get-VM'",
    'try {',
    `  $vm = ${select}`,
    '  $s = [string]$vm.State',
    steps,
    '} catch {',
    '  [Console]::Error.WriteLine((ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ Cmdlet = $c; State = $s; ErrorId = [string]$_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message })))',
    '}',
  ].join('\n');

describe('the simulated host reading VM action scripts', () => {
  it('refuses a VM selected by name, or two VMs in one script', () => {
    expect(() => parseVmActionScript(script("  $c = 'Start-VM'; $vm | Hyper-V\\Start-VM; $acted = $true", "Hyper-V\\Get-VM -Name 'web'"))).toThrow(/-Id '<guid>' only/);
    const two = script(`  $c = 'Start-VM'; $vm | Hyper-V\\Start-VM; $acted = $true\n  $x = Hyper-V\\Get-VM -Id '${ID.replace('0f', '1f')}'`);
    expect(() => parseVmActionScript(two)).toThrow(/exactly one VM id/);
  });

  it('refuses a step outside its grammar rather than guessing', () => {
    expect(() => parseVmActionScript(script('  $vm | Hyper-V\\Stop-VM -TurnOff'))).toThrow(/unsupported vm-action step/);
    expect(() => parseVmActionScript(script("  $c = 'Start-VM'; $vm | Hyper-V\\Stop-VM; $acted = $true"))).toThrow(/sets \$c = 'Start-VM' but runs Stop-VM/);
  });

  it('applies Hyper-V\'s rules, not the script\'s hopes: Stop-VM without -TurnOff needs the shutdown service', () => {
    const estate = new HyperVEstate({ ComputerName: 'HV01', OsName: '', OsVersion: '', LogicalProcessorCount: 8, MemoryCapacity: 0, HyperVVersion: '' }, []);
    estate.addVm({ name: 'web', vmId: ID, state: 'Running', disabledIntegrationServices: ['Shutdown'] });
    const host: VmActionHost = {
      estate,
      setState: (vmId, state) => estate.setState(vmId, state),
      resetVm: () => undefined,
      removeVm: (vmId) => estate.removeVm(vmId),
      failStart: () => undefined,
      cmdletError: () => undefined,
    };
    const projector = new VmActionProjector(new PowerShellJsonSerializer('7'));
    const stop = script("  if ($s -ne 'Off') { $c = 'Stop-VM'; $vm | Hyper-V\\Stop-VM -Force; $acted = $true }");
    const refused = projector.runVmAction(host, stop, parseVmActionScript(stop));
    expect(refused.answer).toEqual({ stderr: expect.stringContaining('"Cmdlet":"Stop-VM","State":"Running"'), code: 1 });
    expect(estate.get(ID).state).toBe('Running');
    const turnOff = script("  if ($s -ne 'Off') { $c = 'Stop-VM'; $vm | Hyper-V\\Stop-VM -TurnOff -Force; $acted = $true }");
    expect(projector.runVmAction(host, turnOff, parseVmActionScript(turnOff)).labels).toEqual([`Stop-VM -TurnOff -Force ${ID}`]);
    expect(estate.get(ID).state).toBe('Off');
  });

  it('reads a VHD script\'s quoted path back', () => {
    expect(parseVhdScriptPath("# x\n$p = 'C:\\VHD\\o''brien.vhdx'\n")).toBe("C:\\VHD\\o'brien.vhdx");
  });
});
