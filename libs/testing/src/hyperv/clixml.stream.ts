/**
 * What PowerShell writes on stderr when no console is attached (Windows OpenSSH exec without a
 * PTY): the error and progress streams serialised as CLIXML after a `#< CLIXML` line.
 */

const CLIXML_HEADER = '#< CLIXML\r\n';
const OBJS_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">';

function xmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '_x000D_')
    .replace(/\n/g, '_x000A_');
}

/**
 * An error record as 5.1 prints it for an unhandled terminating error: one `<S S="Error">` element
 * per console line, each line ending in an encoded CRLF.
 */
export function clixmlErrorRecord(lines: readonly string[]): string {
  const body = lines.map((line) => `<S S="Error">${xmlText(`${line}\r\n`)}</S>`).join('');
  return `${CLIXML_HEADER}${OBJS_OPEN}${body}</Objs>`;
}

/** The "Preparing modules for first use." progress record a script gets unless it silences progress. */
export function clixmlModuleProgress(): string {
  const record =
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>' +
    '<MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil />' +
    '<PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>';
  return `${CLIXML_HEADER}${OBJS_OPEN}${record}</Objs>`;
}

/** The error record the 'error-record' fault answers with: Get-VM run without Hyper-V rights. */
export function accessDeniedErrorRecord(hostName: string): string {
  return clixmlErrorRecord([
    `Hyper-V\\Get-VM : You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '${hostName}'.`,
    'At line:4 char:9',
    '+ $vms = Hyper-V\\Get-VM',
    '+        ~~~~~~~~~~~~~~~',
    '    + CategoryInfo          : NotSpecified: (:) [Get-VM], VirtualizationException',
    '    + FullyQualifiedErrorId : Unspecified,Microsoft.HyperV.PowerShell.Commands.GetVM',
    ' ',
  ]);
}
