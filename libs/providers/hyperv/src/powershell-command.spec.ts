import {
  CMD_EXE_MAX_COMMAND_LENGTH,
  decodePowerShellCommand,
  encodePowerShellCommand,
  encodePowerShellScript,
  wrapPowerShellScript,
} from './powershell-command.js';

describe('PowerShell command encoding', () => {
  it('encodes UTF-16LE as -EncodedCommand expects', () => {
    // The reference's worked example.
    expect(encodePowerShellScript('Get-VM')).toBe('RwBlAHQALQBWAE0A');
  });

  it('builds a powershell.exe line that is safe under cmd.exe and PowerShell alike', () => {
    const line = encodePowerShellCommand("Hyper-V\\Get-VM | Where-Object { $_.Name -eq 'a&b' }", 'list-vms');
    expect(line).toMatch(/^powershell\.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand [A-Za-z0-9+/]+=*$/);
    expect(line).not.toMatch(/["'&|<>^%;]/);
  });

  it('prepends the prologue and wraps the body so errors reach stderr as plain text', () => {
    const script = decodePowerShellCommand(encodePowerShellCommand('Hyper-V\\Get-VM', 'list-vms'));
    expect(script).toBe(wrapPowerShellScript('Hyper-V\\Get-VM'));
    const lines = (script ?? '').split('\n');
    expect(lines.slice(0, 3)).toEqual([
      "$ProgressPreference = 'SilentlyContinue'",
      "$ErrorActionPreference = 'Stop'",
      '[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)',
    ]);
    expect(script).toContain('try {\nHyper-V\\Get-VM\n} catch {');
    expect(script).toContain('[Console]::Error.WriteLine($_.Exception.Message)');
    expect(script).toContain('exit 1');
  });

  it('round-trips non-ASCII text', () => {
    const line = encodePowerShellCommand("Hyper-V\\Get-VM -Name 'Prüfung-Ω'");
    expect(decodePowerShellCommand(line)).toContain("Hyper-V\\Get-VM -Name 'Prüfung-Ω'");
  });

  it('accepts a script right up to cmd.exe’s limit and refuses one beyond it, naming it', () => {
    const fits = (size: number): boolean => {
      try {
        encodePowerShellCommand('#'.repeat(size));
        return true;
      } catch {
        return false;
      }
    };
    let size = 0;
    while (fits(size + 1)) size += 1;
    // UTF-16 doubles the script and base64 adds a third: about 3 KB of script fits.
    expect(size).toBeGreaterThan(2500);
    expect(encodePowerShellCommand('#'.repeat(size)).length).toBeLessThanOrEqual(CMD_EXE_MAX_COMMAND_LENGTH);
    expect(() => encodePowerShellCommand('#'.repeat(size + 1), 'inventory')).toThrow(
      /"inventory".* \d+ characters long, over cmd\.exe's limit of 8191/,
    );
  });

  it('refuses a 4 KB script (UTF-16 doubles it, base64 adds a third)', () => {
    expect(() => encodePowerShellCommand('x'.repeat(4096), 'big')).toThrow(Error);
  });

  it('reads nothing back from a line without an encoded command', () => {
    expect(decodePowerShellCommand('powershell.exe -Command Get-VM')).toBeNull();
  });
});
