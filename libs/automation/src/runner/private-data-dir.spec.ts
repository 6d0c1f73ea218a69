import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunnerJob } from './ansible-runner.types.js';
import { assertJobShape, preparePrivateDataDir } from './private-data-dir.js';

let base: string;
let project: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'hf-pdd-'));
  project = await mkdtemp(join(tmpdir(), 'hf-prj-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
  await rm(project, { recursive: true, force: true });
});

const job = (over: Partial<RunnerJob> = {}): RunnerJob => ({
  id: 'a7d3c3a0-0000-4000-8000-000000000001',
  projectDir: '/tmp',
  playbook: 'site.yml',
  inventory: { all: { hosts: { h1: { ansible_host: '10.0.0.4' } } } },
  extraVars: { msg: '{{ x }}' },
  timeoutSeconds: 90,
  ...over,
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

describe('the private data directory', () => {
  it('writes runner’s files with private modes, never env/cmdline or anything executable', async () => {
    const pdd = await preparePrivateDataDir(base, job({ projectDir: project, sshPrivateKey: 'KEY', knownHosts: '[h]:22 ssh-ed25519 AAAA' }), {
      sshConnectTimeoutSeconds: 7,
      controlPersistSeconds: 30,
    });
    expect((await stat(pdd.path)).mode & 0o777).toBe(0o700);
    expect(await readlink(join(pdd.path, 'project'))).toBe(project);
    const entries = (await walk(pdd.path)).map((p) => p.slice(pdd.path.length + 1)).sort();
    expect(entries).toEqual(
      ['c', 'env', 'env/envvars', 'env/extravars', 'env/settings', 'env/ssh_key', 'home', 'inventory', 'inventory/hosts.json', 'known_hosts', 'project', 'tmp'].sort(),
    );
    for (const file of ['env/envvars', 'env/extravars', 'env/settings', 'env/ssh_key', 'inventory/hosts.json', 'known_hosts']) {
      expect(((await lstat(join(pdd.path, file))).mode & 0o777).toString(8)).toBe('600');
    }
    expect(pdd.keyFile).toBe(join(pdd.path, 'env', 'ssh_key'));
    expect(await readFile(pdd.keyFile!, 'utf8')).toBe('KEY\n');
    expect(JSON.parse(await readFile(join(pdd.path, 'env', 'extravars'), 'utf8'))).toEqual({ msg: { __ansible_unsafe: '{{ x }}' } });
    expect(JSON.parse(await readFile(join(pdd.path, 'inventory', 'hosts.json'), 'utf8'))).toEqual(job().inventory);
    expect(JSON.parse(await readFile(join(pdd.path, 'env', 'settings'), 'utf8'))).toEqual({ job_timeout: 90, pexpect_timeout: 1 });
    expect(await readFile(join(pdd.path, 'known_hosts'), 'utf8')).toBe('[h]:22 ssh-ed25519 AAAA\n');
    const envvars = JSON.parse(await readFile(join(pdd.path, 'env', 'envvars'), 'utf8')) as Record<string, string>;
    expect(envvars).toEqual({
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_PIPELINING: 'True',
      ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${pdd.path}/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=30s`,
      ANSIBLE_SSH_CONTROL_PATH_DIR: `${pdd.path}/c`,
      ANSIBLE_TIMEOUT: '7',
    });
  });

  it('writes an empty known_hosts and no key when none is given; idle timeout goes to settings', async () => {
    const pdd = await preparePrivateDataDir(base, job({ projectDir: project, idleTimeoutSeconds: 30 }), {
      sshConnectTimeoutSeconds: 10,
      controlPersistSeconds: 60,
    });
    expect(pdd.keyFile).toBeNull();
    expect(await readFile(join(pdd.path, 'known_hosts'), 'utf8')).toBe('');
    expect(JSON.parse(await readFile(join(pdd.path, 'env', 'settings'), 'utf8'))).toEqual({ job_timeout: 90, idle_timeout: 30, pexpect_timeout: 1 });
  });

  it('refuses ids, playbooks and limits that could reach argv or escape the project', () => {
    expect(() => assertJobShape(job())).not.toThrow();
    expect(() => assertJobShape(job({ limit: 'web*:&prod,h1' }))).not.toThrow();
    for (const bad of [
      { id: '../x' },
      { id: '-rf' },
      { projectDir: 'relative' },
      { playbook: '../etc/passwd' },
      { playbook: '/etc/passwd' },
      { playbook: 'a/../../b.yml' },
      { playbook: '--help' },
      { limit: '@/etc/hostname' },
      { limit: '--version' },
      { limit: 'a b' },
      { limit: '' },
      { timeoutSeconds: 0 },
      { idleTimeoutSeconds: -1 },
    ] as Partial<RunnerJob>[]) {
      expect(() => assertJobShape(job(bad))).toThrow();
    }
  });
});
