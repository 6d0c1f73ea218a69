import { INVENTORY_REQUIRED_CMDLETS, INVENTORY_SCRIPT_MARKER } from '@hybridforms/testing';
import { INVENTORY_COMMAND_NAME, INVENTORY_SCRIPT } from './hyperv-inventory.script.js';
import { CMD_EXE_MAX_COMMAND_LENGTH, decodePowerShellCommand, encodePowerShellCommand } from './powershell-command.js';

describe('INVENTORY_SCRIPT', () => {
  it('encodes under the cmd.exe command line limit', () => {
    const commandLine = encodePowerShellCommand(INVENTORY_SCRIPT, INVENTORY_COMMAND_NAME);
    // Headroom for the next property someone adds (the line is about 7,100 characters today).
    expect(commandLine.length).toBeLessThanOrEqual(CMD_EXE_MAX_COMMAND_LENGTH - 512);
    expect(decodePowerShellCommand(commandLine)).toContain(INVENTORY_SCRIPT.trimEnd());
  });

  it('starts with the inventory marker', () => {
    expect(INVENTORY_SCRIPT.split('\n')[0]).toBe(INVENTORY_SCRIPT_MARKER);
  });

  it.each(INVENTORY_REQUIRED_CMDLETS)('calls %s', (cmdlet) => {
    // Whole-word match, as the simulator checks: Get-VMHost does not count as Get-VM.
    expect(INVENTORY_SCRIPT).toMatch(new RegExp(`(?<![\\w-])${cmdlet.replace(/-/g, '\\-')}(?![\\w-])`, 'i'));
  });

  it('reads KVP guest data through CIM', () => {
    expect(INVENTORY_SCRIPT).toMatch(/Get-CimInstance -Namespace root\/virtualization\/v2 -ClassName Msvm_KvpExchangeComponent/);
    expect(INVENTORY_SCRIPT).toContain('GuestIntrinsicExchangeItems');
  });

  it('projects the documented document shape', () => {
    for (const key of ['host', 'switches', 'vms', 'VMId', 'VMName', 'State', 'MemoryStartup', 'Uptime', 'CreationTime', 'NetworkAdapters', 'HardDrives', 'IntegrationServices', 'Kvp', 'IPAddresses', 'VhdType', 'SwitchType', 'HyperVVersion']) {
      expect(INVENTORY_SCRIPT).toMatch(new RegExp(`\\b${key} = `));
    }
    expect(INVENTORY_SCRIPT).toContain('ConvertTo-Json -InputObject $doc @j');
    expect(INVENTORY_SCRIPT).toContain('Depth = 6; Compress = $true');
  });

  it('uses no PowerShell 7-only syntax', () => {
    // Ternaries, null-coalescing, pipeline chains and ForEach-Object -Parallel fail to parse or bind on 5.1.
    for (const pattern of [/\?\?/, /\?\./, /&&/, /\|\|/, /-Parallel\b/, /\s\?\s.*\s:\s/]) {
      expect(INVENTORY_SCRIPT).not.toMatch(pattern);
    }
    // -EnumsAsStrings is only bound on 7, through the splatted hashtable.
    expect(INVENTORY_SCRIPT).not.toMatch(/-EnumsAsStrings/);
  });
});
