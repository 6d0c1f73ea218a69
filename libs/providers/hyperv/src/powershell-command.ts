/**
 * Builds the command line the Hyper-V collector sends over Windows OpenSSH. The exec request runs
 * under cmd.exe by default, or PowerShell when the host's DefaultShell says so; an
 * `-EncodedCommand` line holds only `[A-Za-z0-9+/=]` and flags, so it means the same under both.
 */

/** cmd.exe's longest command line (CreateProcess itself allows 32,767). */
export const CMD_EXE_MAX_COMMAND_LENGTH = 8191;

/** The executable and flags before the encoded script; Windows PowerShell 5.1 is always there. */
export const POWERSHELL_EXECUTABLE_FLAGS = 'powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand';

/**
 * Runs before every script: progress records would reach stderr as CLIXML, 'Stop' turns every
 * error into a catchable terminating one, and the console's OEM code page would garble
 * non-ASCII VM names.
 */
export const POWERSHELL_PROLOGUE = [
  "$ProgressPreference = 'SilentlyContinue'",
  "$ErrorActionPreference = 'Stop'",
  '[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)',
].join('\n');

/**
 * The full script: the prologue, then the body inside a try/catch that writes the error as one
 * plain line on stderr and exits 1 (instead of a CLIXML error record).
 */
export function wrapPowerShellScript(script: string): string {
  return [
    POWERSHELL_PROLOGUE,
    'try {',
    script.trimEnd(),
    '} catch {',
    '  [Console]::Error.WriteLine($_.Exception.Message)',
    '  exit 1',
    '}',
    '',
  ].join('\n');
}

/**
 * The command line that runs `script` (wrapped by {@link wrapPowerShellScript}) through
 * `powershell.exe -EncodedCommand <base64 of UTF-16LE>`.
 *
 * @param script PowerShell source of the body.
 * @param name What the script does, for the error message (e.g. 'list-vms').
 * @throws Error when the line would be longer than cmd.exe accepts: the script must be split,
 *   or sent another way (stdin), rather than be cut off on the host.
 */
export function encodePowerShellCommand(script: string, name = 'PowerShell script'): string {
  const commandLine = `${POWERSHELL_EXECUTABLE_FLAGS} ${encodePowerShellScript(wrapPowerShellScript(script))}`;
  if (commandLine.length > CMD_EXE_MAX_COMMAND_LENGTH) {
    throw new Error(
      `The encoded command for "${name}" is ${commandLine.length} characters long, over cmd.exe's limit of ${CMD_EXE_MAX_COMMAND_LENGTH}; shorten or split the script.`,
    );
  }
  return commandLine;
}

/** Base64 of the script's UTF-16LE bytes, as `-EncodedCommand` expects. */
export function encodePowerShellScript(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The script an `-EncodedCommand` line carries (the fake host and the specs read it back). */
export function decodePowerShellCommand(commandLine: string): string | null {
  const match = /-EncodedCommand\s+([A-Za-z0-9+/=]+)/i.exec(commandLine);
  return match ? Buffer.from(match[1], 'base64').toString('utf16le') : null;
}
