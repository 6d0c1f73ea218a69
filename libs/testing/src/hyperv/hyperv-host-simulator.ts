import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, AuthenticationType, Connection, ParsedKey, Server, ServerChannel } from 'ssh2';
import { accessDeniedErrorRecord, clixmlModuleProgress } from './clixml.stream.js';
import { isActiveState, HyperVEstate, type HyperVVhdFile } from './hyperv-estate.js';
import { HyperVEventJournal } from './hyperv-event-log.js';
import { HYPERV_COUNTERS, MetricsProjector, type HyperVCounterName } from './hyperv-counters.js';
import { EventsProjector, parseEventsRequest, type ScriptAnswer } from './events.projector.js';
import { HyperVEstateGenerator } from './hyperv-estate.generator.js';
import { HyperVFaultInjector, type TakenFault } from './hyperv-fault.injector.js';
import { HostMutexes } from './host-mutexes.js';
import type {
  CounterSampleJson,
  HyperVEventLogState,
  HyperVEventRecord,
  HyperVEventSpec,
  HyperVFaultKind,
  HyperVFaultSpec,
  HyperVResetCause,
  HyperVStopCause,
  HyperVHostSimulatorOptions,
  HyperVSimRequest,
  HyperVVhdFileSpec,
  HyperVVmSpec,
  HyperVVmState,
  PowerShellEdition,
} from './hyperv-host-simulator.types.js';
import { InventoryProjector } from './inventory.projector.js';
import {
  EVENTS_REQUIRED_CMDLETS,
  INVENTORY_REQUIRED_CMDLETS,
  METRICS_REQUIRED_CMDLETS,
  VHD_FACTS_REQUIRED_CMDLETS,
  VHD_REMOVE_REQUIRED_CMDLETS,
  VM_ACTION_REQUIRED_CMDLETS,
  PROVISION_CHECK_REQUIRED_CMDLETS,
  PROVISION_SOURCES_REQUIRED_CMDLETS,
  VM_CREATE_REQUIRED_CMDLETS,
  decodePowerShellCommand,
  findScriptMarker,
  missingCmdlets,
  silencesProgress,
  type HyperVEventLogName,
} from './powershell-script.contract.js';
import { PowerShellJsonSerializer } from './powershell-json.serializer.js';
import { HOST_RESERVED_MEMORY_BYTES, ParserError, ProvisionProjector } from './provision.projector.js';
import { parseVhdScriptPath, parseVmActionScript, VmActionProjector, type ActionOutcome, type VmActionHost } from './vm-action.projector.js';
import { guestKvpOf, parseVmCreateScript, vmCreateStepOf, VmCreateProjector, type VmCreateHost, type VmCreateScript } from './vm-create.projector.js';

/** The cmdlets each marker's script must call. */
const REQUIRED_CMDLETS: Readonly<Record<string, readonly string[]>> = {
  inventory: INVENTORY_REQUIRED_CMDLETS,
  events: EVENTS_REQUIRED_CMDLETS,
  metrics: METRICS_REQUIRED_CMDLETS,
  'vm-action': VM_ACTION_REQUIRED_CMDLETS,
  'vhd-facts': VHD_FACTS_REQUIRED_CMDLETS,
  'vhd-remove': VHD_REMOVE_REQUIRED_CMDLETS,
  'provision-sources': PROVISION_SOURCES_REQUIRED_CMDLETS,
  'provision-check': PROVISION_CHECK_REQUIRED_CMDLETS,
  'vm-create': VM_CREATE_REQUIRED_CMDLETS,
};

/** Every counter path the simulator serves, all instances. */
const HYPERV_COUNTER_PATHS = Object.fromEntries(
  Object.entries(HYPERV_COUNTERS).map(([name, c]) => [name, { set: c.set.toLowerCase(), instance: '*', counter: c.counter.toLowerCase() }]),
);

