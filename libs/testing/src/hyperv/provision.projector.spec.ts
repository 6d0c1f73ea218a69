import { HyperVEstate } from './hyperv-estate.js';
import { PowerShellJsonSerializer } from './powershell-json.serializer.js';
import { ParserError, parseQuotedList, ProvisionProjector } from './provision.projector.js';

describe('ProvisionProjector', () => {
  const estate = () => {
    const e = new HyperVEstate({ ComputerName: 'HV01', OsName: '', OsVersion: '', LogicalProcessorCount: 8, MemoryCapacity: 64 * 1024 ** 3, HyperVVersion: '' }, [{ name: 'LAN', switchType: 'External' }]);
    e.addFolder('D:\\Library');
    e.addVhdFile({ path: 'D:\\Library\\rhel-9.4-gold.vhdx', vhdType: 'Dynamic', size: 1, fileSize: 1 });
    e.addVhdFile({ path: 'D:\\Library\\old.vhd', vhdType: 'Fixed', size: 1, fileSize: 1 });
    return e;
  };

  it('reads single-quoted lists with doubled quotes, and refuses a literal PowerShell could not parse', () => {
    expect(parseQuotedList("$x = @('a''b', 'c')", 'x')).toEqual(["a'b", 'c']);
    expect(parseQuotedList('$x = @()', 'x')).toEqual([]);
    expect(() => parseQuotedList("$x = @('a'b')", 'x')).toThrow(ParserError);
    expect(() => parseQuotedList("$x = @('a)", 'x')).toThrow(ParserError);
  });

  it('answers a parse error as PowerShell does: CLIXML on stderr, exit 1', () => {
    const answer = new ProvisionProjector(new PowerShellJsonSerializer('5.1')).parserError(new ParserError("$paths = @('D:\\x)"));
    expect(answer).toMatchObject({ code: 1 });
    expect((answer as { stderr: string }).stderr).toMatch(/^#< CLIXML[\s\S]*TerminatorExpectedAtEndOfString/);
  });

  it('lists only *.vhdx directly under a library folder, enums as 5.1 integers or 7 names', () => {
    const script = "$paths = @('D:\\Library', 'E:\\None')";
    const p51 = JSON.parse((new ProvisionProjector(new PowerShellJsonSerializer('5.1')).sources(estate(), script, () => undefined) as { stdout: string }).stdout);
    expect(p51).toMatchObject({ Vhds: [{ Path: 'D:\\Library\\rhel-9.4-gold.vhdx', VhdFormat: 3, VhdType: 3 }], Templates: [], Missing: ['E:\\None'] });
    const p7 = JSON.parse((new ProvisionProjector(new PowerShellJsonSerializer('7')).sources(estate(), script, () => undefined) as { stdout: string }).stdout);
    expect(p7.Vhds[0]).toMatchObject({ VhdFormat: 'VHDX', VhdType: 'Dynamic' });
  });

  it('reports memory and existence facts, names compared case-insensitively', () => {
    const script = ["$names = @('x')", "$switches = @('lan', 'WAN')", "$files = @('d:\\library\\RHEL-9.4-gold.vhdx')", "$folders = @('D:\\Library', 'D:\\Nope')"].join('\n');
    const json = JSON.parse((new ProvisionProjector(new PowerShellJsonSerializer('5.1')).check(estate(), script) as { stdout: string }).stdout);
    expect(json).toMatchObject({
      MemoryCapacity: 64 * 1024 ** 3,
      MemoryAssigned: 0,
      FreePhysicalMemoryKB: 60 * 1024 * 1024,
      Vms: [{ Name: 'x', Exists: false }],
      Switches: [{ Name: 'lan', Exists: true }, { Name: 'WAN', Exists: false }],
      Files: [{ Exists: true }],
      Folders: [{ Exists: true }, { Exists: false }],
    });
  });
});
