import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { apiFromTestApp, checkInvariants, dbFromDataSource, type ApiAccess, type DbAccess } from './support/invariants.js';
import { filesBelow, processesMentioning, waitFor, type ProcessInfo } from './support/service-process.js';

/*
 * ansible-runner (or the ansible-playbook under it) SIGKILLed from outside while the service keeps
 * running: the run must end with a clear reason (never hang in 'running'), its processes and its
 * private directory (the key) must go, the events stored so far stay, and the service goes on.
 */

const SCENARIO_MS = 180_000;

type Vm = { id: string };
type Run = { id: string; status: string; reason: string | null; eventCount: number; finishedAt: string | null };
type RunEvent = { counter: number; event: string };

let scenarios = 0;
let checks = 0;

afterAll(() => {
  console.log(`faults: ${scenarios} scenarios, ${checks} invariant checks (runner-kill.fault-spec.ts)`);
});

describe('ansible-runner killed under a running service (real runner, real SSH to a loopback sshd)', () => {
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let t: TestApp;
  let catalog: string;
  let credentialId: string;
  let providerId: string;
  let vm: Vm;
  let api: ApiAccess;
  let db: DbAccess;

  const play = (name: string, tasks: string) =>
    `- name: ${name}\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n${tasks}`;
  const runOf = async (id: string): Promise<Run> => (await t.http().get(`/api/v1/playbook-runs/${id}`).expect(200)).body;
  const eventsOf = async (id: string): Promise<RunEvent[]> => (await t.http().get(`/api/v1/playbook-runs/${id}/events?limit=500`).expect(200)).body.items;
  const playbookId = async (file: string): Promise<string> =>
    ((await t.http().get('/api/v1/playbooks').expect(200)).body.items as { id: string }[]).find((p) => p.id.endsWith(`/${file}`))!.id;
  const start = async (file: string): Promise<Run> =>
    (await t.http().post('/api/v1/playbook-runs').send({ playbook: await playbookId(file), targets: { vmIds: [vm.id] }, credentialId }).expect(202)).body;
  const ended = async (id: string, timeoutMs = 60_000): Promise<Run> => {
    let run: Run | null = null;
    await waitFor(`run ${id} to end`, async () => !['queued', 'running'].includes((run = await runOf(id)).status), timeoutMs);
    return run!;
  };
  /** Waits until the run is in its second task (the first one's events stored), returns its processes. */
  const inSecondTask = async (id: string): Promise<{ events: RunEvent[]; processes: ProcessInfo[] }> => {
    await waitFor(
      `run ${id} to be in its second task`,
      async () => (await runOf(id)).status === 'running' && (await eventsOf(id)).filter((e) => e.event === 'playbook_on_task_start').length >= 2,
      60_000,
    );
    return { events: await eventsOf(id), processes: processesOfRun(id) };
  };
  /** The processes of a run: ansible-runner names the run as its ident, the others its private directory. */
  const processesOfRun = (id: string): ProcessInfo[] => {
    const all = processesMentioning(`${t.config.automation.workDir}/`);
    const runner = all.find((p) => p.cmdline.includes('ansible-runner') && p.cmdline.includes(`--ident ${id}`));
    if (!runner) return [];
    const dir = / run (\S+) /.exec(runner.cmdline)?.[1] ?? '\0';
    return all.filter((p) => p.pgid === runner.pid || `${p.cmdline} `.includes(`${dir}/`) || `${p.cmdline} `.includes(`${dir} `));
  };
  const afterTheKill = async (run: Run, eventsBefore: RunEvent[], killedProcesses: ProcessInfo[]) => {
    // Events stored before the kill are kept, and counted.
    const eventsAfter = await eventsOf(run.id);
    expect(eventsAfter.map((e) => e.counter)).toEqual(expect.arrayContaining(eventsBefore.map((e) => e.counter)));
    expect(run.eventCount).toBe(eventsAfter.length);
    // Nothing of the run is left: no process of it (its runner's group included), and no file (no key).
    await waitFor('no process of the run left', () => killedProcesses.every((p) => !alive(p.pid)), 10_000);
    expect(processesOfRun(run.id)).toEqual([]);
  };

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 8 });
    sshd = await startLoopbackSshd();
    catalog = mkdtempSync(join(tmpdir(), 'hf-rk-catalog-'));
    writeFileSync(join(catalog, 'hello.yml'), play('Say hello', '    - name: hello\n      ansible.builtin.command: echo hello\n'));
    writeFileSync(
      join(catalog, 'long.yml'),
      play('Take long', '    - name: first\n      ansible.builtin.command: echo first\n    - name: sleep\n      ansible.builtin.command: sleep 60\n'),
    );
    t = await startTestApp({
      HYBRIDFORMS_PLAYBOOK_DIRS: catalog,
      HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`,
      HYBRIDFORMS_RUN_CONCURRENCY: '2',
      HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
      HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
    });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'rk')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    credentialId = (
      await t
        .http()
        .post('/api/v1/machine-credentials')
        .send({ name: 'loopback', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine })
        .expect(201)
    ).body.id;
    [vm] = (await t.http().get('/api/v1/vms?osFamily=rhel&powerState=running&limit=1').expect(200)).body.items;
    api = apiFromTestApp(t);
    db = dbFromDataSource(t.app.get(DataSource));
  }, SCENARIO_MS);

  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    await sim?.stop();
    if (catalog) rmSync(catalog, { recursive: true, force: true });
  });

  /** Ends with the service answering, a next run succeeding, nothing left in the work directory, and the invariants. */
  const serviceGoesOn = async () => {
    const next = await ended((await start('hello.yml')).id, 90_000);
    expect(next).toMatchObject({ status: 'successful', reason: null });
    expect(filesBelow(t.config.automation.workDir)).toEqual([]);
    checks += await checkInvariants({ api, db, providers: [{ providerId, vmNativeIds: sim.vmIds() }] });
  };

  it(
    'SIGKILL to ansible-runner: the run ends error with the reason, its process group and directory are gone, its events stay; a run beside it goes on',
    async () => {
      const victim = await start('long.yml');
      const bystander = await start('long.yml');
      const { events: eventsBefore, processes } = await inSecondTask(victim.id);
      const { processes: bystanderProcesses } = await inSecondTask(bystander.id);
      const runner = processes.find((p) => p.cmdline.includes('ansible-runner'))!;
      expect(runner).toBeDefined();
      expect(processes.some((p) => p.cmdline.includes('ansible-playbook'))).toBe(true);
      expect(filesBelow(t.config.automation.workDir).filter((file) => file.endsWith('env/ssh_key'))).toHaveLength(2);

      process.kill(runner.pid, 'SIGKILL');
      const run = await ended(victim.id, 30_000);
      expect(run.status).toBe('error');
      expect(run.reason).toMatch(/ansible-runner ended without a result \(killed by SIGKILL\)/);
      expect(run.finishedAt).not.toBeNull();
      await afterTheKill(run, eventsBefore, processes);

      // The run beside it was not touched: still running, its processes alive, then canceled.
      expect((await runOf(bystander.id)).status).toBe('running');
      expect(bystanderProcesses.every((p) => alive(p.pid))).toBe(true);
      expect((await t.http().post(`/api/v1/playbook-runs/${bystander.id}/cancel`).expect(202)).body.status).toBe('canceled');

      await serviceGoesOn();
      scenarios += 1;
    },
    SCENARIO_MS,
  );

  it(
    'SIGKILL to ansible-playbook under the runner: the run ends (failed or error) with a reason, nothing of it is left, the next run succeeds',
    async () => {
      const victim = await start('long.yml');
      const { events: eventsBefore, processes } = await inSecondTask(victim.id);
      const playbook = processes.find((p) => /ansible-playbook/.test(p.cmdline.split(' ').slice(0, 2).join(' ')))!;
      expect(playbook).toBeDefined();

      process.kill(playbook.pid, 'SIGKILL');
      const run = await ended(victim.id, 30_000);
      expect(['failed', 'error']).toContain(run.status);
      expect(run.reason).toEqual(expect.any(String));
      expect(run.reason!.length).toBeGreaterThan(10);
      console.log(`runner-kill: ansible-playbook killed → ${run.status}: ${run.reason}`);
      // The reason and the output speak of the play, not of runner's plumbing (ssh-add names the key's path).
      expect(run.reason).not.toMatch(/Identity added|ssh_key_data/);
      expect((await t.http().get(`/api/v1/playbook-runs/${run.id}/stdout`).expect(200)).text).not.toMatch(/Identity added|ssh_key_data/);
      await afterTheKill(run, eventsBefore, processes);
      await serviceGoesOn();
      scenarios += 1;
    },
    SCENARIO_MS,
  );
});

/** Is the process there and not a zombie (a zombie is as good as gone: it only waits for its parent to reap it)? */
function alive(pid: number): boolean {
  return processesMentioning('').some((p) => p.pid === pid);
}
