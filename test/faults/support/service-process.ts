import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The real service as a child process, so a test can SIGKILL it and start it again on the same
 * data. The child runs the product's own build (`nest build api`, which rewrites the @hybridforms/*
 * path aliases) of the current sources, made once into node_modules/.cache/hf-service-<hash of the
 * sources> and reused while the sources stay the same (a fresh clone builds it in ~20 s). The child
 * runs main.js exactly as `npm start` does, configured by the environment only.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache');
const CACHE_PREFIX = 'hf-service-';
const MAIN_JS = join('apps', 'api', 'src', 'main.js');
/** The entry point of each app in the build (`nest build api` compiles all of apps/ and libs/). */
const APP_MAIN_JS = { api: MAIN_JS, worker: join('apps', 'worker', 'src', 'main.js') } as const;
export type ServiceApp = keyof typeof APP_MAIN_JS;

/** The built main.js of `app` (building first if needed). */
export async function builtMainOf(app: ServiceApp): Promise<string> {
  const apiMain = await buildService();
  const main = join(apiMain.slice(0, apiMain.length - MAIN_JS.length), APP_MAIN_JS[app]);
  if (!existsSync(main)) throw new Error(`the build has no ${APP_MAIN_JS[app]} (${main})`);
  return main;
}

/** What the build depends on: every non-test source of apps/ and libs/, the compiler and Nest settings. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json|jsonc)$/.test(entry.name) && !/\.(spec|integration-spec)\.ts$/.test(entry.name)) {
        hash.update(relative(REPO_ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(join(REPO_ROOT, 'apps'));
  walk(join(REPO_ROOT, 'libs'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json']) hash.update(file).update(readFileSync(join(REPO_ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

function runToEnd(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, output }));
  });
}

let built: Promise<string> | null = null;
/** Nest's start-up lines about modules and routes (text or JSON lines): kept out of the captured output. */
const NEST_START_NOISE = /^.*(\[|"context":")(InstanceLoader|RoutesResolver|RouterExplorer)(\]|").*\n/gm;

/**
 * Builds the API with the project's build (nest build, tsc builder, tsconfig.build.json) into a
 * cache directory of its own, not dist/ (others build there). Returns the path of main.js.
 */
export function buildService(): Promise<string> {
  built ??= (async () => {
    // A build of one's own choosing (e.g. an earlier cache directory while the tree does not compile mid-edit).
    const pinned = process.env.HF_FAULTS_SERVICE_BUILD;
    if (pinned) {
      if (!existsSync(join(pinned, MAIN_JS))) throw new Error(`HF_FAULTS_SERVICE_BUILD=${pinned} has no ${MAIN_JS}`);
      return join(resolve(pinned), MAIN_JS);
    }
    const key = sourceHash();
    const target = join(CACHE_DIR, `${CACHE_PREFIX}${key}`);
    if (existsSync(join(target, MAIN_JS))) return join(target, MAIN_JS);
    mkdirSync(CACHE_DIR, { recursive: true });
    // Built under a name of its own, then renamed: two suites building at once never see half a build.
    const tag = `${process.pid}.${randomBytes(3).toString('hex')}`;
    const staging = `${target}.${tag}`;
    const tsconfig = join(CACHE_DIR, `${CACHE_PREFIX}tsconfig.${tag}.json`);
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(REPO_ROOT, 'tsconfig.build.json'),
        compilerOptions: { outDir: staging },
        include: [join(REPO_ROOT, 'apps'), join(REPO_ROOT, 'libs')],
        exclude: [join(REPO_ROOT, 'node_modules'), join(REPO_ROOT, 'dist'), join(REPO_ROOT, 'apps', 'console'), join(REPO_ROOT, 'test'), join(REPO_ROOT, '**/*.spec.ts'), join(REPO_ROOT, '**/*.integration-spec.ts')],
      }),
    );
    const nest = join(REPO_ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
    const result = await runToEnd(process.execPath, [nest, 'build', 'api', '--path', relative(REPO_ROOT, tsconfig)], REPO_ROOT);
    rmSync(tsconfig, { force: true });
    if (result.code !== 0 || !existsSync(join(staging, MAIN_JS))) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`nest build api failed (exit ${result.code}):\n${result.output.slice(-4000)}`);
    }
    try {
      renameSync(staging, target);
    } catch (error) {
      if (!existsSync(join(target, MAIN_JS))) throw error; // another suite won the race: use its build
      rmSync(staging, { recursive: true, force: true });
    }
    // Builds of older sources are of no use any more (an hour's grace for a suite still using one).
    for (const entry of readdirSync(CACHE_DIR)) {
      const path = join(CACHE_DIR, entry);
      if (entry.startsWith(CACHE_PREFIX) && path !== target && Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { recursive: true, force: true });
    }
    return join(target, MAIN_JS);
  })();
  built.catch(() => (built = null));
  return built;
}

