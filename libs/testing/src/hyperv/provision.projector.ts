import { clixmlErrorRecord } from './clixml.stream.js';
import type { ScriptAnswer } from './events.projector.js';
import { isActiveState, type HyperVEstate } from './hyperv-estate.js';
import { VHD_TYPE, writesPlainErrors } from './powershell-script.contract.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';

/** Get-VHD VhdFormat (Microsoft.Vhd.PowerShell.VhdFormat). */
export const VHD_FORMAT = { VHD: 2, VHDX: 3, VHDSet: 4 } as const;

/**
 * What the management OS itself holds of the host's memory in the simulator (Win32_OperatingSystem
 * FreePhysicalMemory = MemoryCapacity − the running VMs' memory − this).
 */
export const HOST_RESERVED_MEMORY_BYTES = 4 * 1024 ** 3;

/**
 * A script's `$<name> = @('a', 'b')` list, unescaped (`''` is one quote). A literal PowerShell
 * could not parse (an unterminated string: a quote that broke out) throws a {@link ParserError}.
 */
export function parseQuotedList(script: string, name: string): string[] {
  const line = script.split(/\r?\n/).find((l) => l.trim().toLowerCase().startsWith(`$${name.toLowerCase()} =`));
  if (line === undefined) throw new Error(`HyperVHostSimulator: the script sets no $${name} = @(…) list.`);
  const body = /^\s*\$\w+\s*=\s*@\((.*)\)\s*$/.exec(line);
  if (!body) throw new ParserError(line);
  const items: string[] = [];
  const rest = body[1].trim();
  const item = /\s*'((?:[^']|'')*)'\s*(,|$)/y;
  let at = 0;
  while (at < rest.length) {
    item.lastIndex = at;
    const m = item.exec(rest);
    if (!m) throw new ParserError(line);
    items.push(m[1].replace(/''/g, "'"));
    at = item.lastIndex;
    if (m[2] === '' && at < rest.length) throw new ParserError(line);
  }
  return items;
}

/** A PowerShell parse error: the script never ran. */
export class ParserError extends Error {
  constructor(readonly line: string) {
    super('The string is missing the terminator: \'.');
  }
}

function folderOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('\\'))).toLowerCase();
}

/** What the provision-sources and provision-check scripts print for an estate. */
export class ProvisionProjector {
  constructor(private readonly serializer: PowerShellJsonSerializer) {}

  /** Answers the sources script: the `*.vhdx` files directly under each `$paths` folder, the `#template` VMs, the missing folders. */
  sources(estate: HyperVEstate, script: string, cmdletError: (cmdlet: string) => { message: string | null } | undefined): ScriptAnswer {
    const s = this.serializer;
    const paths = parseQuotedList(script, 'paths');
    const missing: string[] = [];
    const vhds = [];
    for (const p of paths) {
      if (!estate.folderExists(p)) {
        missing.push(p);
        continue;
      }
      const fault = cmdletError('Get-ChildItem');
      if (fault) return this.plainError(script, fault.message ?? `Access to the path '${p}' is denied.`, 'PermissionDenied', 'DirUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetChildItemCommand', 'Get-ChildItem');
      const key = p.replace(/\\+$/, '').toLowerCase();
      // -Filter *.vhdx -File: direct children only, in name order as NTFS lists them.
      const files = estate
        .vhdFiles()
        .filter((f) => folderOf(f.path) === key && /\.vhdx$/i.test(f.path))
        .sort((a, b) => a.path.toLowerCase().localeCompare(b.path.toLowerCase()));
      for (const f of files) {
        vhds.push({
          Path: f.path,
          VhdFormat: s.enumValue('VHDX', VHD_FORMAT.VHDX),
          VhdType: s.enumValue(f.vhdType, VHD_TYPE[f.vhdType]),
          Size: f.size,
          FileSize: f.fileSize,
          ParentPath: f.parentPath,
        });
      }
    }
    const templates = estate
      .list()
      .filter((vm) => vm.notes.toLowerCase().includes('#template'))
      .map((vm) => ({
        VMId: vm.vmId,
        VMName: vm.name,
        Generation: vm.generation,
        State: vm.state,
        Notes: vm.notes,
        // `@(…)[0].Path` of no drive is $null.
        DiskPath: vm.hardDrives[0]?.path ?? null,
        Kvp: vm.state === 'Running' && vm.kvp ? { ...vm.kvp } : null,
      }));
    return { stdout: s.stringify({ ComputerName: estate.host.ComputerName, Vhds: vhds, Templates: templates, Missing: missing }) };
  }

  /** Answers the check script: memory figures and whether each asked name, switch, file and folder exists. */
  check(estate: HyperVEstate, script: string): ScriptAnswer {
    const names = parseQuotedList(script, 'names');
    const switches = parseQuotedList(script, 'switches');
    const files = parseQuotedList(script, 'files');
    const folders = parseQuotedList(script, 'folders');
    const vms = estate.list();
    const assigned = vms.filter((vm) => isActiveState(vm.state)).reduce((sum, vm) => sum + (vm.dynamicMemoryEnabled ? Math.round(vm.memoryStartup * 0.75) : vm.memoryStartup), 0);
    const capacity = estate.host.MemoryCapacity;
    const free = Math.max(0, capacity - assigned - HOST_RESERVED_MEMORY_BYTES - estate.hostMemoryInUse);
    const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    return {
      stdout: this.serializer.stringify({
        ComputerName: estate.host.ComputerName,
        LogicalProcessorCount: estate.host.LogicalProcessorCount,
        MemoryCapacity: capacity,
        MemoryAssigned: assigned,
        FreePhysicalMemoryKB: Math.floor(free / 1024),
        Vms: names.map((n) => ({ Name: n, Exists: vms.some((vm) => eq(vm.name, n)) })),
        Switches: switches.map((n) => ({ Name: n, Exists: estate.switches.some((sw) => eq(sw.name, n)) })),
        Files: files.map((p) => ({ Path: p, Exists: estate.vhdFile(p) !== null })),
        Folders: folders.map((p) => ({ Path: p, Exists: estate.folderExists(p) })),
      }),
    };
  }

  /** What PowerShell prints for a script it cannot parse: CLIXML on stderr (no PTY), exit 1. */
  parserError(error: ParserError): ScriptAnswer {
    return {
      stderr: clixmlErrorRecord([
        'At line:1 char:1',
        `+ ${error.line.trim().slice(0, 120)}`,
        error.message,
        '    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException',
        '    + FullyQualifiedErrorId : TerminatorExpectedAtEndOfString',
        ' ',
      ]),
      code: 1,
    };
  }

  private plainError(script: string, message: string, category: string, errorId: string, cmdlet: string): ScriptAnswer {
    if (writesPlainErrors(script)) return { stderr: `${message}\r\n`, code: 1 };
    return {
      stderr: clixmlErrorRecord([`${cmdlet} : ${message}`, `    + CategoryInfo          : ${category}: (:) [${cmdlet}], UnauthorizedAccessException`, `    + FullyQualifiedErrorId : ${errorId}`, ' ']),
      code: 1,
    };
  }
}
