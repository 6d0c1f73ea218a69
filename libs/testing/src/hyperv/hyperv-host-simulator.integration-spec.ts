import { createHash } from 'node:crypto';
import { NodeSSH } from 'node-ssh';
import ssh2, { type ClientChannel } from 'ssh2';
import { HyperVHostSimulator } from './hyperv-host-simulator.js';
import type { HyperVInventoryJson, InventoryVmJson, PsList } from './hyperv-host-simulator.types.js';
import { vmCreateScript } from './__fixtures__/vm-create-script.js';

// These tests drive the simulator with the real node-ssh client, so auth, host key pinning, exec
// and the faults are proven at the SSH protocol level, not against our own assumptions.

const INVENTORY_SCRIPT = [
  '# hybridforms:inventory',
  "$ProgressPreference='SilentlyContinue'; $ErrorActionPreference='Stop'; [Console]::OutputEncoding=[Text.UTF8Encoding]::new($false)",
  'try {',
  '  $h = Hyper-V\\Get-VMHost',
  '  $switches = Hyper-V\\Get-VMSwitch | ForEach-Object { [pscustomobject]@{ Name = $_.Name; SwitchType = $_.SwitchType } }',
  '  $vms = Hyper-V\\Get-VM | ForEach-Object {',
  '    $nics = Hyper-V\\Get-VMNetworkAdapter -VM $_ | ForEach-Object { [pscustomobject]@{ MacAddress = $_.MacAddress } }',
  '    $disks = Hyper-V\\Get-VMHardDiskDrive -VM $_ | ForEach-Object { Hyper-V\\Get-VHD -Path $_.Path }',
  '    $ics = Hyper-V\\Get-VMIntegrationService -VM $_',
  '    [pscustomobject]@{ VMId = "$($_.VMId)"; NetworkAdapters = $nics; HardDrives = $disks; IntegrationServices = $ics }',
  '  }',
  '  [pscustomobject]@{ host = $h; switches = $switches; vms = $vms } | ConvertTo-Json -Depth 6 -Compress',
  '} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }',
].join('\r\n');

function encoded(script: string): string {
  return `powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${Buffer.from(script, 'utf16le').toString('base64')}`;
}

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function asArray<T>(list: PsList<T>): T[] {
  if (list === null) return [];
  return Array.isArray(list) ? list : [list];
}

const opened: NodeSSH[] = [];

async function connect(sim: HyperVHostSimulator, auth: { password: string } | { privateKey: string }, seenKeys: Buffer[] = []): Promise<NodeSSH> {
  const ssh = new NodeSSH();
  opened.push(ssh);
  await ssh.connect({
    host: sim.host,
    port: sim.port,
    username: sim.username,
    readyTimeout: 5000,
    ...auth,
    hostVerifier: (key: Buffer) => {
      seenKeys.push(key);
      return fingerprint(key) === sim.hostKeyFingerprint;
    },
  });
  return ssh;
}

async function inventory(ssh: NodeSSH): Promise<{ raw: string; doc: HyperVInventoryJson; code: number | null }> {
  const result = await ssh.execCommand(encoded(INVENTORY_SCRIPT), { noTrim: true });
  return { raw: result.stdout, doc: JSON.parse(result.stdout) as HyperVInventoryJson, code: result.code };
}

afterEach(() => {
  for (const ssh of opened.splice(0)) ssh.dispose();
});

