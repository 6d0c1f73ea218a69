import { METRICS_REQUIRED_CMDLETS, METRICS_SCRIPT_MARKER, parseCounterRequests } from '@hybridforms/testing';
import { METRICS_COMMAND_NAME, METRICS_SCRIPT } from './hyperv-metrics.script.js';
import { CMD_EXE_MAX_COMMAND_LENGTH, encodePowerShellCommand } from './powershell-command.js';

describe('METRICS_SCRIPT', () => {
  it('encodes under the cmd.exe command line limit', () => {
    expect(encodePowerShellCommand(METRICS_SCRIPT, METRICS_COMMAND_NAME).length).toBeLessThanOrEqual(CMD_EXE_MAX_COMMAND_LENGTH - 2048);
  });

  it('carries the marker and calls the cmdlets of the contract', () => {
    expect(METRICS_SCRIPT.split('\n')[0]).toBe(METRICS_SCRIPT_MARKER);
    for (const cmdlet of METRICS_REQUIRED_CMDLETS) expect(METRICS_SCRIPT).toMatch(new RegExp(`(?<![\\w-])${cmdlet}(?![\\w-])`, 'i'));
  });

  it('asks Get-Counter once for the counters of §5, every instance, one sample', () => {
    expect(parseCounterRequests(METRICS_SCRIPT)).toEqual([
      { set: 'hyper-v hypervisor virtual processor', instance: '*', counter: '% guest run time' },
      { set: 'hyper-v dynamic memory vm', instance: '*', counter: 'guest available memory' },
      { set: 'hyper-v virtual network adapter', instance: '*', counter: 'bytes received/sec' },
      { set: 'hyper-v virtual network adapter', instance: '*', counter: 'bytes sent/sec' },
      { set: 'hyper-v virtual storage device', instance: '*', counter: 'read bytes/sec' },
      { set: 'hyper-v virtual storage device', instance: '*', counter: 'write bytes/sec' },
    ]);
    expect(METRICS_SCRIPT.match(/Get-Counter/g)).toHaveLength(1);
    expect(METRICS_SCRIPT).toContain('Get-Counter -Counter $p -SampleInterval 1 -MaxSamples 1 -ErrorAction SilentlyContinue');
    expect(METRICS_SCRIPT).toContain("Timestamp = $s.Timestamp.ToUniversalTime().ToString('o')");
    expect(METRICS_SCRIPT).toContain('Status = $s.Status');
  });

  it('lists VM ids and names (counter instances are names) and the disks of running VMs', () => {
    expect(METRICS_SCRIPT).toContain('Id = ([string]$vm.VMId).ToLower()');
    expect(METRICS_SCRIPT).toContain('Name = $vm.VMName');
    expect(METRICS_SCRIPT).toContain('Disks = @(if ($run) { foreach ($d in Hyper-V\\Get-VMHardDiskDrive -VM $vm) { $d.Path } })');
  });

  it('uses no PowerShell 7-only syntax', () => {
    for (const pattern of [/\?\?/, /\?\./, /&&/, /\|\|/, /-Parallel\b/, /\s\?\s.*\s:\s/]) expect(METRICS_SCRIPT).not.toMatch(pattern);
  });
});
