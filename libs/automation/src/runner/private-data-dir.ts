import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { RunnerJob } from './ansible-runner.types.js';
import { extraVarsFileText } from './extravars.js';

export interface PrivateDataDirOptions {
  /** ANSIBLE_TIMEOUT: seconds to wait for an ssh connection. */
  sshConnectTimeoutSeconds: number;
  /** ssh ControlPersist seconds (the master is killed after the run anyway). */
  controlPersistSeconds: number;
}

export interface PrivateDataDir {
  path: string;
  home: string;
  tmp: string;
  keyFile: string | null;
}

const IDENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Rejects what must never reach runner's argv or paths, even though the caller validated it already. */
export function assertJobShape(job: RunnerJob): void {
  if (!IDENT.test(job.id)) throw new Error('the run id must be 1-128 characters of A-Z, a-z, 0-9, _ . -');
  if (!isAbsolute(job.projectDir)) throw new Error('projectDir must be an absolute path');
  const segments = job.playbook.split(/[\\/]/);
  if (job.playbook === '' || isAbsolute(job.playbook) || segments.includes('..') || job.playbook.startsWith('-')) {
    throw new Error('the playbook must be a relative path inside the project, without ".."');
  }
  if (job.limit !== undefined && (job.limit === '' || /^[-@]/.test(job.limit) || /[\s\0]/.test(job.limit))) {
    throw new Error('the limit must be a host pattern (no leading "-" or "@", no whitespace)');
  }
  if (!Number.isFinite(job.timeoutSeconds) || job.timeoutSeconds <= 0) throw new Error('timeoutSeconds must be > 0');
  if (job.idleTimeoutSeconds !== undefined && (!Number.isFinite(job.idleTimeoutSeconds) || job.idleTimeoutSeconds <= 0)) {
    throw new Error('idleTimeoutSeconds must be > 0');
  }
}

async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600); // the umask may have narrowed it; never wider than 0600
}

/**
 * Creates the run's private data directory (0700) under baseDir and writes everything runner reads:
 * project (a symlink to the catalog directory), inventory/hosts.json, env/extravars (unsafe-wrapped),
 * env/envvars, env/settings, env/ssh_key, plus a private HOME, TMPDIR, known_hosts and ssh control dir.
 * Never writes env/cmdline or anything executable.
 */
export async function preparePrivateDataDir(
  baseDir: string,
  job: RunnerJob,
  options: PrivateDataDirOptions,
): Promise<PrivateDataDir> {
  const path = await mkdtemp(join(baseDir, 'r'));
  try {
    return await fill(path, job, options);
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
}

async function fill(path: string, job: RunnerJob, options: PrivateDataDirOptions): Promise<PrivateDataDir> {
  await chmod(path, 0o700);
  for (const dir of ['env', 'inventory', 'home', 'tmp', 'c']) await mkdir(join(path, dir), { mode: 0o700 });
  await symlink(await realpath(job.projectDir), join(path, 'project'));

  await writePrivate(join(path, 'inventory', 'hosts.json'), JSON.stringify(job.inventory));
  await writePrivate(join(path, 'env', 'extravars'), extraVarsFileText(job.extraVars));
  const knownHosts = join(path, 'known_hosts');
  const lines = job.knownHosts ?? '';
  await writePrivate(knownHosts, lines === '' || lines.endsWith('\n') ? lines : `${lines}\n`);

  const controlDir = join(path, 'c');
  // <controlDir>/<%C: 40 hex> plus the 17 characters ssh appends while it creates the socket, within 107 bytes
  const controlFits = controlDir.length + 1 + 40 + 17 <= 107;
  const sshArgs = [
    `-o UserKnownHostsFile=${knownHosts}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o StrictHostKeyChecking=yes',
    ...(controlFits ? ['-o ControlMaster=auto', `-o ControlPersist=${options.controlPersistSeconds}s`] : ['-o ControlMaster=no']),
  ].join(' ');
  const envvars: Record<string, string> = {
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_SSH_ARGS: sshArgs,
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_TIMEOUT: String(options.sshConnectTimeoutSeconds),
  };
  await writePrivate(join(path, 'env', 'envvars'), JSON.stringify(envvars));

  const settings: Record<string, number> = { job_timeout: Math.ceil(job.timeoutSeconds), pexpect_timeout: 1 };
  if (job.idleTimeoutSeconds !== undefined) settings.idle_timeout = Math.ceil(job.idleTimeoutSeconds);
  await writePrivate(join(path, 'env', 'settings'), JSON.stringify(settings));

  let keyFile: string | null = null;
  if (job.sshPrivateKey !== undefined && job.sshPrivateKey !== '') {
    keyFile = join(path, 'env', 'ssh_key');
    const key = job.sshPrivateKey.endsWith('\n') ? job.sshPrivateKey : `${job.sshPrivateKey}\n`;
    await writePrivate(keyFile, key);
  }
  return { path, home: join(path, 'home'), tmp: join(path, 'tmp'), keyFile };
}
