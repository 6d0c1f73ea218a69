import { PROVISION_CHECK_REQUIRED_CMDLETS, PROVISION_SOURCES_REQUIRED_CMDLETS, findScriptMarker, missingCmdlets, parseQuotedList } from '@hybridforms/testing';
import { resolveHyperVConfig, validateHyperVConfig } from './hyperv-provider.config.js';
import { buildProvisionCheckScript, buildProvisionSourcesScript, psQuote } from './hyperv-provision.script.js';
import { encodePowerShellCommand } from './powershell-command.js';

describe('provision scripts', () => {
  it('quote a single quote by doubling it, so a value never leaves its literal', () => {
    expect(psQuote("it's")).toBe("'it''s'");
    const evil = "x'; Remove-Item -Recurse C:\\ ; '";
    const script = buildProvisionCheckScript({ vmNames: [evil, "o'brien"], switchNames: ["LAN 'A'"], files: [], folders: ["D:\\Bob's\\VHD"] });
    expect(script).toContain("$names = @('x''; Remove-Item -Recurse C:\\ ; ''', 'o''brien')");
    // Read back with the simulator's strict reader of the same grammar: the values round-trip whole.
    expect(parseQuotedList(script, 'names')).toEqual([evil, "o'brien"]);
    expect(parseQuotedList(script, 'switches')).toEqual(["LAN 'A'"]);
    expect(parseQuotedList(script, 'files')).toEqual([]);
    expect(parseQuotedList(script, 'folders')).toEqual(["D:\\Bob's\\VHD"]);
  });

  it('compare names with -eq, never pass them to -Name (wildcards)', () => {
    const script = buildProvisionCheckScript({ vmNames: ['web*'], switchNames: ['*'], files: [], folders: [] });
    expect(script).not.toMatch(/-Name\s/);
    expect(script).toContain('$_.Name -eq $n');
    expect(script).toMatch(/Test-Path -LiteralPath \$p -PathType Leaf/);
  });

  it('carry their markers and every cmdlet the host contract asks for, and fit in one cmd.exe line', () => {
    const sources = buildProvisionSourcesScript(['D:\\Library\\Templates', "E:\\Team's templates"]);
    const check = buildProvisionCheckScript({ vmNames: ['a'], switchNames: ['b'], files: ['D:\\x.vhdx'], folders: ['D:\\VMs'] });
    expect(findScriptMarker(sources)).toBe('provision-sources');
    expect(findScriptMarker(check)).toBe('provision-check');
    expect(missingCmdlets(sources, PROVISION_SOURCES_REQUIRED_CMDLETS)).toEqual([]);
    expect(missingCmdlets(check, PROVISION_CHECK_REQUIRED_CMDLETS)).toEqual([]);
    expect(parseQuotedList(sources, 'paths')).toEqual(['D:\\Library\\Templates', "E:\\Team's templates"]);
    expect(sources).toContain('Get-ChildItem -LiteralPath $p -Filter *.vhdx -File');
    expect(() => encodePowerShellCommand(sources)).not.toThrow();
    expect(() => encodePowerShellCommand(check)).not.toThrow();
  });

  it('lists an empty library as @() (an array, not $null)', () => {
    expect(buildProvisionSourcesScript([])).toContain('$paths = @()');
  });
});

describe('libraryPaths (per host)', () => {
  const credentials = { password: 'x' };
  const config = (libraryPaths: unknown) => ({ username: 'svc', hosts: [{ host: 'hv01', skipHostKeyCheck: true, libraryPaths }] });

  it('accepts absolute drive and UNC folders, up to 16, and resolves to [] when absent', () => {
    expect(validateHyperVConfig(config(['D:\\Library\\Templates', '\\\\filer\\library\\rhel', "E:\\Bob's"]), credentials)).toEqual([]);
    expect(validateHyperVConfig(config(Array.from({ length: 16 }, (_, i) => `D:\\L${i}`)), credentials)).toEqual([]);
    expect(resolveHyperVConfig({ username: 'svc', hosts: [{ host: 'hv01' }] }).hosts[0].libraryPaths).toEqual([]);
  });

  it('refuses relative, odd and too many paths, each naming its index', () => {
    expect(validateHyperVConfig(config(['Library', 'D:\\a\\..\\b', 'D:\\a|b', 'D:\\a:b', 42]), credentials)).toEqual([
      'config.hosts[0].libraryPaths[0]: must be an absolute Windows path such as D:\\Library\\Templates or \\\\server\\share\\folder',
      'config.hosts[0].libraryPaths[1]: must not have . or .. segments',
      'config.hosts[0].libraryPaths[2]: holds characters a Windows path cannot have',
      'config.hosts[0].libraryPaths[3]: holds characters a Windows path cannot have',
      'config.hosts[0].libraryPaths[4]: must be a folder path of 1 to 248 characters',
    ]);
    expect(validateHyperVConfig(config(Array.from({ length: 17 }, (_, i) => `D:\\L${i}`)), credentials)).toEqual(['config.hosts[0].libraryPaths: must list up to 16 folders']);
    expect(validateHyperVConfig(config('D:\\Library'), credentials)).toEqual(['config.hosts[0].libraryPaths: must list up to 16 folders']);
  });
});

describe('fittingGroups', () => {
  it('keeps everything in one script when it fits, and splits what would pass cmd.exe\'s line limit', async () => {
    const { fittingGroups } = await import('./hyperv-provision.client.js');
    expect(fittingGroups(['D:\\Library\\Templates'], buildProvisionSourcesScript)).toEqual([['D:\\Library\\Templates']]);
    expect(fittingGroups([], buildProvisionSourcesScript)).toEqual([[]]);
    const long = Array.from({ length: 16 }, (_, i) => `D:\\${'L'.repeat(200)}${i}`);
    const groups = fittingGroups(long, buildProvisionSourcesScript);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.flat()).toEqual(long);
    for (const g of groups) expect(() => encodePowerShellCommand(buildProvisionSourcesScript(g))).not.toThrow();
  });
});
