/**
 * A create script of the vm-create contract's shape (the `$<name> = …` lines, then the step's
 * body inside the contract's try/catch), for the simulator's own specs. `over` replaces values
 * (PowerShell literals, quoted as they would be); `eol` is the line end ('\r\n' as an encoded
 * command carries it); `lock` makes it hold that mutex while it looks and acts, as the contract says.
 */
export function vmCreateScript(step: string, body: string[], over: Record<string, string> = {}, eol = '\n', lock?: { name: string; waitMs: number }): string {
  const values: Record<string, string> = {
    step: `'${step}'`,
    name: "'web01'",
    tag: "'hybridforms-task=t1'",
    notes: "'hybridforms-request=r1; hybridforms-task=t1'",
    folder: "'D:\\VMs'",
    file: "'web01.vhdx'",
    parent: "'D:\\Library\\rhel-9.4-gold.vhdx'",
    copy: '$false',
    gen: '2',
    mem: String(2 * 1024 ** 3),
    cpu: '2',
    switch: "'LAN'",
    ...over,
  };
  return [
    '# hybridforms:vm-create',
    ...Object.entries(values).map(([k, v]) => `$${k} = ${v}`),
    ...(lock ? [`$lockName = '${lock.name}'`, `$lockWaitMs = ${lock.waitMs}`, '$held = $false', '$lock = New-Object System.Threading.Mutex($false, $lockName)'] : []),
    'try {',
    ...(lock ? ['  try { $held = $lock.WaitOne($lockWaitMs) } catch [System.Threading.AbandonedMutexException] { $held = $true }'] : []),
    '  $same = @(Hyper-V\\Get-VM | Where-Object { $_.Name -eq $name })',
    ...body,
    '  ConvertTo-Json -Compress -InputObject $doc',
    '} catch {',
    '  [Console]::Error.WriteLine((ConvertTo-Json -Compress -InputObject ([pscustomobject]@{ Cmdlet = $c; State = $s; ErrorId = [string]$_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message })))',
    '  exit 1',
    ...(lock ? ['} finally {', '  if ($held) { $lock.ReleaseMutex() }', '  $lock.Dispose()'] : []),
    '}',
  ].join(eol);
}
