import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { EventCatcher } from '@hybridforms/discovery';
import { PlaybookRunEntity } from '@hybridforms/persistence';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Vm = { id: string; name: string; powerState: string; osFamily: string };
type Run = {
  id: string;
  status: string;
  reason: string | null;
  hosts: { vmId: string; inventoryName: string; summary: { ok: number; changed: number; failed: number; unreachable: number } | null }[];
  skipped: { vmId: string; reason: string }[];
  startedAt: string | null;
  finishedAt: string | null;
  eventCount: number;
};

const RUN_MS = 120_000;

/**
 * Playbook runs through the API, with real ansible-runner and real SSH: the VMs discovered from the
 * Azure simulator are mapped to an OpenSSH server on a loopback port (HYBRIDFORMS_AUTOMATION_SSH_TARGET).
 */
describe('Playbook runs end to end (API → run queue → ansible-runner → SSH to a loopback sshd)', () => {
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let t: TestApp;
  let credentialId: string;
  let providerId: string;
  let catalog: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-automation-'));

  const play = (name: string, tasks: string) =>
    `- name: ${name}\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n${tasks}`;
  const vms = async (query: string): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&${query}`).expect(200)).body.items;
  const runOf = async (id: string): Promise<Run> => (await t.http().get(`/api/v1/playbook-runs/${id}`).expect(200)).body;
  const waitForRun = async (id: string, timeoutMs = 90_000): Promise<Run> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await runOf(id);
      if (!['queued', 'running'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const start = async (body: Record<string, unknown>): Promise<Run> =>
    (await t.http().post('/api/v1/playbook-runs').send({ credentialId, ...body }).expect(202)).body;
  const oneRhelVm = async () => (await vms('osFamily=rhel&powerState=running'))[0];

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 12 });
    // One VM off, so a selection has one to skip.
    sim.setPowerState(sim.vmIds()[0], 'deallocated');
    sshd = await startLoopbackSshd();
    catalog = mkdtempSync(join(tmpdir(), 'hf-catalog-'));
    writeFileSync(join(catalog, 'hello.yml'), play('Say hello', '    - name: hello\n      ansible.builtin.command: echo hello from {{ inventory_hostname }}\n'));
    writeFileSync(join(catalog, 'echo.yml'), play('Echo a message', '    - name: echo\n      ansible.builtin.debug:\n        msg: "{{ message }}"\n'));
    writeFileSync(join(catalog, 'fail.yml'), play('Fail on purpose', '    - name: boom\n      ansible.builtin.fail:\n        msg: boom\n'));
    writeFileSync(join(catalog, 'slow.yml'), play('Take a while', '    - name: one\n      ansible.builtin.command: sleep 2\n    - name: two\n      ansible.builtin.command: sleep 2\n'));
    writeFileSync(join(catalog, 'long.yml'), play('Take long', '    - name: sleep\n      ansible.builtin.command: sleep 60\n'));
    mkdirSync(join(catalog, 'nested'));
    symlinkSync('/etc', join(catalog, 'nested', 'etc'));
    t = await startTestApp(
      {
        HYBRIDFORMS_PLAYBOOK_DIRS: catalog,
        HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`,
        HYBRIDFORMS_RUN_CONCURRENCY: '2',
      },
      { dataDir },
    );
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    const credential = await t
      .http()
      .post('/api/v1/machine-credentials')
      .send({ name: 'loopback', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine })
      .expect(201);
    credentialId = credential.body.id;
    expect(JSON.stringify(credential.body)).not.toContain('PRIVATE KEY');
  }, RUN_MS);

  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    await sim?.stop();
    rmSync(catalog, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the catalog and runs a playbook over SSH against a selection, skipping powered-off VMs', async () => {
    const playbooks = (await t.http().get('/api/v1/playbooks').expect(200)).body.items as { id: string; description: string }[];
    const hello = playbooks.find((p) => p.id.endsWith('/hello.yml'))!;
    expect(hello.description).toBe('Say hello');

    const [running] = await vms('osFamily=rhel&powerState=running');
    const stopped = (await vms('')).find((vm) => vm.powerState !== 'running')!;
    const queued = await start({ playbook: hello.id, targets: { vmIds: [running.id, stopped.id] } });
    expect(queued.status).toBe('queued');
    expect(queued.skipped).toEqual([expect.objectContaining({ vmId: stopped.id, reason: 'powered-off' })]);
    const run = await waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'successful', reason: null });
    expect(run.hosts).toHaveLength(1);
    expect(run.hosts[0]).toMatchObject({ vmId: running.id, summary: { ok: 1, changed: 1, failed: 0, unreachable: 0 } });

    const page1 = (await t.http().get(`/api/v1/playbook-runs/${run.id}/events?limit=3`).expect(200)).body;
    const page2 = (await t.http().get(`/api/v1/playbook-runs/${run.id}/events?limit=500&cursor=${page1.nextCursor}`).expect(200)).body;
    const events = [...page1.items, ...page2.items] as { counter: number; event: string; stdout: string; data: { res?: { stdout?: string } } }[];
    expect(events.map((e) => e.counter)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['playbook_on_start', 'runner_on_ok', 'playbook_on_stats']));
    expect(run.eventCount).toBe(events.length);
    const stdout = await t.http().get(`/api/v1/playbook-runs/${run.id}/stdout`).expect(200);
    expect(stdout.text).toContain('TASK [hello]');
    expect(events.find((e) => e.event === 'runner_on_ok')?.data.res?.stdout).toBe(`hello from ${run.hosts[0].inventoryName}`);
  }, RUN_MS);

  it('runs by selector with the /vms filters, and reports a failed task as failed', async () => {
    const failBook = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/fail.yml'));
    const queued = await start({ playbook: failBook.id, targets: { selector: { osFamily: 'rhel', powerState: 'running' } } });
    const rhel = await vms('osFamily=rhel&powerState=running');
    expect(queued.hosts.map((h) => h.vmId).sort()).toEqual(rhel.map((vm) => vm.id).sort());
    const run = await waitForRun(queued.id);
    expect(run.status).toBe('failed');
    expect(run.hosts.every((h) => h.summary?.failed === 1)).toBe(true);
  }, RUN_MS);

  it('never lets extra vars template commands, and refuses hostile input with 400 and nothing stored', async () => {
    const vm = await oneRhelVm();
    const list = async () => (await t.http().get('/api/v1/playbook-runs?limit=500').expect(200)).body.items.length as number;
    const before = await list();
    const echo = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/echo.yml')).id as string;
    for (const body of [
      { playbook: '../etc/passwd', targets: { vmIds: [vm.id] } },
      { playbook: '/etc/passwd', targets: { vmIds: [vm.id] } },
      { playbook: echo.replace('echo.yml', 'nested/etc/hosts'), targets: { vmIds: [vm.id] } },
      { playbook: echo, targets: { vmIds: [vm.id] }, extraVars: { ansible_ssh_common_args: '-o ProxyCommand=id' } },
      { playbook: echo, targets: { vmIds: [vm.id] }, extraVars: { hostvars: 1 } },
      { playbook: echo, targets: { vmIds: [vm.id] }, limit: '@/etc/passwd' },
      { playbook: echo, targets: { vmIds: [vm.id] }, limit: 'a;id' },
      { playbook: echo, targets: { vmIds: [vm.id], selector: {} } },
      { playbook: echo, targets: { vmIds: [vm.id] }, credentialId: '00000000-0000-4000-8000-000000000000' },
    ]) {
      const res = await t.http().post('/api/v1/playbook-runs').send({ credentialId, ...body });
      expect([body, res.status]).toEqual([body, res.status === 404 ? 404 : 400]);
      expect(res.body.message).toBeDefined();
    }
    expect(await list()).toBe(before);

    const queued = await start({ playbook: echo, targets: { vmIds: [vm.id] }, extraVars: { message: "{{ lookup('pipe', 'id -un') }}" } });
    const run = await waitForRun(queued.id);
    expect(run.status).toBe('successful');
    const stdout = (await t.http().get(`/api/v1/playbook-runs/${run.id}/stdout`).expect(200)).text;
    expect(stdout).toContain("{{ lookup('pipe', 'id -un') }}");
  }, RUN_MS);

  it('streams events over SSE while the run is still going, and ends the stream with the outcome', async () => {
    const slow = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/slow.yml')).id;
    const queued = await start({ playbook: slow, targets: { vmIds: [(await oneRhelVm()).id] } });
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const frames: { at: number; type: string; data: { event?: string; status?: string } }[] = [];
      await new Promise<void>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: `/api/v1/playbook-runs/${queued.id}/events`, headers: { accept: 'text/event-stream', ...t.authHeaders } }, (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            const parts = text.split('\n\n');
            text = parts.pop() ?? '';
            for (const part of parts) {
              const lines = part.split('\n');
              const type = lines.find((l) => l.startsWith('event: '))?.slice(7);
              const data = lines.find((l) => l.startsWith('data: '));
              if (type && data) frames.push({ at: Date.now(), type, data: JSON.parse(data.slice(6)) });
            }
          });
          res.on('end', resolve);
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
      const run = await runOf(queued.id);
      expect(run.status).toBe('successful');
      const end = frames[frames.length - 1];
      expect(end).toMatchObject({ type: 'end', data: { status: 'successful' } });
      const firstOk = frames.find((f) => f.data.event === 'runner_on_ok')!;
      // The first task's result arrived while the second task (2 s) was still running.
      expect(firstOk.at).toBeLessThan(Date.parse(run.finishedAt!) - 1000);
      expect(frames.filter((f) => f.type === 'event').length).toBe(run.eventCount);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, RUN_MS);

  it('cancels a running run (process group stopped), keeps at most `concurrency` running, and leaves no key on disk', async () => {
    const long = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/long.yml')).id;
    const vm = await oneRhelVm();
    const runs = [await start({ playbook: long, targets: { vmIds: [vm.id] } }), await start({ playbook: long, targets: { vmIds: [vm.id] } }), await start({ playbook: long, targets: { vmIds: [vm.id] } })];
    const deadline = Date.now() + 30_000;
    while ((await runOf(runs[1].id)).status !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const states = await Promise.all(runs.map((r) => runOf(r.id)));
    expect(states.map((r) => r.status)).toEqual(['running', 'running', 'queued']);

    // The queued one is canceled at once; the running ones through their process groups.
    expect((await t.http().post(`/api/v1/playbook-runs/${runs[2].id}/cancel`).expect(202)).body.status).toBe('canceled');
    const canceled = await Promise.all(runs.slice(0, 2).map(async (r) => (await t.http().post(`/api/v1/playbook-runs/${r.id}/cancel`).expect(202)).body as Run));
    expect(canceled.map((r) => r.status)).toEqual(['canceled', 'canceled']);
    await t.http().post(`/api/v1/playbook-runs/${runs[0].id}/cancel`).expect(409);
    // Nothing of ours is left on the controller: no runner, no ansible-playbook of these runs. (The module's
    // `sleep` on the target — here this same machine, behind sshd — ends on its own, as on a real host.)
    const ours = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          // Every process of a run names its private data directory (under workDir) on its command line.
          return cmdline.includes(t.config.automation.workDir);
        } catch {
          return false;
        }
      });
    expect(ours).toEqual([]);
    expect(readdirSync(t.config.automation.workDir)).toEqual([]);
  }, RUN_MS);

  it('fires a rule once for a burst of events about the same VM, and records which rule and event made the run', async () => {
    const RULE_SECRET = 'rule-db-secret-8d1f2c';
    const hello = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/hello.yml')).id;
    await t.http().post('/api/v1/automation-rules').send({ name: 'bad', on: { type: 'vm.exploded' }, playbook: hello, credentialId }).expect(400);
    await t.http().post('/api/v1/automation-rules').send({ name: 'bad', on: { type: 'vm.restarted' }, playbook: '../hello.yml', credentialId }).expect(400);
    const rule = (
      await t
        .http()
        .post('/api/v1/automation-rules')
        .send({ name: 'hello-on-restart', on: { provider: providerId, type: 'vm.restarted', osFamily: 'rhel' }, playbook: hello, credentialId, extraVars: { who: 'rule', db_password: RULE_SECRET } })
        .expect(201)
    ).body;
    // A secret-like extra var of a rule is sealed at rest and never shown; the run it makes gets the value.
    expect(rule.extraVars).toEqual({ who: 'rule', db_password: '***' });
    expect(JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM automation_rules'))).not.toContain(RULE_SECRET);
    const [vm, other] = await vms('osFamily=rhel&powerState=running');
    const simIdOf = (id: string) => sim.vmIds().find((simId) => simId.toLowerCase() === id)!;
    const vmNative = (await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body.nativeId as string;
    const otherNative = (await t.http().get(`/api/v1/vms/${other.id}`).expect(200)).body.nativeId as string;
    const ruleRuns = async () => ((await t.http().get('/api/v1/playbook-runs?limit=500').expect(200)).body.items as (Run & { trigger: string; ruleId: string; eventId: string; targets: { vmIds: string[] } })[]).filter((r) => r.trigger === 'rule');

    // The first poll also takes in the simulator's history (no restarts in it).
    for (let i = 0; i < 4; i++) sim.restartVm(simIdOf(vmNative));
    expect(await t.app.get(EventCatcher).poll(providerId)).toMatchObject({ status: 'stored' });
    const restarts = (await t.http().get(`/api/v1/vms/${vm.id}/events?type=vm.restarted`).expect(200)).body.items;
    expect(restarts).toHaveLength(8);
    let deadline = Date.now() + 10_000;
    while ((await ruleRuns()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000)); // anything else the burst might have fired
    const fired = await ruleRuns();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ ruleId: rule.id, targets: { vmIds: [vm.id] }, extraVars: { who: 'rule', db_password: '***' } });
    const event = (await t.http().get(`/api/v1/events/${fired[0].eventId}`).expect(200)).body;
    expect(event).toMatchObject({ type: 'vm.restarted', vmId: vm.id });
    expect((await waitForRun(fired[0].id)).status).toBe('successful');
    // The audit log says which rule started the run, on which event.
    const audited = (await t.http().get(`/api/v1/audit?action=playbook-run.start&targetId=${fired[0].id}`).expect(200)).body.items;
    expect(audited).toEqual([expect.objectContaining({ actor: `rule:${rule.id}`, outcome: 'success', detail: { ruleId: rule.id, eventId: fired[0].eventId, vmId: vm.id } })]);

    // The cooldown is per VM: another VM's restart fires again.
    sim.restartVm(simIdOf(otherNative));
    await t.app.get(EventCatcher).poll(providerId);
    deadline = Date.now() + 10_000;
    while ((await ruleRuns()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const again = await ruleRuns();
    expect(again).toHaveLength(2);
    expect(again.map((r) => r.targets.vmIds[0]).sort()).toEqual([vm.id, other.id].sort());
    await Promise.all(again.map((r) => waitForRun(r.id)));
  }, RUN_MS);

  it('marks a run left running by a dead process as error at the next start, and never runs it again', async () => {
    const ds = t.app.get(DataSource);
    const vm = await oneRhelVm();
    const hello = (await t.http().get('/api/v1/playbooks').expect(200)).body.items.find((p: { id: string }) => p.id.endsWith('/hello.yml')).id;
    const done = await waitForRun((await start({ playbook: hello, targets: { vmIds: [vm.id] } })).id);
    await ds.getRepository(PlaybookRunEntity).update({ id: done.id }, { status: 'running', finishedAt: null, owner: 'gone-host:4242' });
    const env = { HYBRIDFORMS_PLAYBOOK_DIRS: catalog, HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`, HYBRIDFORMS_RUN_CONCURRENCY: '2' };
    await t.close();
    t = await startTestApp(env, { dataDir });
    const after = await runOf(done.id);
    expect(after.status).toBe('error');
    expect(after.reason).toMatch(/gone-host:4242.*not run again/);
  }, RUN_MS);
});