describe('HyperVHostSimulator (PowerShell 5.1)', () => {
  let sim: HyperVHostSimulator;

  beforeAll(async () => {
    sim = await HyperVHostSimulator.start({ vmCount: 14, seed: 7 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('accepts password auth and pins the host key by its OpenSSH SHA256 fingerprint', async () => {
    const seen: Buffer[] = [];
    const ssh = await connect(sim, { password: sim.password }, seen);
    expect(ssh.isConnected()).toBe(true);
    expect(seen).toHaveLength(1);
    expect(fingerprint(seen[0])).toBe(sim.hostKeyFingerprint);
    expect(sim.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('accepts the generated client key and refuses a wrong password', async () => {
    const ssh = await connect(sim, { privateKey: sim.clientPrivateKey });
    expect(ssh.isConnected()).toBe(true);
    await expect(connect(sim, { password: `${sim.password}x` })).rejects.toThrow(/authentication/i);
  });

  it('refuses a connection whose host key does not match the pinned fingerprint', async () => {
    const ssh = new NodeSSH();
    opened.push(ssh);
    await expect(
      ssh.connect({ host: sim.host, port: sim.port, username: sim.username, password: sim.password, hostVerifier: () => false }),
    ).rejects.toThrow();
  });

  it('answers the inventory script with 5.1-shaped JSON of the generated estate', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const { raw, doc, code } = await inventory(ssh);
    expect(code).toBe(0);
    expect(raw.endsWith('}\r\n')).toBe(true);
    // JavaScriptSerializer's escapes survive in the raw text.
    expect(raw).toMatch(/"CreationTime":"\\\/Date\(\d+\)\\\/"/);
    expect(raw).toContain('Ops team\\u0027s \\u003clegacy\\u003e box \\u0026 friends');

    const vms = asArray(doc.vms);
    expect(vms.map((vm) => vm.VMId).sort()).toEqual(sim.vmIds().sort());
    expect(doc.host).toMatchObject({ ComputerName: 'HV01', OsVersion: '10.0.20348' });
    expect(asArray(doc.switches)).toEqual([
      { Name: 'vSwitch-LAN', SwitchType: 2 },
      { Name: 'vSwitch-NAT', SwitchType: 1 },
    ]);
    for (const vm of vms) {
      expect(typeof vm.State).toBe('number');
      expect(vm.CreationTime).toMatch(/^\/Date\(\d+\)\/$/);
      for (const nic of asArray(vm.NetworkAdapters)) expect(nic.MacAddress).toMatch(/^00155D[0-9A-F]{6}$/);
    }
    const states = new Set(vms.map((vm) => vm.State));
    expect([...states]).toEqual(expect.arrayContaining([2, 3, 6, 9]));

    const rhel9 = vms.find((vm) => vm.State === 2 && vm.Kvp?.OSVersion === '5.14.0') as InventoryVmJson;
    expect(rhel9.Kvp).toMatchObject({ OSName: 'Red Hat Enterprise Linux', IntegrationServicesVersion: '3.1' });
    expect(rhel9.Uptime.TotalSeconds).toBeGreaterThan(0);
    expect(Object.keys(rhel9.Uptime)).toEqual([
      'Ticks',
      'Days',
      'Hours',
      'Milliseconds',
      'Minutes',
      'Seconds',
      'TotalDays',
      'TotalHours',
      'TotalMilliseconds',
      'TotalMinutes',
      'TotalSeconds',
    ]);
    expect(asArray(rhel9.NetworkAdapters)[0].IPAddresses[0]).toMatch(/^10\.20\./);
    expect(vms.some((vm) => vm.Kvp?.OSName === 'Red Hat Enterprise Linux Server')).toBe(true);

    const off = vms.find((vm) => vm.State === 3) as InventoryVmJson;
    expect(off).toMatchObject({ MemoryAssigned: 0, Kvp: null });
    expect(off.Uptime.Ticks).toBe(0);
    expect(sim.requests.at(-1)).toMatchObject({ marker: 'inventory', powershell: true });
  });

  it('reflects estate mutations in the next inventory', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const id = sim.addVm({ name: 'rhel9-added', kvp: null, state: 'Running' });
    const [first] = sim.vmIds();
    sim.setState(first, 'Off');
    let vms = asArray((await inventory(ssh)).doc.vms);
    expect(vms.find((vm) => vm.VMId === id)).toMatchObject({ VMName: 'rhel9-added', State: 2, Kvp: null });
    expect(vms.find((vm) => vm.VMId === first)).toMatchObject({ State: 3, MemoryAssigned: 0 });
    sim.removeVm(id);
    vms = asArray((await inventory(ssh)).doc.vms);
    expect(vms.some((vm) => vm.VMId === id)).toBe(false);
  });

  it('fails a command that is not the contract PowerShell invocation, like cmd.exe would', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const result = await ssh.execCommand('Get-VM');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("'Get-VM' is not recognized as an internal or external command");
    expect(sim.requests.at(-1)).toMatchObject({ marker: null, powershell: false });
  });

  it('fails a PowerShell script without a known marker, and emits progress CLIXML when progress is not silenced', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const result = await ssh.execCommand(encoded('Hyper-V\\Get-VM | ConvertTo-Json'));
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith('#< CLIXML')).toBe(true);
    expect(result.stderr).toContain('Preparing modules for first use.');
  });

  it("refuses the login under an 'auth' fault, then accepts again", async () => {
    sim.injectFault({ kind: 'auth' });
    await expect(connect(sim, { password: sim.password })).rejects.toThrow(/authentication/i);
    const ssh = await connect(sim, { password: sim.password });
    expect(ssh.isConnected()).toBe(true);
  });

  it("answers a CLIXML error record and exit code 1 under an 'error-record' fault", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'error-record' });
    const result = await ssh.execCommand(encoded(INVENTORY_SCRIPT));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith('#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">')).toBe(true);
    expect(result.stderr).toContain('<S S="Error">Hyper-V\\Get-VM : You do not have the required permission');
    expect(result.stderr).toContain('_x000D__x000A_</S>');
    expect(sim.requests.at(-1)).toMatchObject({ marker: 'inventory', fault: 'error-record' });
  });

  it("cuts the JSON short with exit code 0 under a 'truncated-json' fault", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'truncated-json' });
    const result = await ssh.execCommand(encoded(INVENTORY_SCRIPT));
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    expect(() => JSON.parse(result.stdout)).toThrow();
  });

  it("drops the connection mid-output under a 'disconnect' fault", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'disconnect' });
    const full = sim.inventoryText();
    // node-ssh resolves when the channel closes; with no exit status the code is null.
    const result = await ssh.execCommand(encoded(INVENTORY_SCRIPT));
    expect(result.code).toBeNull();
    expect(result.stdout.length).toBeGreaterThan(0);
    expect(() => JSON.parse(result.stdout)).toThrow();
    expect(result.stdout.length).toBeLessThan(full.trim().length);
  });

  it("never answers under a 'hang' fault, so the client's own timeout fires", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'hang' });
    let channel: ClientChannel | undefined;
    const exec = ssh.execCommand(encoded(INVENTORY_SCRIPT), { onChannel: (c) => (channel = c) });
    const timedOut = Symbol('timeout');
    const winner = await Promise.race([exec, new Promise((resolve) => setTimeout(() => resolve(timedOut), 500))]);
    expect(winner).toBe(timedOut);
    channel?.close();
    await exec.catch(() => undefined);
    // The fault was used up: the next command answers normally.
    expect((await inventory(ssh)).code).toBe(0);
  });
});

