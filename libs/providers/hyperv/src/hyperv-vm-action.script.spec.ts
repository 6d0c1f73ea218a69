import { ProviderError, ProviderErrorCode, type VmActionRequest } from '@hybridforms/core';
import { VM_ACTION_REQUIRED_CMDLETS, VHD_FACTS_REQUIRED_CMDLETS, VHD_REMOVE_REQUIRED_CMDLETS, parseVmActionScript, writesErrorRecordJson } from '@hybridforms/testing';
import { buildRemoveVmScript, buildVhdFactsScript, buildVhdRemoveScript, buildVmActionScript, parseVhdPath, parseVmGuid } from './hyperv-vm-action.script.js';
import { encodePowerShellCommand } from './powershell-command.js';

const VM = '0F4E6D3A-9B1C-4C2E-8F7A-3D2B1A0C9E8F';
const vm = VM.toLowerCase();

/** `cmdlet switches` per step, read back with the simulator's parser of the contract grammar. */
function steps(script: string): string[] {
  return parseVmActionScript(script).steps.map((s) => [s.condition ? `${s.condition.operator} ${s.condition.states.join(',')}:` : 'always:', s.cmdlet, ...s.switches].join(' '));
}

describe('VM action scripts', () => {
  it.each([
    [{ action: 'start' }, ['-ne running: Start-VM']],
    [{ action: 'stop' }, ['-ne off: Stop-VM -force']],
    [{ action: 'stop', force: true }, ['-ne off: Stop-VM -turnoff -force']],
    [{ action: 'suspend' }, ['-ne saved: Save-VM']],
    [{ action: 'resume' }, ['-eq saved: Start-VM', '-notin running,saved: Resume-VM']],
    [{ action: 'restart' }, ['always: Restart-VM -force']],
  ] as [VmActionRequest, string[]][])('%j applies %j to the VM selected by its id', (request, expected) => {
    const script = buildVmActionScript(VM, request);
    expect(steps(script)).toEqual(expected);
    expect(parseVmActionScript(script).vmId).toBe(vm);
  });

  it('removes a VM by turning it off unless Off, then Remove-VM -Force', () => {
    expect(steps(buildRemoveVmScript(vm))).toEqual(['-ne off: Stop-VM -turnoff -force', 'always: Remove-VM -force']);
  });

  it('never selects a VM by name, calls what the host requires and writes its errors as one JSON record', () => {
    for (const script of [buildVmActionScript(vm, { action: 'start' }), buildRemoveVmScript(vm)]) {
      expect(script).not.toMatch(/-Name\b|-VMName\b/i);
      expect(script.match(/Get-VM -Id '([^']+)'/g)).toEqual([`Get-VM -Id '${vm}'`, ...(script.includes('Remove-VM') ? [] : [`Get-VM -Id '${vm}'`])]);
      expect(VM_ACTION_REQUIRED_CMDLETS.every((c) => script.includes(c))).toBe(true);
      expect(writesErrorRecordJson(script)).toBe(true);
      expect(() => encodePowerShellCommand(script)).not.toThrow();
    }
  });

  it.each([["x'; Stop-Computer; '"], [`${vm} `], [`{${vm}}`], [vm.replace(/-/g, '')], [`${vm}0`], ['']])('refuses %j as a VM id before building anything', (id) => {
    const error = (() => {
      try {
        buildVmActionScript(id, { action: 'start' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(ProviderErrorCode.NotFound);
  });

  it('accepts a GUID in any case, lower-cased', () => {
    expect(parseVmGuid(VM)).toBe(vm);
  });

  it('refuses an action Hyper-V has not', () => {
    expect(() => buildVmActionScript(vm, { action: 'deallocate' })).toThrow(/no 'deallocate' action/);
  });
});

describe('VHD scripts', () => {
  const path = 'c:\\programdata\\microsoft\\windows\\virtual hard disks\\o\'brien.vhdx';

  it('quote the path as a literal, doubling single quotes, and call what the host requires', () => {
    const facts = buildVhdFactsScript(path);
    const remove = buildVhdRemoveScript(path);
    expect(facts).toContain("$p = 'c:\\programdata\\microsoft\\windows\\virtual hard disks\\o''brien.vhdx'");
    expect(remove).toContain('Remove-Item -LiteralPath $p -Force');
    expect(VHD_FACTS_REQUIRED_CMDLETS.every((c) => facts.includes(c))).toBe(true);
    expect(VHD_REMOVE_REQUIRED_CMDLETS.every((c) => remove.includes(c))).toBe(true);
    expect(writesErrorRecordJson(remove)).toBe(true);
  });

  it.each([
    ['relative\\disk.vhdx'],
    ['C:\\disks\\..\\Windows\\system32\\config.vhdx'],
    ['C:\\disks\\checkpoint.avhdx'],
    ['C:\\disks\\notes.txt'],
    ['C:\\disks\\a\u2019; Remove-Item C:\\ -Recurse; \u2019.vhdx'],
    ['C:\\disks\\a"b.vhdx'],
    ['C:\\disks\\line\nbreak.vhdx'],
  ])('refuses %j', (bad) => {
    expect(() => parseVhdPath(bad)).toThrow(ProviderError);
    expect(() => buildVhdRemoveScript(bad)).toThrow(ProviderError);
  });

  it('accepts drive and UNC paths to .vhd and .vhdx files', () => {
    expect(parseVhdPath('D:\\VMs\\web [old].VHDX')).toBe('D:\\VMs\\web [old].VHDX');
    expect(parseVhdPath('\\\\filer\\vms\\web.vhd')).toBe('\\\\filer\\vms\\web.vhd');
  });
});
