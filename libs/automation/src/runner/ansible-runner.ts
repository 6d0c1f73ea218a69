import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type {
  RunnerAvailability,
  RunnerEvent,
  RunnerHandle,
  RunnerJob,
  RunnerListener,
  RunnerResult,
} from './ansible-runner.types.js';
import { EventBatcher } from './event-batcher.js';
import { assertJobShape, preparePrivateDataDir, type PrivateDataDir } from './private-data-dir.js';
import { killProcessesMatching } from './process-sweep.js';
import { isRunnerNoise, parseEventLine, toRunnerEvent } from './runner-events.js';
import { mapOutcome, RunSummary } from './run-summary.js';
import { TailBuffer } from './tail-buffer.js';

const execFileAsync = promisify(execFile);
/** The names mkdtemp gives run directories (prefix 'r'). */
const RUN_DIR = /^r[A-Za-z0-9]{6}$/;

const DEFAULT_BINARY = '/usr/bin/ansible-runner';
const INSTALL_HINT =
  'install the Debian packages: apt-get install -y --no-install-recommends ansible-core python3-ansible-runner openssh-client';
const STDERR_KEEP = 64 * 1024;
/** Unix socket paths (ssh-agent's below the run's TMPDIR) must fit in 108 bytes; the run's paths add about 46. */
const MAX_BASE_DIR_LENGTH = 60;

export interface AnsibleRunnerOptions {
  /**
   * Absolute directory (outside the project tree, at most 60 characters, no whitespace or quotes) for the runs'
   * private data dirs; created 0700 when missing. Above 39 characters ssh control sockets would not fit below
   * it, so runs then go without ControlMaster (pipelining stays on).
   */
  baseDir: string;
  /** Default /usr/bin/ansible-runner. */
  binary?: string;
  /** Time between SIGTERM and SIGKILL to the process group on cancel(); default 10 000 ms. */
  cancelGraceMs?: number;
  /** Events are handed over at least this often while a run goes; default 100 ms. */
  batchIntervalMs?: number;
  /** …or as soon as this many are waiting; default 50. */
  batchSize?: number;
  /** The result's stdout keeps this many trailing bytes of the run's output; default 1 MiB. */
  maxStdoutBytes?: number;
  /** ANSIBLE_TIMEOUT (ssh connect); default 10 s. */
  sshConnectTimeoutSeconds?: number;
  /** ssh ControlPersist within a run; default 60 s (masters are killed when the run ends). */
  controlPersistSeconds?: number;
  /** Called when the listener throws; default console.warn. The run goes on either way. */
  onListenerError?: (error: unknown) => void;
  /**
   * Diagnostics and tests only: called with the private data directory after runner has exited and
   * before it is deleted. Errors are ignored.
   */
  beforeCleanup?: (privateDataDir: string) => void | Promise<void>;
}

interface RunState {
  child: ChildProcess | null;
  cancelRequested: boolean;
  exited: boolean;
  killTimer: NodeJS.Timeout | null;
  pdd: string | null;
}

/**
 * Runs one playbook per job through `ansible-runner run -j` in a private data directory of its own,
 * streams its events to a listener, maps the end into a RunnerResult and deletes everything it wrote.
 */
export class AnsibleRunner {
  private readonly baseDir: string;
  private readonly binary: string;
  private readonly cancelGraceMs: number;
  private readonly batchIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxStdoutBytes: number;
  private readonly sshConnectTimeoutSeconds: number;
  private readonly controlPersistSeconds: number;
  private readonly onListenerError: (error: unknown) => void;
  private readonly beforeCleanup: ((pdd: string) => void | Promise<void>) | undefined;
  private baseDirReady: Promise<void> | null = null;

  constructor(options: AnsibleRunnerOptions) {
    this.baseDir = AnsibleRunner.checkBaseDir(options.baseDir);
    this.binary = options.binary ?? DEFAULT_BINARY;
    if (!isAbsolute(this.binary)) throw new Error('the ansible-runner binary must be an absolute path');
    this.cancelGraceMs = options.cancelGraceMs ?? 10_000;
    this.batchIntervalMs = options.batchIntervalMs ?? 100;
    this.batchSize = options.batchSize ?? 50;
    this.maxStdoutBytes = options.maxStdoutBytes ?? 1024 * 1024;
    this.sshConnectTimeoutSeconds = options.sshConnectTimeoutSeconds ?? 10;
    this.controlPersistSeconds = options.controlPersistSeconds ?? 60;
    this.onListenerError =
      options.onListenerError ?? ((error) => console.warn('ansible-runner event listener failed:', error));
    this.beforeCleanup = options.beforeCleanup;
  }