/** A create script of the contract's shape for one step of VM `name` (a differencing disk of the RHEL 9.4 gold image in D:\\VMs). */
function createScript(step: 'vhd' | 'vm', name: string, lock?: { name: string; waitMs: number }): string {
  const body =
    step === 'vhd'
      ? [
          '  if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { if ($copy) { Copy-Item -LiteralPath $parent -Destination $path } else { Hyper-V\\New-VHD -Path $path -ParentPath $parent -Differencing | Out-Null } }',
          '  $v = Hyper-V\\Get-VHD -Path $path; $d = Hyper-V\\Get-VMHardDiskDrive -VM $vm',
        ]
      : ['  $vm = Hyper-V\\New-VM -Name $name -VHDPath $path', '  try { $vm | Hyper-V\\Set-VM -Notes $notes } catch { $vm | Hyper-V\\Remove-VM -Force; throw }'];
  return vmCreateScript(
    step,
    body,
    { name: `'${name}'`, file: `'${name}.vhdx'`, parent: "'D:\\Library\\Templates\\rhel-9.4-gold.vhdx'", switch: "'vSwitch-LAN'" },
    '\r\n',
    lock,
  );
}

describe("HyperVHostSimulator ('answer-lost' and faults aimed at one create step)", () => {
  let sim: HyperVHostSimulator;

  beforeAll(async () => {
    sim = await HyperVHostSimulator.start({ vmCount: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });
  afterEach(() => sim.clearFaults());

  /** Runs a command whose answer is expected never to come: settles 'no answer' after 500 ms and closes the channel. */
  const unanswered = async (ssh: NodeSSH, script: string): Promise<unknown> => {
    let channel: ClientChannel | undefined;
    const exec = ssh.execCommand(encoded(script), { onChannel: (c) => (channel = c) });
    const winner = await Promise.race([exec, new Promise((resolve) => setTimeout(() => resolve('no answer'), 500))]);
    channel?.close();
    await exec.catch(() => undefined);
    return winner;
  };

  it("runs a create step under 'answer-lost' (the VHD is made) but never answers; asked again, the host finds the VHD it made", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'answer-lost', marker: 'vm-create', step: 'vhd' });
    expect(await unanswered(ssh, createScript('vhd', 'lost01'))).toBe('no answer');
    expect(sim.requests.at(-1)).toMatchObject({ marker: 'vm-create', step: 'vhd', fault: 'answer-lost', label: 'New-VHD D:\\VMs\\lost01.vhdx' });
    expect(sim.vhdFile('D:\\VMs\\lost01.vhdx')).toMatchObject({ vhdType: 'Differencing', parentPath: 'D:\\Library\\Templates\\rhel-9.4-gold.vhdx' });

    const again = await ssh.execCommand(encoded(createScript('vhd', 'lost01')));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ Step: 'vhd', Acted: false, Vhd: { Existed: true } });
    expect(sim.vhdFiles().filter((file) => file.path.toLowerCase().includes('lost01'))).toHaveLength(1);
  });

  it("leaves the estate as it was under 'hang' (the step is never run), unlike 'answer-lost'", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'hang', marker: 'vm-create', step: 'vhd' });
    expect(await unanswered(ssh, createScript('vhd', 'hung01'))).toBe('no answer');
    expect(sim.requests.at(-1)).toMatchObject({ step: 'vhd', fault: 'hang' });
    expect(sim.vhdFile('D:\\VMs\\hung01.vhdx')).toBeNull();
  });

  it("makes the VM of a 'vm' step under 'answer-lost': it is on the host, tagged, though the client heard nothing", async () => {
    const ssh = await connect(sim, { password: sim.password });
    expect((await ssh.execCommand(encoded(createScript('vhd', 'lost02')))).code).toBe(0);
    sim.injectFault({ kind: 'answer-lost', marker: 'vm-create', step: 'vm' });
    expect(await unanswered(ssh, createScript('vm', 'lost02'))).toBe('no answer');
    const made = (JSON.parse(sim.inventoryText()) as HyperVInventoryJson).vms;
    expect(asArray(made).filter((vm) => vm.VMName === 'lost02')).toEqual([expect.objectContaining({ Notes: 'hybridforms-request=r1; hybridforms-task=t1' })]);
  });

  it("keeps a step's fault for that step: the other steps' scripts and other markers pass it by", async () => {
    const ssh = await connect(sim, { password: sim.password });
    sim.injectFault({ kind: 'answer-lost', marker: 'vm-create', step: 'vm' });
    const vhd = await ssh.execCommand(encoded(createScript('vhd', 'aimed01')));
    expect(vhd.code).toBe(0);
    expect(sim.requests.at(-1)).toEqual(expect.not.objectContaining({ fault: expect.anything() }));
    expect(sim.requests.at(-1)).toMatchObject({ step: 'vhd' });
    expect((await inventory(ssh)).code).toBe(0);
    expect(sim.requests.at(-1)?.step).toBeUndefined();
    expect(await unanswered(ssh, createScript('vm', 'aimed01'))).toBe('no answer');
    expect(sim.requests.at(-1)).toMatchObject({ step: 'vm', fault: 'answer-lost' });
  });
});

