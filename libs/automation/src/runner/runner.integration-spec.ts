/**
 * The runner wrapper against the real /usr/bin/ansible-runner (Debian's python3-ansible-runner 2.3.1):
 * localhost over `connection: local`, and a real sshd on loopback. No test double of runner anywhere.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AnsibleRunner, type AnsibleRunnerOptions } from './ansible-runner.js';
import type { AnsibleInventory, RunnerEvent, RunnerJob, RunnerResult } from './ansible-runner.types.js';
import { findProcesses } from './process-sweep.js';
import { startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';

const execFileAsync = promisify(execFile);

// sleep durations unique to this process, so that /proc checks never see another suite's sleeps
const TAG = String(1000 + Math.floor(Math.random() * 9000));
const SLEEP_TIMEOUT = `42.${TAG}`;
const SLEEP_CANCEL = `41.${TAG}`;
const SLEEP_ORPHAN = `43.${TAG}`;
const SLEEP_STUB = `44.${TAG}`;

const PLAYBOOKS: Record<string, string> = {
  'ok.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: say hello
      debug:
        msg: hello
    - name: change something
      command: /bin/true
`,
  'fail.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: break on purpose
      fail:
        msg: boom-on-purpose
`,
  'syntax.yml': `- hosts: all
  tasks:
    - debug: msg="x"
   broken: [
`,
  'nomatch.yml': `- hosts: no_such_group
  gather_facts: false
  tasks:
    - debug:
        msg: never
`,
  'sleep-timeout.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: sleep long
      command: /bin/sleep ${SLEEP_TIMEOUT}
`,
  'sleep-cancel.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: sleep long
      command: /bin/sleep ${SLEEP_CANCEL}
`,
  'slow.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: first
      debug:
        msg: first
    - name: wait a bit
      command: /bin/sleep 3
    - name: last
      debug:
        msg: last
`,
  'echo.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: echo msg
      debug:
        var: msg
    - name: echo nested
      debug:
        var: nested
`,
  'env.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: read the controller environment
      debug:
        msg: "secret=[{{ lookup('env', 'HF_TEST_FAKE_SECRET') }}]"
`,
  'ssh.yml': `- hosts: all
  gather_facts: true
  tasks:
    - name: run a command over ssh
      command: /usr/bin/id -un
`,
};

const LOCAL: AnsibleInventory = {
  all: { hosts: { local1: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } },
};

let baseDir: string;
let catalogDir: string;
let scratch: string;

beforeAll(async () => {
  baseDir = await mkdtemp(join(tmpdir(), 'hf-rt-'));
  catalogDir = await mkdtemp(join(tmpdir(), 'hf-cat-'));
  scratch = await mkdtemp(join(tmpdir(), 'hf-scr-'));
  for (const [name, text] of Object.entries(PLAYBOOKS)) await writeFile(join(catalogDir, name), text);
});

afterAll(async () => {
  // nothing of ours may outlive the suite
  expect(await findProcesses(`${baseDir}/`)).toEqual([]);
  await rm(baseDir, { recursive: true, force: true });
  await rm(catalogDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

function job(playbook: string, overrides: Partial<RunnerJob> = {}): RunnerJob {
  return {
    id: randomUUID(),
    projectDir: catalogDir,
    playbook,
    inventory: LOCAL,
    extraVars: {},
    timeoutSeconds: 120,
    ...overrides,
  };
}

interface Collected {
  events: RunnerEvent[];
  calls: { at: number; size: number }[];
}

function collector(): Collected & { onEvents(events: RunnerEvent[]): Promise<void> } {
  const c: Collected = { events: [], calls: [] };
  return {
    ...c,
    async onEvents(events: RunnerEvent[]) {
      c.calls.push({ at: Date.now(), size: events.length });
      c.events.push(...events);
    },
    get events() {
      return c.events;
    },
    get calls() {
      return c.calls;
    },
  };
}

function runner(options: Partial<AnsibleRunnerOptions> = {}): AnsibleRunner {
  return new AnsibleRunner({ baseDir, ...options });
}

async function expectBaseDirEmpty(): Promise<void> {
  expect(await readdir(baseDir)).toEqual([]);
}

async function processesWith(text: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmd.includes(text)) out.push(`${entry}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

function log(name: string, result: RunnerResult): void {
  const ms = result.finishedAt.getTime() - result.startedAt.getTime();
  console.log(`${name}: ${result.status} rc=${result.rc} in ${ms} ms; reason: ${result.reason ?? '-'}`);
}

describe('AnsibleRunner against the real ansible-runner', () => {
  it('reports ansible-runner and ansible-core versions, and what to install when missing', async () => {
    const ok = await AnsibleRunner.check();
    expect(ok).toEqual({ available: true, version: expect.stringMatching(/^ansible-runner 2\.\d+\.\d+, ansible-core 2\.\d+/), problem: null });
    const missing = await AnsibleRunner.check('/nonexistent/ansible-runner');
    expect(missing.available).toBe(false);
    expect(missing.problem).toContain('python3-ansible-runner');
    expect(missing.problem).toContain('ansible-core');
    const notRunner = await AnsibleRunner.check('/bin/false');
    expect(notRunner.available).toBe(false);
    expect(notRunner.problem).toMatch(/--version failed.*python3-ansible-runner/);
  }, 60_000);

  it('runs a playbook to success with per-host counts and batched, deduplicated events', async () => {
    const listener = collector();
    const result = await runner().start(job('ok.yml'), listener).done;
    log('successful', result);
    expect(result.status).toBe('successful');
    expect(result.rc).toBe(0);
    expect(result.reason).toBeNull();
    expect(result.hosts).toEqual({ local1: { ok: 2, changed: 1, failed: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 } });
    expect(result.stdout).toContain('PLAY RECAP');
    expect(result.stdout).not.toMatch(/\u001b\[|\r/);
    expect(result.stdout).not.toContain('"event"'); // human output, not runner's JSON lines
    expect(result.stdout).toMatch(/TASK \[say hello\][\s\S]*ok: \[local1\][\s\S]*changed: \[local1\]/);
    const names = listener.events.map((e) => e.event);
    expect(names[0]).toBe('playbook_on_start');
    expect(names.at(-1)).toBe('playbook_on_stats');
    expect(names.filter((n) => n === 'runner_on_ok')).toHaveLength(2);
    const counters = listener.events.map((e) => e.counter);
    expect(new Set(counters).size).toBe(counters.length);
    expect(listener.calls.length).toBeLessThanOrEqual(listener.events.length);
    const ok = listener.events.find((e) => e.event === 'runner_on_ok')!;
    expect(ok.host).toBe('local1');
    expect(ok.task).toBe('say hello');
    // runner writes UTC without a zone: read as UTC, so within a minute of now
    expect(Math.abs(ok.created.getTime() - Date.now())).toBeLessThan(60_000);
    await expectBaseDirEmpty();
  }, 60_000);

  it('reports a failed task as failed with the task, host and message', async () => {
    const result = await runner().start(job('fail.yml'), collector()).done;
    log('failed task', result);
    expect(result.status).toBe('failed');
    expect(result.rc).toBe(2);
    expect(result.reason).toContain('break on purpose');
    expect(result.reason).toContain('boom-on-purpose');
    expect(result.hosts.local1).toMatchObject({ failed: 1, ok: 0 });
    await expectBaseDirEmpty();
  }, 60_000);

  it('reports a syntax error as failed with a parse reason, no host summary, and its output as events', async () => {
    const listener = collector();
    const result = await runner().start(job('syntax.yml'), listener).done;
    log('syntax error', result);
    expect(result.status).toBe('failed');
    expect(result.rc).toBe(4);
    expect(result.reason).toMatch(/syntax|parse/i);
    expect(result.reason).toContain('syntax.yml');
    expect(result.hosts).toEqual({});
    expect(listener.events.some((e) => e.event === 'playbook_on_start')).toBe(false);
    expect(listener.events.some((e) => e.event === 'verbose')).toBe(true);
    expect(result.stdout).toContain('Syntax Error');
  }, 60_000);

  it('reports an unreachable host (ssh to a closed loopback port) as failed/unreachable', async () => {
    const closedPort = await freePort();
    const inventory: AnsibleInventory = {
      all: {
        hosts: {
          gone1: { ansible_host: '127.0.0.1', ansible_port: closedPort, ansible_user: 'root', ansible_python_interpreter: '/usr/bin/python3' },
        },
      },
    };
    const result = await runner().start(job('ssh.yml', { inventory }), collector()).done;
    log('unreachable', result);
    expect(result.status).toBe('failed');
    expect(result.rc).toBe(4);
    expect(result.reason).toMatch(/^unreachable: gone1 \(.*Connection refused/);
    expect(result.hosts.gone1).toMatchObject({ unreachable: 1, ok: 0, failed: 0 });
  }, 60_000);

  it('fails a run whose limit or play pattern matches no host, although runner calls one of them successful', async () => {
    const limited = await runner().start(job('ok.yml', { limit: 'ghost_host' }), collector()).done;
    log('limit matches nothing', limited);
    expect(limited.status).toBe('failed');
    expect(limited.reason).toMatch(/no host matched/);
    const listener = collector();
    const pattern = await runner().start(job('nomatch.yml'), listener).done;
    log('pattern matches nothing', pattern);
    expect(pattern.rc).toBe(0); // runner: successful
    expect(pattern.status).toBe('failed');
    expect(pattern.reason).toMatch(/no host matched/);
    expect(listener.events.some((e) => e.event === 'playbook_on_no_hosts_matched')).toBe(true);
  }, 60_000);

  it('stops a run at its job timeout as timed_out and leaves no process behind', async () => {
    const started = Date.now();
    const result = await runner().start(job('sleep-timeout.yml', { timeoutSeconds: 2 }), collector()).done;
    log('timeout', result);
    expect(result.status).toBe('timed_out');
    expect(result.reason).toMatch(/time limit \(2 s\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await processesWith(`sleep ${SLEEP_TIMEOUT}`)).toEqual([]);
    await expectBaseDirEmpty();
  }, 60_000);

  it('cancels a running run within seconds: canceled, process group gone', async () => {
    const sawSleepStart = deferred();
    const listener = {
      events: [] as RunnerEvent[],
      onEvents(events: RunnerEvent[]) {
        this.events.push(...events);
        if (events.some((e) => e.event === 'runner_on_start' && e.task === 'sleep long')) sawSleepStart.resolve();
      },
    };
    const handle = runner().start(job('sleep-cancel.yml'), listener);
    await Promise.race([sawSleepStart.promise, handle.done]);
    await waitFor(async () => (await processesWith(`sleep ${SLEEP_CANCEL}`)).length > 0, 15_000);
    const [pdd] = await readdir(baseDir);
    expect(await processesWith(join(baseDir, pdd))).not.toEqual([]);
    const cancelAt = Date.now();
    await handle.cancel();
    const result = await handle.done;
    const took = Date.now() - cancelAt;
    log(`cancel (${took} ms after cancel())`, result);
    expect(result.status).toBe('canceled');
    expect(took).toBeLessThan(15_000);
    expect(await processesWith(`sleep ${SLEEP_CANCEL}`)).toEqual([]);
    expect(await processesWith(join(baseDir, pdd))).toEqual([]);
    // other work on this machine may run ansible-playbook too: only ours (below baseDir) must be gone
    expect((await processesWith(`${baseDir}/`)).filter((p) => p.includes('ansible-playbook'))).toEqual([]);
    await expectBaseDirEmpty();
  }, 60_000);

  it('cancels a run asked to stop right after start, and treats cancel() after the end as a no-op', async () => {
    const early = runner().start(job('sleep-cancel.yml'), collector());
    await early.cancel();
    const result = await early.done;
    log('cancel at once', result);
    expect(result.status).toBe('canceled');
    expect(await processesWith(`sleep ${SLEEP_CANCEL}`)).toEqual([]);
    await expectBaseDirEmpty();
    const finished = runner().start(job('ok.yml'), collector());
    await finished.done;
    await finished.cancel();
    expect((await finished.done).status).toBe('successful');
  }, 60_000);

  it('sweeps orphans at service start: kills process groups naming a run dir under baseDir and removes run dirs', async () => {
    const { spawn } = await import('node:child_process');
    const sweepBase = await mkdtemp(join(tmpdir(), 'hf-sw-'));
    try {
      const runDir = join(sweepBase, 'rAbC123');
      await mkdir(join(runDir, 'env'), { recursive: true });
      await writeFile(join(runDir, 'env', 'ssh_key'), 'KEY', { mode: 0o600 });
      // stands in for an ansible-playbook left behind by a crashed service: its group holds a child that does not name the dir
      const orphan = spawn('/bin/sh', ['-c', `/bin/sleep ${SLEEP_ORPHAN}; true`, `${runDir}/inventory`], { detached: true, stdio: 'ignore' });
      orphan.unref();
      await waitFor(async () => (await processesWith(`sleep ${SLEEP_ORPHAN}`)).length > 0, 10_000);
      const swept = await AnsibleRunner.sweepOrphans(sweepBase);
      expect(swept.killed).toBeGreaterThanOrEqual(1);
      expect(swept.removedDirs).toBe(1);
      await waitFor(async () => (await processesWith(`sleep ${SLEEP_ORPHAN}`)).length === 0, 10_000);
      expect(await readdir(sweepBase)).toEqual([]);
    } finally {
      await rm(sweepBase, { recursive: true, force: true });
    }
  }, 60_000);

  it('SIGKILLs the whole group after the grace period when the process ignores SIGTERM', async () => {
    // a stand-in for a wedged runner (the real one honours TERM, see above): ignores TERM, and so does its child
    const stub = join(scratch, 'stubborn-runner');
    await writeFile(stub, `#!/bin/sh\ntrap '' TERM\n/bin/sleep ${SLEEP_STUB} &\nwait\nwait\n`, { mode: 0o700 });
    const handle = runner({ binary: stub, cancelGraceMs: 1_000 }).start(job('ok.yml'), collector());
    await waitFor(async () => (await processesWith(`sleep ${SLEEP_STUB}`)).length > 0, 10_000);
    const cancelAt = Date.now();
    await handle.cancel();
    const result = await handle.done;
    const took = Date.now() - cancelAt;
    log(`stubborn cancel (${took} ms after cancel())`, result);
    expect(result.status).toBe('canceled');
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(15_000);
    expect(await processesWith(`sleep ${SLEEP_STUB}`)).toEqual([]);
    await expectBaseDirEmpty();
  }, 60_000);

  it('runs two jobs at once without mixing their results, events or directories', async () => {
    const a = collector();
    const b = collector();
    const r = runner();
    const [ok, failed] = await Promise.all([r.start(job('ok.yml'), a).done, r.start(job('fail.yml'), b).done]);
    expect(ok.status).toBe('successful');
    expect(failed.status).toBe('failed');
    expect(a.events.every((e) => e.task === null || ['say hello', 'change something'].includes(e.task))).toBe(true);
    expect(b.events.some((e) => e.event === 'runner_on_failed')).toBe(true);
    expect(a.events.some((e) => e.event === 'runner_on_failed')).toBe(false);
    await expectBaseDirEmpty();
  }, 90_000);

  it('resolves with error when runner cannot be started, and cleans up', async () => {
    const result = await runner({ binary: '/nonexistent/ansible-runner' }).start(job('ok.yml'), collector()).done;
    expect(result.status).toBe('error');
    expect(result.reason).toMatch(/could not be started.*ENOENT/);
    await expectBaseDirEmpty();
  }, 60_000);

  it('hands events over while the run is still going', async () => {
    const listener = collector();
    const result = await runner().start(job('slow.yml'), listener).done;
    log('live events', result);
    expect(result.status).toBe('successful');
    const first = listener.calls[0].at;
    const firstOk = listener.events.find((e) => e.event === 'runner_on_ok' && e.task === 'first')!;
    // the task before a 3 s sleep was stored well before the run ended
    expect(first).toBeLessThan(result.finishedAt.getTime() - 1_500);
    expect(firstOk.created.getTime()).toBeLessThan(result.finishedAt.getTime() - 1_500);
    expect(listener.calls.length).toBeGreaterThan(1);
  }, 60_000);

  it('never evaluates Jinja in extra vars: a lookup in a user value is printed literally', async () => {
    const injected = "{{ lookup('pipe', 'id -un') }}";
    const user = (await execFileAsync('/usr/bin/id', ['-un'])).stdout.trim();
    const result = await runner().start(
      job('echo.yml', { extraVars: { msg: injected, nested: { list: ['{{ 7 * 7 }}', 3, true], inner: { x: '{{ 6 * 7 }}' } } } }),
      collector(),
    ).done;
    log('injection', result);
    expect(result.status).toBe('successful');
    expect(result.stdout).toContain(`"msg": "${injected}"`);
    expect(result.stdout).not.toContain(`"msg": "${user}"`);
    expect(result.stdout).toContain('{{ 7 * 7 }}');
    expect(result.stdout).toContain('{{ 6 * 7 }}');
    expect(result.stdout).not.toMatch(/\b(49|42)\b/);
  }, 60_000);

  it('keeps the key 0600 while running and leaves neither key nor private data directory on disk afterwards', async () => {
    const keyPath = join(scratch, 'k1');
    await execFileAsync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hf-test', '-f', keyPath]);
    const key = await readFile(keyPath, 'utf8');
    const keyBody = key.split('\n')[1];
    let seen: { pdd: string; keyMode: number; files: string[]; copies: string[] } | null = null;
    const r = runner({
      beforeCleanup: async (pdd) => {
        const files = await listFiles(pdd);
        const copies: string[] = [];
        for (const f of files) if ((await readFile(f, 'utf8').catch(() => '')).includes(keyBody)) copies.push(f.slice(pdd.length + 1));
        seen = { pdd, keyMode: (await stat(join(pdd, 'env', 'ssh_key'))).mode & 0o777, files, copies };
        expect((await stat(pdd)).mode & 0o777).toBe(0o700);
      },
    });
    const result = await r.start(job('ok.yml', { sshPrivateKey: key }), collector()).done;
    log('with key', result);
    expect(result.status).toBe('successful');
    expect(seen).not.toBeNull();
    const { pdd, keyMode, files, copies } = seen!;
    expect(keyMode).toBe(0o600);
    expect(copies).toEqual(['env/ssh_key']); // runner hands it to ssh-agent through a FIFO: no other copy
    expect(files.every((f) => !/\/inventory\/.*/.test(f) || f.endsWith('hosts.json'))).toBe(true);
    expect(files.some((f) => f.includes('env/cmdline'))).toBe(false);
    await expect(lstat(join(pdd, 'env', 'ssh_key'))).rejects.toThrow(/ENOENT/);
    await expect(lstat(pdd)).rejects.toThrow(/ENOENT/);
    await expectBaseDirEmpty();
    expect(JSON.stringify(result)).not.toContain(keyBody);
  }, 60_000);

  it('never passes the service environment to the run: a secret env var appears nowhere it wrote or reported', async () => {
    const secret = `hf-fake-secret-${randomUUID()}`;
    process.env.HF_TEST_FAKE_SECRET = secret;
    try {
      const written: string[] = [];
      let commandEnv: Record<string, string> = {};
      const listener = collector();
      const result = await runner({
        beforeCleanup: async (pdd) => {
          for (const file of await listFiles(pdd)) written.push(await readFile(file, 'utf8').catch(() => ''));
          const [ident] = await readdir(join(pdd, 'artifacts'));
          commandEnv = JSON.parse(await readFile(join(pdd, 'artifacts', ident, 'command'), 'utf8')).env;
        },
      }).start(job('env.yml'), listener).done;
      log('environment', result);
      expect(result.status).toBe('successful');
      expect(result.stdout).toContain('secret=[]');
      expect(written.length).toBeGreaterThan(5);
      for (const text of written) expect(text).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(JSON.stringify(listener.events)).not.toContain(secret);
      expect(commandEnv.HF_TEST_FAKE_SECRET).toBeUndefined();
      // only the minimal environment plus what runner and our envvars add
      const foreign = Object.keys(commandEnv).filter(
        (k) => !['PATH', 'HOME', 'LANG', 'TMPDIR', 'PWD', 'LC_CTYPE', 'PYTHONPATH', 'PROOT_TMP_DIR', 'RUNNER_OMIT_EVENTS', 'RUNNER_ONLY_FAILED_EVENTS', 'AWX_ISOLATED_DATA_DIR', 'JOB_ID', 'SSH_AUTH_SOCK', 'SSH_AGENT_PID'].includes(k) && !k.startsWith('ANSIBLE_'),
      );
      expect(foreign).toEqual([]);
      expect(commandEnv.ANSIBLE_HOST_KEY_CHECKING).toBe('True');
    } finally {
      delete process.env.HF_TEST_FAKE_SECRET;
    }
  }, 60_000);

  it('keeps running when the listener throws, and reports the error', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const result = await runner({ onListenerError: (e) => errors.push(e) }).start(job('ok.yml'), {
      onEvents() {
        calls += 1;
        throw new Error('store is down');
      },
    }).done;
    expect(result.status).toBe('successful');
    expect(calls).toBeGreaterThan(0);
    expect(errors).toHaveLength(calls);
  }, 60_000);

  it('resolves a job it refuses (bad limit) as error instead of rejecting', async () => {
    const result = await runner().start(job('ok.yml', { limit: '@/etc/hostname' }), collector()).done;
    expect(result.status).toBe('error');
    expect(result.reason).toMatch(/limit/);
    const noProject = await runner().start(job('ok.yml', { projectDir: join(scratch, 'missing-catalog') }), collector()).done;
    expect(noProject.status).toBe('error');
    expect(noProject.reason).toMatch(/ENOENT/);
    await expectBaseDirEmpty();
  }, 60_000);

  describe('over real ssh (loopback sshd)', () => {
    let sshd: LoopbackSshd;
    beforeAll(async () => {
      sshd = await startLoopbackSshd();
    }, 60_000);
    afterAll(async () => {
      await sshd?.stop();
    });

    function sshInventory(): AnsibleInventory {
      return {
        all: {
          hosts: {
            sim1: { ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: sshd.user, ansible_python_interpreter: '/usr/bin/python3' },
          },
        },
      };
    }

    it('runs gather_facts and a command with the key and the known host key', async () => {
      const result = await runner().start(
        job('ssh.yml', { inventory: sshInventory(), sshPrivateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine }),
        collector(),
      ).done;
      log('ssh', result);
      expect(result.status).toBe('successful');
      expect(result.hosts.sim1).toMatchObject({ ok: 2, changed: 1, failed: 0, unreachable: 0 });
      expect(result.stdout).toContain('Gathering Facts');
      expect(result.stdout).not.toContain('Identity added');
      expect(await sshd.log()).toMatch(/Accepted publickey for \S+ from 127\.0\.0\.1/);
      await expectBaseDirEmpty();
      expect(await processesWith(baseDir)).toEqual([]); // the ControlPersist master went with the run
    }, 90_000);

    it('refuses a host whose key does not match known_hosts (host key checking stays on)', async () => {
      const otherKey = join(scratch, 'other');
      await execFileAsync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const [type, blob] = (await readFile(`${otherKey}.pub`, 'utf8')).trim().split(/\s+/);
      const logins = async () => ((await sshd.log()).match(/Accepted publickey/g) ?? []).length;
      const loginsBefore = await logins();
      const result = await runner().start(
        job('ssh.yml', { inventory: sshInventory(), sshPrivateKey: sshd.clientPrivateKey, knownHosts: `[127.0.0.1]:${sshd.port} ${type} ${blob}` }),
        collector(),
      ).done;
      log('ssh wrong host key', result);
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/^unreachable: sim1/);
      // the same run with the right entry succeeds (test above), so the entry is what failed it; ssh's words reach
      // the reason in most runs, but under load ansible (pipelining) may only see the closed pipe
      expect(result.reason).toMatch(/host key|REMOTE HOST IDENTIFICATION|Broken pipe/i);
      expect(result.hosts.sim1).toMatchObject({ unreachable: 1 });
      expect(await logins()).toBe(loginsBefore); // ssh gave up before authenticating
      const none = await runner().start(
        job('ssh.yml', { inventory: sshInventory(), sshPrivateKey: sshd.clientPrivateKey }),
        collector(),
      ).done;
      log('ssh no known host', none);
      expect(none.status).toBe('failed');
      expect(none.hosts.sim1).toMatchObject({ unreachable: 1 });
      expect(await logins()).toBe(loginsBefore);
    }, 90_000);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path); // the project symlink and sockets are not the run's writing
  }
  return out;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 1;
      server.close(() => resolvePort(port));
    });
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