/**
 * The TCP ports a process listens on, from its socket descriptors and the kernel's socket tables.
 * The child is started with PORT=0 and its port read from here: no port is picked ahead and then
 * lost to another process, and /health is asked of our child, never of whoever took the port.
 */
export function listeningPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode (10th field); st 0A = LISTEN
      if (fields.length > 9 && fields[3] === '0A' && inodes.has(fields[9])) ports.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return [...new Set(ports)];
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

/** One HTTP request over a fresh connection (no keep-alive: the server may be killed between two). */
export function httpCall<T = unknown>(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<ApiResponse<T>> {
  return new Promise((resolveCall, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: { connection: 'close', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            // not JSON: the text
          }
          resolveCall({ status: res.statusCode ?? 0, body: body as T, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer within ${options.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface StartServiceOptions {
  /**
   * Which process: 'api' (default; apps/api/src/main.js, ready when /health answers 200) or
   * 'worker' (apps/worker/src/main.js, HYBRIDFORMS_WORKER_PORT=0 unless given; ready when its
   * /health answers 200 or it has logged "worker <pid> running jobs").
   */
  app?: ServiceApp;
  /** More environment for the child (DATABASE_URL, HYBRIDFORMS_PLAYBOOK_DIRS, schedules…). */
  env?: Record<string, string>;
  /** The data directory (the SQLite file, the development key); default a new temporary one, removed by cleanup(). */
  dataDir?: string;
  /** HYBRIDFORMS_RUN_WORK_DIR; default a new short one under /tmp, removed by cleanup(). */
  workDir?: string;
  /** A fixed port; default 0: the kernel picks one per start, read back from the child (the url changes with restart()). */
  port?: number;
  /** How long start and restart wait for GET /health to answer 200 (default 60 s). */
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  /** http://127.0.0.1:<port> of the current child. */
  readonly url: string;
  /** The pid of the current child (changes with restart()). */
  readonly pid: number;
  readonly port: number;
  readonly dataDir: string;
  readonly workDir: string;
  /** HYBRIDFORMS_ADMIN_TOKEN of the child, and the header that carries it. */
  readonly token: string;
  readonly authHeaders: { authorization: string };
  /** The environment the child gets (without the parent's). */
  readonly env: Readonly<Record<string, string>>;
  /** Is the current child still alive? */
  alive(): boolean;
  /** Everything every child of this handle wrote to stdout and stderr, lives separated by a marker line. */
  output(): string;
  /** An authenticated API call (`path` from the root: `/api/v1/...`). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Sends the signal (default SIGKILL) and waits for the child to be gone. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A graceful stop (SIGTERM; SIGKILL after 15 s). */
  stop(): Promise<void>;
  /** Starts a new child on the same data directory, work directory and environment (stopping a live one first). */
  restart(): Promise<void>;
  /** stop(), then removes the directories this handle created. */
  cleanup(): Promise<void>;
}

/**
 * Starts the built service (see buildService) as a child process and waits until /health answers.
 * The child's cwd is the repository (relative config paths resolve as under `npm start`); its
 * secret key and admin token are generated here and kept across restarts.
 */
export async function startService(options: StartServiceOptions = {}): Promise<ServiceProcess> {
  const app: ServiceApp = options.app ?? 'api';
  const mainJs = await builtMainOf(app);
  const ownDataDir = options.dataDir === undefined;
  const ownWorkDir = options.workDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hf-faults-'));
  // Short: ssh control sockets of the runs live below it.
  const workDir = options.workDir ?? mkdtempSync('/tmp/hf-fk-');
  let port = options.port ?? 0;
  // (An HYBRIDFORMS_ADMIN_TOKEN given in env is the child's: several processes of one cluster share one.)
  const token = options.env?.HYBRIDFORMS_ADMIN_TOKEN ?? `hf_faults_${randomBytes(24).toString('base64url')}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(options.port ?? 0),
    DATA_DIR: dataDir,
    HYBRIDFORMS_RUN_WORK_DIR: workDir,
    HYBRIDFORMS_ADMIN_TOKEN: token,
    HYBRIDFORMS_SECRET_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'log',
    ...(app === 'worker' ? { HYBRIDFORMS_WORKER_PORT: String(options.port ?? 0) } : {}),
    ...options.env,
  };
  const urlOf = () => `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let output = '';
  let child: ChildProcess | null = null;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
  let lives = 0;

  const spawnChild = async (): Promise<void> => {
    lives += 1;
    output += `\n----- service life ${lives} (${new Date().toISOString()}) -----\n`;
    const lifeStart = output.length;
    const started = spawn(process.execPath, [mainJs], {
      cwd: REPO_ROOT,
      // PATH and HOME only from the parent: the child's configuration is what the test gives it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    const keep = (chunk: Buffer) => (output += chunk.toString().replace(NEST_START_NOISE, ''));
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    exit = new Promise((resolveExit) => {
      started.once('exit', (code, signal) => {
        output += `\n----- service life ${lives} ended (code ${code}, signal ${signal}) -----\n`;
        resolveExit({ code, signal });
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`the service exited before it was ready:\n${tail()}`);
      // A worker says so once its port is open (its /health may not exist in every version).
      if (app === 'worker' && output.slice(lifeStart).includes(`worker ${started.pid} running jobs`)) {
        port = listeningPortsOf(started.pid!)[0] ?? port;
        return;
      }
      const listening = options.port ? [options.port] : listeningPortsOf(started.pid!);
      if (listening.length > 0) {
        port = listening[0];
        try {
          const res = await httpCall(`${urlOf()}/health`, { timeoutMs: 2_000 });
          if (res.status === 200) return;
        } catch {
          // not answering yet
        }
      }
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`the service did not answer /health within ${readyTimeoutMs} ms:\n${tail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const tail = () => output.slice(-6000);
  const isAlive = () => child !== null && child.exitCode === null && child.signalCode === null;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!isAlive()) return exit;
    child!.kill(signal);
    return exit;
  };
  const stop = async () => {
    if (!isAlive()) return;
    const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
    await kill('SIGTERM');
    clearTimeout(timer);
  };

  await spawnChild();
  return {
    get url() {
      return urlOf();
    },
    get pid() {
      return child?.pid ?? -1;
    },
    get port() {
      return port;
    },
    dataDir,
    workDir,
    token,
    authHeaders: { authorization: `Bearer ${token}` },
    env,
    alive: isAlive,
    output: () => output,
    api: <T>(method: string, path: string, body?: unknown) => httpCall<T>(`${urlOf()}${path}`, { method, body, headers: { authorization: `Bearer ${token}` } }),
    kill,
    stop,
    restart: async () => {
      await stop();
      await spawnChild();
    },
    cleanup: async () => {
      await stop();
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 100 ms until it returns a truthy value (returned), or fails after `timeoutMs` saying `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** The command line, NULs as spaces. */
  cmdline: string;
}

/** Live processes (zombies excluded) whose command line contains `marker`, never this process. */
export function processesMentioning(marker: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: split after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      found.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Every file below `dir` (relative paths), for "nothing left behind" checks. */
export function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      out.push(relative(dir, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

/**
 * Runs the built `app` with `env` (and PATH, HOME) until it exits, for start-up errors: its exit
 * code, signal and everything it wrote. Killed (SIGKILL) after `timeoutMs`, which is then reported
 * as `timedOut`.
 */
export async function runServiceToExit(
  app: ServiceApp,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }> {
  const mainJs = await builtMainOf(app);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [mainJs], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, output: output.replace(NEST_START_NOISE, ''), timedOut });
    });
  });
}