  /** Is ansible-runner there and runnable? Gives both versions, or what to install. */
  static async check(binary = DEFAULT_BINARY): Promise<RunnerAvailability> {
    try {
      await access(binary, fsConstants.X_OK);
    } catch {
      return { available: false, version: null, problem: `${binary} is missing or not executable; ${INSTALL_HINT}` };
    }
    const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/nonexistent' };
    let runnerVersion: string;
    try {
      const { stdout } = await execFileAsync(binary, ['--version'], { env, timeout: 30_000 });
      runnerVersion = stdout.trim().split('\n')[0] ?? '';
      if (!/^\d+\.\d+/.test(runnerVersion)) throw new Error(`unexpected version output "${runnerVersion.slice(0, 80)}"`);
    } catch (error) {
      return {
        available: false,
        version: null,
        problem: `${binary} --version failed (${firstLine(error)}); ${INSTALL_HINT}`,
      };
    }
    const playbook = join(dirname(binary), 'ansible-playbook');
    try {
      const { stdout } = await execFileAsync(playbook, ['--version'], { env, timeout: 30_000 });
      const core = /core ([\d.]+[^\]\s]*)/.exec(stdout)?.[1];
      if (!core) throw new Error('no ansible-core version in its output');
      return { available: true, version: `ansible-runner ${runnerVersion}, ansible-core ${core}`, problem: null };
    } catch (error) {
      return {
        available: false,
        version: `ansible-runner ${runnerVersion}`,
        problem: `${playbook} is not runnable (${firstLine(error)}); ${INSTALL_HINT}`,
      };
    }
  }

  /**
   * Kills the process groups of everything whose command line names a directory under baseDir and
   * deletes leftover run directories. For service start only (it would kill this process's own runs).
   */
  static async sweepOrphans(baseDir: string): Promise<{ killed: number; removedDirs: number }> {
    const base = AnsibleRunner.checkBaseDir(baseDir);
    const killed = await killProcessesMatching(`${base}/`);
    let removedDirs = 0;
    let entries: string[] = [];
    try {
      entries = await readdir(base);
    } catch {
      return { killed: killed.length, removedDirs };
    }
    for (const entry of entries) {
      if (!RUN_DIR.test(entry)) continue;
      await rm(join(base, entry), { recursive: true, force: true });
      removedDirs += 1;
    }
    return { killed: killed.length, removedDirs };
  }

  private static checkBaseDir(baseDir: string): string {
    if (!isAbsolute(baseDir)) throw new Error('baseDir must be an absolute path');
    const base = resolve(baseDir);
    if (base === '/' || base.length > MAX_BASE_DIR_LENGTH || /[\s"'\\$`]/.test(base)) {
      throw new Error(
        `baseDir must be a short absolute path (at most ${MAX_BASE_DIR_LENGTH} characters, no whitespace or quotes): ` +
          'unix sockets of the run live below it',
      );
    }
    return base;
  }

  start(job: RunnerJob, listener: RunnerListener): RunnerHandle {
    const state: RunState = { child: null, cancelRequested: false, exited: false, killTimer: null, pdd: null };
    const startedAt = new Date();
    const done = this.run(job, listener, state, startedAt).catch(
      (error: unknown): RunnerResult => ({
        status: 'error',
        rc: null,
        reason: `the run could not be carried out: ${firstLine(error)}`,
        hosts: {},
        startedAt,
        finishedAt: new Date(),
        stdout: '',
      }),
    );
    const cancel = async (): Promise<void> => {
      if (!state.exited && !state.cancelRequested) {
        state.cancelRequested = true;
        if (state.child) this.terminate(state);
      }
      await done;
    };
    return { cancel, done };
  }

  private terminate(state: RunState): void {
    const pid = state.child?.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    state.killTimer = setTimeout(() => {
      if (state.exited) return;
      signalGroup(pid, 'SIGKILL');
      // ansible-playbook lives in a session of its own: a SIGKILLed runner leaves it behind
      if (state.pdd) void killProcessesMatching(`${state.pdd}/`).catch(() => undefined);
    }, this.cancelGraceMs);
  }

  private ensureBaseDir(): Promise<void> {
    this.baseDirReady ??= mkdir(this.baseDir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.baseDirReady;
  }

  private async run(job: RunnerJob, listener: RunnerListener, state: RunState, startedAt: Date): Promise<RunnerResult> {
    assertJobShape(job);
    await this.ensureBaseDir();
    let pdd: PrivateDataDir | null = null;
    try {
      pdd = await preparePrivateDataDir(this.baseDir, job, {
        sshConnectTimeoutSeconds: this.sshConnectTimeoutSeconds,
        controlPersistSeconds: this.controlPersistSeconds,
      });
      state.pdd = pdd.path;
      if (state.cancelRequested) {
        return { status: 'canceled', rc: null, reason: 'canceled on request before it started', hosts: {}, startedAt, finishedAt: new Date(), stdout: '' };
      }
      return await this.supervise(job, listener, state, startedAt, pdd);
    } finally {
      if (state.killTimer) clearTimeout(state.killTimer);
      if (pdd) await this.cleanup(pdd);
    }
  }

  private async supervise(
    job: RunnerJob,
    listener: RunnerListener,
    state: RunState,
    startedAt: Date,
    pdd: PrivateDataDir,
  ): Promise<RunnerResult> {
    const args = ['run', pdd.path, '-p', job.playbook, '-j', '--ident', job.id];
    if (job.limit !== undefined) args.push('--limit', job.limit);
    const child = spawn(this.binary, args, {
      cwd: pdd.path,
      env: { PATH: '/usr/bin:/bin', HOME: pdd.home, TMPDIR: pdd.tmp, LANG: 'C.UTF-8' },
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    const exited = new Promise<{ code: number | null; signal: string | null; error: Error | null }>((resolveExit) => {
      child.once('exit', (code, signal) => resolveExit({ code, signal, error: null }));
      child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
    });
    if (state.cancelRequested) this.terminate(state);

    const stderr = new TailBuffer(STDERR_KEEP);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => stderr.append(chunk));

    const summary = new RunSummary();
    const seen = new Set<number>();
    // the human output: in -j mode runner's stdout (and artifacts/<ident>/stdout) is event JSON lines with the
    // output inside, plus plain lines for what bypassed the callback; rebuilt here in the order it came
    const output = new TailBuffer(this.maxStdoutBytes);
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    const batcher = new EventBatcher(listener, this.batchSize, this.batchIntervalMs, this.onListenerError, lines);
    const accept = (event: RunnerEvent): void => {
      if (seen.has(event.counter)) return;
      seen.add(event.counter);
      summary.add(event);
      batcher.push(event);
    };
    lines.on('line', (line) => {
      const parsed = parseEventLine(line);
      if (!parsed) return;
      if ('event' in parsed) {
        if (!seen.has(parsed.event.counter) && parsed.event.stdout !== '') output.append(`${parsed.event.stdout}\n`);
        accept(parsed.event);
      } else if (!isRunnerNoise(parsed.raw)) {
        summary.addRawLine(parsed.raw);
        output.append(`${parsed.raw}\n`);
      }
    });
    const stdoutClosed = new Promise<void>((resolveClosed) => lines.once('close', () => resolveClosed()));

    const exit = await exited;
    state.exited = true;
    if (state.killTimer) clearTimeout(state.killTimer);
    batcher.stopPausing();
    await Promise.race([stdoutClosed, delay(5_000)]);
    lines.close();

    const artifacts = join(pdd.path, 'artifacts', job.id);
    const status = await readText(join(artifacts, 'status'));
    const rcText = await readText(join(artifacts, 'rc'));
    const rcFromFile = rcText !== null && /^-?\d+$/.test(rcText.trim()) ? Number(rcText.trim()) : null;
    // events that never came through stdout (runner prints verbose ones as text): recover them in counter order
    for (const event of await readMissedEvents(join(artifacts, 'job_events'), seen)) accept(event);
    await batcher.close();

    if (this.beforeCleanup) {
      try {
        await this.beforeCleanup(pdd.path);
      } catch {
        // diagnostics only
      }
    }
    const stderrText = stderr.toString();
    const outcome = exit.error
      ? { status: 'error' as const, reason: `ansible-runner could not be started: ${exit.error.message}` }
      : mapOutcome(summary, {
          status,
          rc: rcFromFile ?? exit.code,
          signal: exit.signal,
          cancelRequested: state.cancelRequested,
          timeoutSeconds: job.timeoutSeconds,
          idleTimeoutSeconds: job.idleTimeoutSeconds,
          stderrTail: stderrText.trim().split('\n').slice(-3).join(' '),
        });
    return {
      status: outcome.status,
      rc: exit.code ?? rcFromFile,
      reason: outcome.reason,
      hosts: summary.hosts(),
      startedAt,
      finishedAt: new Date(),
      stdout: boundBytes(output.toString(), this.maxStdoutBytes),
    };
  }

  /** Removes the key first, kills whatever still names the directory (ssh masters, orphans), then the directory. */
  private async cleanup(pdd: PrivateDataDir): Promise<void> {
    if (pdd.keyFile) await rm(pdd.keyFile, { force: true }).catch(() => undefined);
    await killProcessesMatching(`${pdd.path}/`).catch(() => undefined);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await rm(pdd.path, { recursive: true, force: true, maxRetries: 3 });
        return;
      } catch {
        await delay(200);
      }
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** The last `maxBytes` (UTF-8) of text, starting at a line boundary when cut. */
export function boundBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const tail = bytes.subarray(bytes.length - maxBytes).toString('utf8');
  const newline = tail.indexOf('\n');
  return newline >= 0 ? tail.slice(newline + 1) : tail.replace(/^\uFFFD+/, '');
}

async function readMissedEvents(dir: string, seen: Set<number>): Promise<RunnerEvent[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const missed = names
    .map((name) => ({ name, counter: Number(/^(\d+)-/.exec(name)?.[1]) }))
    .filter((f) => Number.isInteger(f.counter) && f.name.endsWith('.json') && !seen.has(f.counter))
    .sort((a, b) => a.counter - b.counter);
  const events: RunnerEvent[] = [];
  for (const file of missed) {
    try {
      const event = toRunnerEvent(JSON.parse(await readFile(join(dir, file.name), 'utf8')));
      if (event) events.push(event);
    } catch {
      // partial or unreadable: skip
    }
  }
  return events;
}
