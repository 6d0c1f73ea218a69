import { PowerShellJsonSerializer } from './powershell-json.serializer.js';
import { decodePowerShellCommand, findScriptMarker, missingCmdlets, POWERSHELL_COMMAND_PREFIX } from './powershell-script.contract.js';

describe('PowerShellJsonSerializer', () => {
  const ps51 = new PowerShellJsonSerializer('5.1');
  const ps7 = new PowerShellJsonSerializer('7');
  const at = Date.parse('2024-06-01T10:00:00.123Z');

  it('writes enums, dates and escapes per edition', () => {
    expect(ps51.enumValue('Running', 2)).toBe(2);
    expect(ps7.enumValue('Running', 2)).toBe('Running');
    expect(ps51.dateTime(at)).toBe('/Date(1717236000123)/');
    expect(ps7.dateTime(at)).toBe('2024-06-01T10:00:00.1230000+00:00');
    expect(ps51.stringify({ t: ps51.dateTime(at), n: "a'<>&" })).toBe('{"t":"\\/Date(1717236000123)\\/","n":"a\\u0027\\u003c\\u003e\\u0026"}\r\n');
    expect(ps7.stringify({ n: "a'<>&" })).toBe('{"n":"a\'<>&"}\r\n');
  });

  it('writes a TimeSpan like System.TimeSpan (the reference sample)', () => {
    expect(ps51.timeSpan(93_784_500)).toEqual({
      Ticks: 937845000000,
      Days: 1,
      Hours: 2,
      Milliseconds: 500,
      Minutes: 3,
      Seconds: 4,
      TotalDays: 1.08546875,
      TotalHours: 26.05125,
      TotalMilliseconds: 93784500,
      TotalMinutes: 1563.075,
      TotalSeconds: 93784.5,
    });
  });

  it('unwraps pipeline lists', () => {
    expect(ps51.list([])).toBeNull();
    expect(ps51.list([1])).toBe(1);
    expect(ps51.list([1, 2])).toEqual([1, 2]);
  });
});

describe('PowerShell script contract', () => {
  it('decodes only the contract command and finds markers and cmdlets', () => {
    const script = '# hybridforms:inventory\r\nHyper-V\\Get-VMHost';
    expect(decodePowerShellCommand(POWERSHELL_COMMAND_PREFIX + Buffer.from(script, 'utf16le').toString('base64'))).toBe(script);
    expect(decodePowerShellCommand(`${POWERSHELL_COMMAND_PREFIX}RwBlAHQALQBWAE0A`)).toBe('Get-VM');
    expect(decodePowerShellCommand('powershell.exe -Command Get-VM')).toBeNull();
    expect(findScriptMarker(script)).toBe('inventory');
    expect(findScriptMarker('Get-VM')).toBeNull();
    expect(missingCmdlets(script, ['Get-VMHost', 'Get-VM'])).toEqual(['Get-VM']);
  });
});