const DEFAULT_USERNAME = 'hybridforms';
const DEFAULT_PASSWORD = 'Hv-sim.7Qm2xL9pWk4TzR';
const AUTH_METHODS: AuthenticationType[] = ['password', 'publickey'];

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function parseKeyOrThrow(text: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

/** The simulated host's template library folder (what a provider config lists in `libraryPaths`). */
export const SIM_LIBRARY_PATH = 'D:\\Library\\Templates';
/** The VMId of the `#template` VM of {@link HyperVHostSimulatorOptions.templateVm}. */
export const SIM_TEMPLATE_VM_ID = '7a3c9e41-2b6d-4f80-9c1e-5d8a0b3f6e27';

/**
 * A library of template disks: two RHEL gold images and an Ubuntu one as VHDX directly under
 * {@link SIM_LIBRARY_PATH}, an old .vhd beside them (not a `*.vhdx`) and one in a subfolder (not
 * listed: Get-ChildItem without -Recurse). With `templateVm`, an Off VM whose Notes hold `#template`.
 */
function seedTemplateLibrary(estate: HyperVEstate, templateVm: boolean): void {
  const lib = SIM_LIBRARY_PATH;
  estate.addFolder(lib);
  estate.addFolder('D:\\VMs');
  const disk = (name: string, gib: number, usedGib: number) => ({ path: `${lib}\\${name}`, vhdType: 'Dynamic' as const, size: gib * 1024 ** 3, fileSize: usedGib * 1024 ** 3 });
  estate.addVhdFile(disk('rhel-9.4-gold.vhdx', 64, 6));
  estate.addVhdFile(disk('rhel-8.10-gold.vhdx', 64, 5));
  estate.addVhdFile(disk('ubuntu-22.04-base.vhdx', 32, 4));
  estate.addVhdFile(disk('rhel-7.9-gold.vhd', 40, 4));
  estate.addVhdFile({ ...disk('rhel-9.0-gold.vhdx', 64, 6), path: `${lib}\\archive\\rhel-9.0-gold.vhdx` });
  if (templateVm) {
    estate.addVm({
      name: 'rhel9-template',
      vmId: SIM_TEMPLATE_VM_ID,
      state: 'Off',
      notes: '#template RHEL 9.4 base, sealed',
      generation: 2,
      hardDrives: [{ path: 'D:\\VMs\\rhel9-template\\rhel9-template.vhdx', vhdType: 'Dynamic', size: 64 * 1024 ** 3, fileSize: 7 * 1024 ** 3 }],
      kvp: { OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '9.4', OSMinorVersion: '', OSVersion: '5.14.0', OSBuildNumber: '5.14.0-427.13.1.el9_4.x86_64',
        ProcessorArchitecture: '9',
        FullyQualifiedDomainName: 'rhel9-template',
        IntegrationServicesVersion: '3.1',
      },
    });
  }
}

/**
 * A Windows Server Hyper-V host as our provider reaches it: Windows OpenSSH on a real SSH server
 * (ssh2), running the contract's `powershell.exe … -EncodedCommand` and answering the marked
 * scripts with JSON shaped like Windows PowerShell 5.1 or PowerShell 7 prints it.
 *
 * Wiring node-ssh: `ssh.connect({ host: sim.host, port: sim.port, username: sim.username,
 * password: sim.password, hostVerifier: (key) => fingerprintOf(key) === sim.hostKeyFingerprint })`,
 * or `privateKey: sim.clientPrivateKey` instead of the password.
 */
export class HyperVHostSimulator {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** OpenSSH-format private key whose public half is authorised (unless `authorizedKeys` replaced it). */
  readonly clientPrivateKey: string;
  /** The public half of {@link clientPrivateKey} as an authorized_keys line. */
  readonly clientPublicKey: string;
  /** `SHA256:<base64 without padding>` of the host public key blob, as OpenSSH shows it. */
  readonly hostKeyFingerprint: string;
  readonly powershell: PowerShellEdition;
  readonly requests: HyperVSimRequest[] = [];

  private readonly faults = new HyperVFaultInjector();
  private readonly connections = new Set<Connection>();
  private readonly projector: InventoryProjector;
  private readonly eventsProjector: EventsProjector;
  private readonly metricsProjector: MetricsProjector;
  private readonly actionProjector: VmActionProjector;
  private readonly provisionProjector: ProvisionProjector;
  private readonly createProjector: VmCreateProjector;
  private readonly journal: HyperVEventJournal;
  private readonly boots = new Set<NodeJS.Timeout>();
  private readonly mutexes = new HostMutexes();
  /** Slow scripts' cmdlets in progress: stop() ends them without their effects. */
  private readonly slowCmdlets = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  private guestBootMs: number;
  private addressesGiven = 0;
  private stopped = false;

  private constructor(
    private readonly server: Server,
    private readonly estate: HyperVEstate,
    init: {
      port: number;
      username: string;
      password: string;
      clientPrivateKey: string;
      clientPublicKey: string;
      hostKeyFingerprint: string;
      powershell: PowerShellEdition;
      guestBootMs: number;
    },
  ) {
    this.port = init.port;
    this.username = init.username;
    this.password = init.password;
    this.clientPrivateKey = init.clientPrivateKey;
    this.clientPublicKey = init.clientPublicKey;
    this.hostKeyFingerprint = init.hostKeyFingerprint;
    this.powershell = init.powershell;
    const serializer = new PowerShellJsonSerializer(init.powershell);
    this.projector = new InventoryProjector(serializer);
    this.eventsProjector = new EventsProjector(serializer);
    this.metricsProjector = new MetricsProjector(serializer);
    this.actionProjector = new VmActionProjector(serializer);
    this.provisionProjector = new ProvisionProjector(serializer);
    this.createProjector = new VmCreateProjector(serializer);
    this.guestBootMs = init.guestBootMs;
    this.journal = new HyperVEventJournal(estate.host.ComputerName);
    this.writeHistory();
  }

  static async start(options: HyperVHostSimulatorOptions = {}): Promise<HyperVHostSimulator> {
    const vmCount = options.vmCount ?? 12;
    if (!(Number.isInteger(vmCount) && vmCount >= 0)) throw new Error('vmCount must be a non-negative integer');
    const generated = new HyperVEstateGenerator(options.seed ?? 1).generate(options.hostName ?? 'HV01', vmCount);
    const estate = new HyperVEstate(generated.host, generated.switches);
    for (const vm of generated.vms) estate.addVm(vm.spec);
    seedTemplateLibrary(estate, options.templateVm === true);

    // ECDSA, not ed25519: ssh2's pure-JS ed25519 generator now and then (about 1 in 300) writes a
    // private key its own parser refuses as "Malformed OpenSSH private key".
    const hostKey = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    const clientKey = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    const authorized = (options.authorizedKeys ?? [clientKey.public]).map(parseKeyOrThrow);
    const hostKeyFingerprint = `SHA256:${createHash('sha256')
      .update(parseKeyOrThrow(hostKey.private).getPublicSSH())
      .digest('base64')
      .replace(/=+$/, '')}`;

    const server = new ssh2.Server({ hostKeys: [hostKey.private] });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    const sim = new HyperVHostSimulator(server, estate, {
      port,
      username: options.username ?? DEFAULT_USERNAME,
      password: options.password ?? DEFAULT_PASSWORD,
      clientPrivateKey: clientKey.private,
      clientPublicKey: clientKey.public,
      hostKeyFingerprint,
      powershell: options.powershell ?? '5.1',
      guestBootMs: options.guestBootMs ?? 1500,
    });
    // Nobody knows the ephemeral port before start() returns, so no connection is missed here.
    server.on('connection', (connection) => sim.accept(connection, authorized));
    return sim;
  }

  /** Faults apply to the next logins ('auth') or PowerShell commands (the others), `times` each. */
  injectFault(spec: HyperVFaultSpec): void {
    this.faults.inject(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Creates a VM (13002 in VMMS-Admin) and, when it is added running, starts it (18500 in Worker-Admin). */
  addVm(spec: HyperVVmSpec): string {
    const vmId = this.estate.addVm(spec);
    const vm = this.estate.get(vmId);
    this.journal.appendFor(13002, vm);
    if (vm.state === 'Running') this.journal.appendFor(18500, vm);
    return vmId;
  }

  /** Deletes a VM (13003); a running one is turned off first (18502), as Remove-VM -Force does. */
  removeVm(vmId: string): void {
    const vm = { ...this.estate.get(vmId) };
    this.estate.removeVm(vmId);
    if (isActiveState(vm.state)) this.journal.appendFor(18502, vm);
    this.journal.appendFor(13003, vm);
  }

  /**
   * Changes a VM's power state and writes what a host writes: 18500 on entering Running (from
   * anything but Paused), 18502/18504/18508 on entering Off from Running or Paused, by `cause`
   * (default 'turn-off'). Save, pause and resume write nothing (their event ids are unverified).
   */
  setState(vmId: string, state: HyperVVmState, options: { cause?: HyperVStopCause } = {}): void {
    const before = this.estate.get(vmId).state;
    this.estate.setState(vmId, state);
    const vm = this.estate.get(vmId);
    if (state === 'Running' && before !== 'Running' && before !== 'Paused') this.journal.appendFor(18500, vm);
    if (state === 'Off' && isActiveState(before)) {
      const id = { 'turn-off': 18502, 'shutdown-ic': 18504, 'guest-shutdown': 18508 }[options.cause ?? 'turn-off'];
      this.journal.appendFor(id, vm);
    }
  }

  /** Resets a running VM: it stays Running, its uptime restarts; 18512 (Hyper-V Manager) or 18514 (guest). */
  resetVm(vmId: string, cause: HyperVResetCause = 'hyper-v-manager'): void {
    const vm = this.estate.get(vmId);
    if (vm.state !== 'Running') throw new Error(`VM ${vmId} is not running`);
    this.estate.setState(vmId, 'Off');
    this.estate.setState(vmId, 'Running');
    this.journal.appendFor(cause === 'guest' ? 18514 : 18512, vm);
  }

  /** A start that fails: the VM stays as it is and VMMS-Admin gets 15130 at level Error. */
  failStart(vmId: string): void {
    this.journal.appendFor(15130, this.estate.get(vmId));
  }

  /** Appends any record to a log; returns its RecordId, or null when the log is disabled or missing. */
  appendEvent(spec: HyperVEventSpec): number | null {
    return this.journal.append(spec);
  }

  /** Clears a log (`wevtutil cl`): RecordIds restart at 1, so a reader's bookmark is ahead of the newest record. */
  clearEventLog(log: HyperVEventLogName): void {
    this.journal.clear(log);
  }

  /** 'disabled': the host writes no new records (old ones stay readable); 'missing': the log does not exist. */
  setEventLogState(log: HyperVEventLogName, state: HyperVEventLogState): void {
    this.journal.setState(log, state);
  }

  /** The records of a log in RecordId order. */
  eventRecords(log: HyperVEventLogName): HyperVEventRecord[] {
    return this.journal.records(log);
  }

  /** Makes Get-Counter list no instance of `counter` for the VM (a counter with no value), or lists it again. */
  withholdCounter(vmId: string, counter: HyperVCounterName, withheld = true): void {
    const key = `${vmId.toLowerCase()}|${counter}`;
    if (withheld) this.metricsProjector.withheld.add(key);
    else this.metricsProjector.withheld.delete(key);
  }

  /** The counter samples a Get-Counter of every served counter (all instances) would return at `at`. */
  counterSamples(at: Date = new Date()): CounterSampleJson[] {
    const requests = Object.values(HYPERV_COUNTER_PATHS);
    return this.metricsProjector.samples(this.estate.host.ComputerName, this.estate.list(), requests, at.getTime());
  }

  vmIds(): string[] {
    return this.estate.vmIds();
  }

  /** A VM's current state (Get-VM's State). */
  vmState(vmId: string): HyperVVmState {
    return this.estate.get(vmId).state;
  }

  /** Enables or disables one integration service of a VM (Enable-/Disable-VMIntegrationService), en-US name. */
  setIntegrationService(vmId: string, name: string, enabled: boolean): void {
    const services = this.estate.get(vmId).disabledIntegrationServices;
    if (enabled) services.delete(name);
    else services.add(name);
  }

  /** Puts a VHD file on the host's disk that no VM holds (a template, a differencing base). */
  addVhdFile(spec: HyperVVhdFileSpec): void {
    this.estate.addVhdFile(spec);
  }

  /** Makes a folder exist on the host (Test-Path -PathType Container), e.g. a library or VHD folder. */
  addFolder(path: string): void {
    this.estate.addFolder(path);
  }

  /** The names of the host's virtual switches. */
  switchNames(): string[] {
    return this.estate.switches.map((sw) => sw.name);
  }

  /** How long a VM started by a create script boots before its guest reports KVP data and an address. */
  setGuestBootDelay(ms: number): void {
    this.guestBootMs = ms;
  }

  /** Host memory in use by the management OS beyond its fixed reserve: lowers FreePhysicalMemory. */
  setHostMemoryInUse(bytes: number): void {
    this.estate.hostMemoryInUse = bytes;
  }

  /** The host's MemoryCapacity and the FreePhysicalMemory it reports now, in bytes. */
  memoryFigures(): { capacity: number; free: number } {
    const vms = this.estate.list().filter((vm) => isActiveState(vm.state));
    const assigned = vms.reduce((sum, vm) => sum + (vm.dynamicMemoryEnabled ? Math.round(vm.memoryStartup * 0.75) : vm.memoryStartup), 0);
    return { capacity: this.estate.host.MemoryCapacity, free: Math.max(0, this.estate.host.MemoryCapacity - assigned - HOST_RESERVED_MEMORY_BYTES - this.estate.hostMemoryInUse) };
  }

  /** Every VHD file on the host's disk (templates, VMs' disks, loose files), as copies. */
  vhdFiles(): HyperVVhdFile[] {
    return this.estate.vhdFiles().map((file) => ({ ...file }));
  }

  /** The VHD file at a path (any case), or null when there is none. */
  vhdFile(path: string): HyperVVhdFile | null {
    const file = this.estate.vhdFile(path);
    return file ? { ...file } : null;
  }

  /**
   * The labels of what action scripts did (see HyperVSimRequest.label), one per cmdlet, oldest
   * first; only those naming `target` (a VM id or a VHD path, any case) when given.
   */
  appliedCmdlets(target?: string): string[] {
    const labels = this.requests.flatMap((r) => (r.label ? r.label.split('; ') : []));
    return target === undefined ? labels : labels.filter((l) => l.toLowerCase().endsWith(` ${target.toLowerCase()}`));
  }

  /** The inventory stdout the host would print now (what an inventory command receives). */
  inventoryText(): string {
    return this.projector.render(this.estate);
  }

  /** Closes every connection, hanging commands included, and the listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.boots) clearTimeout(timer);
    this.boots.clear();
    for (const slow of this.slowCmdlets) {
      clearTimeout(slow.timer);
      slow.done();
    }
    this.slowCmdlets.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.end();
    await closed;
  }

  private accept(connection: Connection, authorized: ParsedKey[]): void {
    if (this.stopped) {
      connection.end();
      return;
    }
    this.connections.add(connection);
    connection.on('close', () => this.connections.delete(connection));
    // A client resetting the socket must not crash the test process.
    connection.on('error', () => undefined);
    let authFault: boolean | undefined;
    connection.on('authentication', (ctx) => {
      if (ctx.method !== 'password' && ctx.method !== 'publickey') {
        ctx.reject(AUTH_METHODS);
        return;
      }
      // An auth fault refuses every attempt of one connection.
      authFault ??= this.faults.take('auth') !== undefined;
      if (authFault || !this.credentialsMatch(ctx, authorized)) ctx.reject(AUTH_METHODS);
      else ctx.accept();
    });
    connection.on('ready', () => {
      connection.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => this.exec(connection, acceptExec(), info.command));
      });
    });
  }

  private credentialsMatch(ctx: AuthContext, authorized: ParsedKey[]): boolean {
    const userOk = sameBytes(Buffer.from(ctx.username), Buffer.from(this.username));
    if (ctx.method === 'password') return sameBytes(Buffer.from(ctx.password), Buffer.from(this.password)) && userOk;
    if (ctx.method !== 'publickey' || !userOk) return false;
    const key = authorized.find((k) => k.type === ctx.key.algo && sameBytes(k.getPublicSSH(), ctx.key.data));
    if (!key) return false;
    // Without a signature this is the client's probe whether the key would do.
    if (!ctx.signature || !ctx.blob) return true;
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo);
  }

  private exec(connection: Connection, channel: ServerChannel, command: string): void {
    const script = decodePowerShellCommand(command);
    if (script === null) {
      this.requests.push({ at: new Date(), marker: null, powershell: false });
      // What cmd.exe, the Windows OpenSSH default shell, says about an unknown program.
      const program = command.trim().split(/\s+/)[0] ?? '';
      this.finish(channel, '', `'${program}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`, 1);
      return;
    }
    const marker = findScriptMarker(script);
    const step = marker === 'vm-create' ? vmCreateStepOf(script) : null;
    const taken = this.faults.takeCommand(marker, step);
    const fault = taken?.kind;
    const request: HyperVSimRequest = { at: new Date(), marker, ...(step !== null ? { step } : {}), powershell: true, ...(fault ? { fault } : {}) };
    this.requests.push(request);
    const progress = silencesProgress(script) ? '' : clixmlModuleProgress();
    // 'answer-lost': the script runs to its end, but its answer never leaves the host; like a
    // hanging command the channel stays open until the client or stop() closes it.
    const reply = (stdout: string, stderr: string, code: number) => {
      if (fault !== 'answer-lost') this.finish(channel, stdout, stderr, code);
    };

    if (fault === 'hang') return; // the channel stays open until the client or stop() closes it
    if (fault === 'error-record') {
      reply('', `${progress}${accessDeniedErrorRecord(this.estate.host.ComputerName)}`, 1);
      return;
    }
    const required = marker === null ? undefined : REQUIRED_CMDLETS[marker];
    if (marker === null || required === undefined) {
      reply('', `${progress}HyperVHostSimulator: the script carries no known marker line.\r\n`, 1);
      return;
    }
    const missing = missingCmdlets(script, required);
    if (missing.length > 0) {
      reply('', `${progress}HyperVHostSimulator: the ${marker} script does not call ${missing.join(', ')}.\r\n`, 1);
      return;
    }
    if (marker === 'vm-create') {
      void this.runCreateScript(script, request, taken).then((answer) => {
        if (answer === null || fault === 'answer-lost') return;
        if ('stderr' in answer) reply('', `${progress}${answer.stderr}`, answer.code);
        else this.answer(connection, channel, answer.stdout, progress, fault);
      });
      return;
    }
    const answer = this.scriptAnswer(marker, script, request);
    if (fault === 'answer-lost') return;
    if ('stderr' in answer) {
      reply('', `${progress}${answer.stderr}`, answer.code);
      return;
    }
    this.answer(connection, channel, answer.stdout, progress, fault);
  }

  private scriptAnswer(marker: string, script: string, logged: HyperVSimRequest): ScriptAnswer {
    if (marker === 'inventory') return { stdout: this.inventoryText() };
    if (marker === 'provision-sources' || marker === 'provision-check') {
      try {
        return marker === 'provision-sources'
          ? this.provisionProjector.sources(this.estate, script, (cmdlet) => this.faults.takeCmdletError(cmdlet, marker))
          : this.provisionProjector.check(this.estate, script);
      } catch (error) {
        if (error instanceof ParserError) return this.provisionProjector.parserError(error);
        return { stderr: `${(error as Error).message}\r\n`, code: 1 };
      }
    }
    if (marker === 'vm-action' || marker === 'vhd-facts' || marker === 'vhd-remove') {
      let outcome: ActionOutcome | { answer: ScriptAnswer; labels?: undefined };
      try {
        outcome = this.actionOutcome(marker, script);
      } catch (error) {
        return { stderr: `${(error as Error).message}\r\n`, code: 1 };
      }
      if (outcome.labels && outcome.labels.length > 0) logged.label = outcome.labels.join('; ');
      return outcome.answer;
    }
    if (marker === 'metrics') return { stdout: this.metricsProjector.render(this.estate.host.ComputerName, this.estate.list(), script) };
    let request;
    try {
      request = parseEventsRequest(script);
    } catch (error) {
      return { stderr: `${(error as Error).message}\r\n`, code: 1 };
    }
    return this.eventsProjector.answer(this.journal, request);
  }

  /**
   * A create script, run to its end whether or not its client is still there: it looks once it
   * holds its VM name's mutex (when it takes one), and a 'slow' fault's delay passes between its
   * look and its cmdlets. null when the host stopped meanwhile.
   */
  private async runCreateScript(script: string, logged: HyperVSimRequest, taken: TakenFault | undefined): Promise<ScriptAnswer | null> {
    const failure = (error: unknown): ScriptAnswer =>
      error instanceof ParserError ? this.provisionProjector.parserError(error) : { stderr: `${(error as Error).message}\r\n`, code: 1 };
    let parsed: VmCreateScript;
    try {
      parsed = parseVmCreateScript(script);
    } catch (error) {
      return failure(error);
    }
    const body = async (): Promise<ScriptAnswer | null> => {
      try {
        const seen = this.createProjector.look(this.estate, parsed);
        if (taken?.delayMs !== undefined && !(await this.cmdletsTake(taken.delayMs))) return null;
        const outcome = this.createProjector.run(this.createHost(logged.step ?? null), script, parsed, seen);
        if (outcome.labels.length > 0) logged.label = outcome.labels.join('; ');
        return outcome.answer;
      } catch (error) {
        return failure(error);
      }
    };
    if (!parsed.lock) return body();
    const held = await this.mutexes.hold(parsed.lock.name, parsed.lock.waitMs, body);
    if (!held.held) {
      logged.lock = 'timed-out';
      return this.createProjector.lockTimeout(parsed);
    }
    logged.lock = held.waited ? 'waited' : 'taken';
    return held.value;
  }

  /** Waits as a slow script's cmdlets do; false when the host stopped first. */
  private cmdletsTake(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const slow = { timer: setTimeout(() => (this.slowCmdlets.delete(slow), resolve(!this.stopped)), ms), done: () => resolve(false) };
      slow.timer.unref();
      this.slowCmdlets.add(slow);
    });
  }

  private createHost(step: string | null): VmCreateHost {
    return {
      estate: this.estate,
      addVm: (spec) => this.addVm(spec),
      removeVm: (vmId) => this.removeVm(vmId),
      setState: (vmId, state) => this.setState(vmId, state),
      failStart: (vmId) => this.failStart(vmId),
      cmdletError: (cmdlet) => this.faults.takeCmdletError(cmdlet, 'vm-create', step),
      booted: (vmId) => this.bootGuest(vmId),
    };
  }

  /**
   * The guest of a VM just started boots: after the boot delay, if that run of the VM still
   * goes on, its KVP daemon reports the OS of its disk's template and an address on each connected
   * adapter. A generation 2 VM under the Windows Secure Boot template never gets there with a
   * Linux guest (the firmware refuses the shim), nor does a disk nothing is known of.
   */
  private bootGuest(vmId: string): void {
    const since = this.estate.get(vmId).runningSinceMs;
    const timer = setTimeout(() => {
      this.boots.delete(timer);
      if (!this.estate.vmIds().includes(vmId)) return;
      const vm = this.estate.get(vmId);
      if (vm.state !== 'Running' || vm.runningSinceMs !== since || !vm.hardDrives[0]) return;
      const kvp = guestKvpOf(this.estate, vm.hardDrives[0].path, vm.name);
      if (!kvp) return;
      const windows = kvp.OSName.startsWith('Windows');
      if (vm.generation === 2 && !windows && vm.secureBootTemplate !== 'MicrosoftUEFICertificateAuthority') return;
      vm.kvp = kvp;
      for (const adapter of vm.networkAdapters) {
        if (!adapter.switchName) continue;
        const n = 10 + this.addressesGiven++;
        adapter.ipAddresses = [`10.20.${Math.floor(n / 250)}.${(n % 250) + 1}`];
      }
    }, this.guestBootMs);
    timer.unref();
    this.boots.add(timer);
  }

  private actionOutcome(marker: 'vm-action' | 'vhd-facts' | 'vhd-remove', script: string): ActionOutcome | { answer: ScriptAnswer } {
    if (marker === 'vhd-facts') return { answer: { stdout: this.actionProjector.vhdFacts(this.estate, parseVhdScriptPath(script)) } };
    const host: VmActionHost = {
      estate: this.estate,
      setState: (vmId, state, options) => this.setState(vmId, state, options),
      resetVm: (vmId) => this.resetVm(vmId),
      removeVm: (vmId) => this.removeVm(vmId),
      failStart: (vmId) => this.failStart(vmId),
      cmdletError: (cmdlet) => this.faults.takeCmdletError(cmdlet, marker),
    };
    if (marker === 'vhd-remove') return this.actionProjector.removeVhd(host, script, parseVhdScriptPath(script));
    return this.actionProjector.runVmAction(host, script, parseVmActionScript(script));
  }

  /**
   * A few records of the last half hour (and one older than an hour in each log), so a first
   * poll finds something and a look-back by time has something to leave out.
   */
  private writeHistory(): void {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    const vms = this.estate.list();
    if (vms.length === 0) return;
    const first = vms[0];
    const gone = { name: 'rhel8-retired01', vmId: '5d0c2a9e-7f13-4b8e-9a61-2c4e8f0b1d37' };
    this.journal.appendFor(13002, gone, at(190));
    this.journal.appendFor(18500, gone, at(185));
    this.journal.appendFor(18502, gone, at(182));
    this.journal.appendFor(13003, gone, at(180));
    this.journal.appendFor(13002, first, at(28));
    vms.slice(0, 3).forEach((vm, i) => {
      if (vm.state === 'Running') this.journal.appendFor(18500, vm, at(25 - i * 5));
      else if (vm.state === 'Off') this.journal.appendFor(18502, vm, at(25 - i * 5));
    });
    const off = vms.find((vm) => vm.state === 'Off');
    if (off) this.journal.appendFor(15130, off, at(8));
  }

  private answer(connection: Connection, channel: ServerChannel, stdout: string, stderr: string, fault: HyperVFaultKind | undefined): void {
    const cut = Math.max(1, Math.floor(stdout.length * 0.6));
    if (fault === 'disconnect') {
      // Part of the output, then the connection drops without an exit status.
      channel.write(stdout.slice(0, cut));
      setImmediate(() => connection.end());
      return;
    }
    if (fault === 'truncated-json') {
      this.finish(channel, `${stdout.slice(0, cut)}\r\n`, stderr, 0);
      return;
    }
    this.finish(channel, stdout, stderr, 0);
  }

  private finish(channel: ServerChannel, stdout: string, stderr: string, code: number): void {
    // A script that ran on after its client went away has no one to answer.
    if (channel.destroyed || !channel.writable) return;
    if (stdout) channel.write(stdout);
    if (stderr) channel.stderr.write(stderr);
    channel.exit(code);
    channel.end();
  }
}