describe("HyperVHostSimulator ('slow' create scripts and the VM name's mutex)", () => {
  let sim: HyperVHostSimulator;

  beforeAll(async () => {
    sim = await HyperVHostSimulator.start({ vmCount: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });
  afterEach(() => sim.clearFaults());

  const named = (name: string) => asArray((JSON.parse(sim.inventoryText()) as HyperVInventoryJson).vms).filter((vm) => vm.VMName === name);
  /** Sends a script and walks away after `ms`, as a killed client does; its script runs on. */
  const abandon = async (ssh: NodeSSH, script: string, ms: number): Promise<void> => {
    let channel: ClientChannel | undefined;
    const exec = ssh.execCommand(encoded(script), { onChannel: (c) => (channel = c) });
    exec.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, ms));
    channel?.close();
  };
  /** The error record, the last line of stderr (after the CLIXML progress). */
  const record = (stderr: string) => JSON.parse(/\{"Cmdlet".*\}/.exec(stderr)![0]) as unknown;
  const settled = (what: () => boolean) => new Promise<void>((resolve) => {
    const tick = setInterval(() => what() && (clearInterval(tick), resolve()), 20);
  });

  it("races two unlocked 'vm' scripts of one name: the one asked again looks while the slow one's New-VM is under way, and both make a VM", async () => {
    const ssh = await connect(sim, { password: sim.password });
    expect((await ssh.execCommand(encoded(createScript('vhd', 'race01')))).code).toBe(0);
    sim.injectFault({ kind: 'slow', marker: 'vm-create', step: 'vm', delayMs: 800 });
    const from = sim.requests.length;
    await abandon(ssh, createScript('vm', 'race01'), 100);
    expect(named('race01')).toEqual([]);
    expect((await ssh.execCommand(encoded(createScript('vm', 'race01')))).code).toBe(0);
    await settled(() => named('race01').length === 2);
    expect(sim.requests.slice(from).filter((r) => r.step === 'vm' && r.label?.startsWith('New-VM '))).toHaveLength(2);
  });

  it('lets one locked script of a name in at a time: the one asked again waits for the slow one, then finds its VM and makes none', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const lock = { name: 'Global\\hybridforms-vm-lock01', waitMs: 5000 };
    expect((await ssh.execCommand(encoded(createScript('vhd', 'lock01', lock)))).code).toBe(0);
    sim.injectFault({ kind: 'slow', marker: 'vm-create', step: 'vm', delayMs: 800 });
    const from = sim.requests.length;
    await abandon(ssh, createScript('vm', 'lock01', lock), 100);
    const again = await ssh.execCommand(encoded(createScript('vm', 'lock01', lock)));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ Step: 'vm', Acted: false, Others: 0, VM: { VMName: 'lock01', Notes: expect.stringContaining('hybridforms-task=t1') } });
    expect(named('lock01')).toHaveLength(1);
    expect(sim.requests.slice(from).map((r) => [r.fault ?? null, r.lock, r.label?.split(' ')[0]])).toEqual([
      ['slow', 'taken', 'New-VM'],
      [null, 'waited', 'no-op'],
    ]);
  });

  it("fails a locked script not let in within its wait with the LockTimeout record, and lets the next one in once the holder ended", async () => {
    const ssh = await connect(sim, { password: sim.password });
    const lock = { name: 'Global\\hybridforms-vm-lock02', waitMs: 200 };
    expect((await ssh.execCommand(encoded(createScript('vhd', 'lock02', lock)))).code).toBe(0);
    sim.injectFault({ kind: 'slow', marker: 'vm-create', step: 'vm', delayMs: 1000 });
    const slow = ssh.execCommand(encoded(createScript('vm', 'lock02', lock)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await ssh.execCommand(encoded(createScript('vm', 'lock02', lock)));
    expect(refused.code).toBe(1);
    expect(record(refused.stderr)).toEqual({ Cmdlet: 'Mutex.WaitOne', State: null, ErrorId: 'LockTimeout', Category: 'OperationTimeout', Message: "another create step of VM 'lock02' still runs on this host after 0 s" });
    expect(sim.requests.at(-1)).toMatchObject({ step: 'vm', lock: 'timed-out' });
    expect((await slow).code).toBe(0);
    const next = await ssh.execCommand(encoded(createScript('vm', 'lock02', lock)));
    expect(JSON.parse(next.stdout)).toMatchObject({ Acted: false, VM: { VMName: 'lock02' } });
    expect(named('lock02')).toHaveLength(1);
  });

  it('refuses a script that looks at the host before it holds its mutex', async () => {
    const ssh = await connect(sim, { password: sim.password });
    const script = createScript('vm', 'lock03', { name: 'Global\\hybridforms-vm-lock03', waitMs: 1000 }).replace(/(  try \{ \$held = [^\r]*\r\n)(  \$same = [^\r]*\r\n)/, '$2$1');
    const result = await ssh.execCommand(encoded(script));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/looks at the host before it holds its mutex/);
  });
});

describe('HyperVHostSimulator (PowerShell 7)', () => {
  let sim: HyperVHostSimulator;

  beforeAll(async () => {
    sim = await HyperVHostSimulator.start({ vmCount: 10, seed: 3, powershell: '7', username: 'ops', hostName: 'HV07' });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('answers with enum names and ISO 8601 dates', async () => {
    const ssh = await connect(sim, { privateKey: sim.clientPrivateKey });
    const { raw, doc } = await inventory(ssh);
    expect(raw).not.toContain('\\/Date(');
    expect(raw).toContain("Ops team's <legacy> box & friends");
    expect(doc.host.ComputerName).toBe('HV07');
    const vms = asArray(doc.vms);
    expect(vms).toHaveLength(10);
    for (const vm of vms) {
      expect(['Running', 'Off', 'Saved', 'Paused']).toContain(vm.State);
      expect(vm.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}\+00:00$/);
      for (const disk of asArray(vm.HardDrives)) expect(['Fixed', 'Dynamic', 'Differencing']).toContain(disk.VhdType);
    }
    expect(asArray(doc.switches).map((s) => s.SwitchType)).toEqual(['External', 'Internal']);
  });
});

describe('HyperVHostSimulator (one of everything)', () => {
  it('unwraps one-element lists into bare objects the way ConvertTo-Json does, and stop() ends hanging commands', async () => {
    const sim = await HyperVHostSimulator.start({ vmCount: 1 });
    try {
      const ssh = await connect(sim, { password: sim.password });
      const { doc } = await inventory(ssh);
      expect(Array.isArray(doc.vms)).toBe(false);
      const vm = doc.vms as InventoryVmJson;
      expect(Array.isArray(vm.NetworkAdapters)).toBe(false);
      expect(Array.isArray(vm.IntegrationServices)).toBe(true);
      expect(Array.isArray(asArray(vm.NetworkAdapters)[0].IPAddresses)).toBe(true);

      sim.injectFault({ kind: 'hang' });
      const pending = ssh.execCommand(encoded(INVENTORY_SCRIPT)).then(
        () => 'settled',
        () => 'settled',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await sim.stop();
      await expect(pending).resolves.toBe('settled');
    } finally {
      await sim.stop();
    }
  });
});

describe('HyperVHostSimulator (authorizedKeys)', () => {
  it('accepts only the given public keys', async () => {
    const allowed = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    const sim = await HyperVHostSimulator.start({ vmCount: 0, authorizedKeys: [allowed.public] });
    try {
      const ssh = await connect(sim, { privateKey: allowed.private });
      expect(ssh.isConnected()).toBe(true);
      expect((await inventory(ssh)).doc.vms).toBeNull();
      await expect(connect(sim, { privateKey: sim.clientPrivateKey })).rejects.toThrow(/authentication/i);
    } finally {
      await sim.stop();
    }
  });
});
