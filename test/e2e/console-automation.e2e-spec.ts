// The page.evaluate callbacks run in the browser and are typed against its DOM.
/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { EventCatcher } from '@hybridforms/discovery';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { ConsoleBrowser, describeInBrowser, VIEWPORTS } from '../support/console-browser.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Role = 'viewer' | 'operator' | 'admin';
type Vm = { id: string; name: string; nativeId: string; powerState: string; osFamily: string };
type Event = { id: string; type: string; vmId: string | null };
type Run = { id: string; status: string; hosts: { vmId: string }[]; skipped: { vmId: string; reason: string }[] };

const SUITE_MS = 120_000;

/**
 * The console's live pages in a real browser: the events page following /events/stream, and
 * playbook runs started on VMs picked in the inventory, their output followed live and canceled,
 * with real ansible-runner over real SSH to a loopback sshd (as the automation suite does).
 */
describeInBrowser('Operator console: live events and playbook runs (chromium → /console → API → ansible-runner → sshd)', () => {
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let t: TestApp;
  let browser: ConsoleBrowser;
  let providerId: string;
  let credentialId: string;
  const tokens: Record<Role, string> = {} as never;
  const catalog = mkdtempSync(join(tmpdir(), 'hf-console-catalog-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-console-automation-'));

  const api = async <T>(path: string): Promise<T> => (await t.http().get(`/api/v1${path}`).expect(200)).body as T;
  const vms = async (query: string) => (await api<{ items: Vm[] }>(`/vms?limit=500&${query}`)).items;
  const runs = async () => (await api<{ items: Run[] }>('/playbook-runs?limit=500')).items;
  const playbookId = async (file: string) => (await api<{ items: { id: string }[] }>('/playbooks')).items.find((p) => p.id.endsWith(`/${file}`))!.id;
  const signIn = (page: Page, role: Role, at?: string) => browser.signIn(page, tokens[role], at);
  const textOf = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
  const play = (name: string, tasks: string) =>
    `- name: ${name}\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n${tasks}`;
  /** Picks the playbook and the credential in the start-run form once their lists have loaded. */
  const choose = async (page: Page, file: string) => {
    const playbook = await playbookId(file);
    await page.waitForSelector(`#run-playbook option[value="${playbook}"]`);
    await page.waitForSelector(`#run-credential option[value="${credentialId}"]`);
    await page.select('#run-playbook', playbook);
    await page.select('#run-credential', credentialId);
  };
  const waitForRunStatus = (page: Page, status: string) =>
    page.waitForFunction((want: string) => document.querySelector('[data-testid="run-status"]')?.textContent === want, { timeout: 90_000 }, status);

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 12 });
    // One VM off, so a pick has one that the run leaves out.
    sim.setPowerState(sim.vmIds()[0], 'deallocated');
    sshd = await startLoopbackSshd();
    writeFileSync(join(catalog, 'hello.yml'), play('Say hello', '    - name: hello\n      ansible.builtin.command: echo hello from {{ inventory_hostname }}\n'));
    writeFileSync(join(catalog, 'slow.yml'), play('Take a while', '    - name: one\n      ansible.builtin.command: sleep 3\n    - name: two\n      ansible.builtin.command: sleep 3\n'));
    writeFileSync(join(catalog, 'long.yml'), play('Take long', '    - name: sleep\n      ansible.builtin.command: sleep 60\n'));
    t = await startTestApp({ ...QUIET_TELEMETRY, HYBRIDFORMS_PLAYBOOK_DIRS: catalog, HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}` }, { dataDir });
    await t.app.listen(0, '127.0.0.1');
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'console-azure')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    // The first poll takes in the simulator's history, so the events page has something to list.
    await t.app.get(EventCatcher).poll(providerId);
    credentialId = (
      await t
        .http()
        .post('/api/v1/machine-credentials')
        .send({ name: 'loopback', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine })
        .expect(201)
    ).body.id;
    tokens.admin = t.token;
    for (const role of ['viewer', 'operator'] as const) {
      tokens[role] = (await t.http().post('/api/v1/tokens').send({ name: `console-${role}`, role }).expect(201)).body.token;
    }
    browser = await ConsoleBrowser.launch(t);
  }, SUITE_MS);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sshd?.stop();
    await sim?.stop();
    rmSync(catalog, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the stored events newest first, then shows new ones as they are stored, without a reload', async () => {
    const stored = (await api<{ items: Event[] }>('/events?limit=50')).items;
    expect(stored.length).toBeGreaterThan(0);
    const page = await browser.openTab();
    await signIn(page, 'viewer', '/events');
    await page.waitForSelector('[data-testid="stream-state"][data-state="live"]');
    expect(await page.$$eval('tbody tr[data-event-id]', (rows) => rows.map((r) => r.getAttribute('data-event-id')))).toEqual(stored.map((e) => e.id));

    const [vm] = await vms('osFamily=rhel&powerState=running');
    sim.restartVm(sim.vmIds().find((id) => id.toLowerCase() === vm.nativeId.toLowerCase())!);
    await t.app.get(EventCatcher).poll(providerId);
    const restarts = (await api<{ items: Event[] }>(`/events?type=vm.restarted&vm=${vm.id}`)).items;
    expect(restarts.length).toBeGreaterThan(0);
    await page.waitForFunction((ids: string[]) => ids.every((id) => document.querySelector(`tbody tr[data-event-id="${id}"]`)), {}, restarts.map((e) => e.id));
    // Live ones go on top, and the VM they are about is linked.
    const shownFirst = await page.$$eval('tbody tr[data-event-id]', (rows) => rows.slice(0, 2).map((r) => r.getAttribute('data-event-id')));
    expect(new Set(shownFirst)).toEqual(new Set(restarts.slice(0, 2).map((e) => e.id)));
    expect(await page.$eval(`tbody tr[data-event-id="${restarts[0].id}"] a`, (a) => a.getAttribute('href'))).toBe(`#/vms/${vm.id}`);
    await browser.screenshot(page, 'events-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await browser.screenshot(page, 'events-narrow');

    // The type filter narrows both the page and the stream.
    await page.setViewport(VIEWPORTS.wide);
    await page.select('#filter-type', 'vm.restarted');
    await page.click('.filter-buttons button[type="submit"]');
    await page.waitForFunction(() => location.hash.includes('type=vm.restarted'));
    await page.waitForSelector('[data-testid="stream-state"][data-state="live"]');
    const onlyRestarts = (await api<{ items: Event[] }>('/events?type=vm.restarted&limit=50')).items;
    await page.waitForFunction((n: number) => document.querySelectorAll('tbody tr[data-event-id]').length === n, {}, onlyRestarts.length);
    expect(await page.$$eval('tbody tr[data-event-id]', (rows) => rows.map((r) => r.getAttribute('data-event-id')))).toEqual(onlyRestarts.map((e) => e.id));
    await page.browserContext().close();
  }, SUITE_MS);

  it('starts a run on VMs picked in the inventory, and shows its output live until it ends', async () => {
    const [running] = await vms('osFamily=rhel&powerState=running');
    const [off] = await vms('powerState=deallocated');
    const page = await browser.openTab();
    await signIn(page, 'operator');
    await page.waitForSelector(`tr[data-vm-id="${running.id}"] input[type="checkbox"]`);
    expect(await page.$('[data-action="run-picked"][disabled]')).not.toBeNull();
    await page.click(`tr[data-vm-id="${running.id}"] input[type="checkbox"]`);
    await page.click(`tr[data-vm-id="${off.id}"] input[type="checkbox"]`);
    expect(await textOf(page, '[data-action="run-picked"]')).toContain('2 selected');
    await page.click('[data-action="run-picked"]');
    await choose(page, 'slow.yml');
    await browser.screenshot(page, 'start-run-wide');
    const before = (await runs()).length;
    await page.click('[data-testid="start-run"] button[type="submit"]');
    await page.waitForFunction(() => /^#\/runs\/[0-9a-f-]{36}$/.test(location.hash));
    const runId = await page.evaluate(() => location.hash.slice('#/runs/'.length));
    expect(await runs()).toHaveLength(before + 1);

    // The first task's output is on the page while the run is still going: it came live.
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="run-output"]')?.textContent ?? '').includes('TASK [one]') && document.querySelector('[data-testid="run-status"]')?.textContent === 'running',
      { timeout: 60_000 },
    );
    await waitForRunStatus(page, 'successful');
    const run = await api<Run>(`/playbook-runs/${runId}`);
    expect(run.status).toBe('successful');
    expect(run.hosts.map((h) => h.vmId)).toEqual([running.id]);
    expect(run.skipped).toEqual([expect.objectContaining({ vmId: off.id, reason: 'powered-off' })]);
    expect(await page.$$eval('tr[data-host-vm-id]', (rows) => rows.map((r) => r.getAttribute('data-host-vm-id')))).toEqual([running.id]);
    // Everything Ansible wrote is shown in the run's order (live events may arrive out of it), without its colour codes.
    const events = (await api<{ items: { stdout: string | null }[] }>(`/playbook-runs/${runId}/events?limit=500`)).items;
    const shown = await textOf(page, '[data-testid="run-output"]');
    const expected = events
      .map((e) => e.stdout)
      .filter((s): s is string => !!s)
      .map((s) => `${s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')}\n`)
      .join('');
    expect(shown).toBe(expected);
    expect(shown).toContain('TASK [two]');
    expect(shown).not.toContain('\u001b');
    await browser.screenshot(page, 'run-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await browser.screenshot(page, 'run-narrow');
    await page.browserContext().close();
  }, SUITE_MS);

  it('runs on every VM matching the filters, and cancels the run from its page', async () => {
    const [target] = await vms('osFamily=rhel&powerState=running');
    const page = await browser.openTab();
    await signIn(page, 'operator', `/inventory?q=${encodeURIComponent(target.name)}`);
    await page.waitForFunction(() => /1 matching/.test(document.querySelector('[data-testid="vm-count"]')?.textContent ?? ''));
    await page.click('[data-action="run-matching"]');
    await choose(page, 'long.yml');
    await page.click('[data-testid="start-run"] button[type="submit"]');
    await page.waitForFunction(() => /^#\/runs\//.test(location.hash));
    const runId = await page.evaluate(() => location.hash.slice('#/runs/'.length));
    const asked = await api<Run & { targets: { selector: Record<string, unknown> } }>(`/playbook-runs/${runId}`);
    expect(asked.targets.selector).toMatchObject({ q: target.name });
    expect(asked.hosts.map((h) => h.vmId)).toEqual([target.id]);

    await page.waitForFunction(() => (document.querySelector('[data-testid="run-output"]')?.textContent ?? '').includes('TASK [sleep]'), { timeout: 60_000 });
    await page.click('[data-action="cancel-run"]');
    await waitForRunStatus(page, 'canceled');
    expect((await api<Run>(`/playbook-runs/${runId}`)).status).toBe('canceled');
    await page.waitForSelector('[data-testid="stream-state"][data-state="ended"]');
    expect(await page.$('[data-action="cancel-run"]')).toBeNull();
    await page.browserContext().close();
  }, SUITE_MS);

  it("starts a run from a VM's page on that VM alone", async () => {
    const [, vm] = await vms('osFamily=rhel&powerState=running');
    const page = await browser.openTab();
    await signIn(page, 'operator', `/vms/${vm.id}`);
    await page.waitForSelector('[data-action="run-vm"]');
    await page.click('[data-action="run-vm"]');
    expect(await textOf(page, '#start-run-title')).toContain(vm.name);
    await choose(page, 'hello.yml');
    await page.click('[data-testid="start-run"] button[type="submit"]');
    await page.waitForFunction(() => /^#\/runs\//.test(location.hash));
    await waitForRunStatus(page, 'successful');
    const runId = await page.evaluate(() => location.hash.slice('#/runs/'.length));
    expect((await api<Run>(`/playbook-runs/${runId}`)).hosts.map((h) => h.vmId)).toEqual([vm.id]);
    expect(await textOf(page, '[data-testid="run-output"]')).toContain('TASK [hello]');
    await page.browserContext().close();
  }, SUITE_MS);

  it('refuses extra vars that are not a JSON object before asking the API, and shows the API refusal of a bad limit', async () => {
    const page = await browser.openTab('narrow');
    await signIn(page, 'operator');
    await page.waitForSelector('tbody tr[data-vm-id] input[type="checkbox"]');
    await page.click('tbody tr[data-vm-id] input[type="checkbox"]');
    await page.click('[data-action="run-picked"]');
    await choose(page, 'hello.yml');
    await page.type('#run-extra-vars', '[1, 2]');
    const before = (await runs()).length;
    await page.click('[data-testid="start-run"] button[type="submit"]');
    await page.waitForSelector('[data-testid="start-run"] [role="alert"]');
    expect(await textOf(page, '[data-testid="start-run"] [role="alert"]')).toContain('JSON object');

    await page.$eval('#run-extra-vars', (el) => {
      (el as HTMLTextAreaElement).value = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.type('#run-limit', 'web;rm -rf /');
    await page.click('[data-testid="start-run"] button[type="submit"]');
    await page.waitForFunction(() => /limit/i.test(document.querySelector('[data-testid="start-run"] [role="alert"]')?.textContent ?? ''));
    expect(await runs()).toHaveLength(before);
    // Nothing started: the page stays on the inventory with the form and what was typed.
    expect(await textOf(page, 'h1')).toBe('Inventory');
    expect(await page.$eval('#run-limit', (el) => (el as HTMLInputElement).value)).toBe('web;rm -rf /');
    await browser.screenshot(page, 'start-run-refused-narrow');
    // The API's 400 is logged by the browser itself as a failed resource: not a console fault.
    browser.problems.splice(0, browser.problems.length, ...browser.problems.filter((p) => !/status of 400/.test(p)));
    await page.browserContext().close();
  }, SUITE_MS);

  it('lists the runs as the API has them', async () => {
    const expected = (await api<{ items: Run[] }>('/playbook-runs?limit=50')).items;
    const page = await browser.openTab();
    await signIn(page, 'viewer', '/runs');
    await page.waitForSelector('tbody tr[data-run-id]');
    expect(await page.$$eval('tbody tr[data-run-id]', (rows) => rows.map((r) => r.getAttribute('data-run-id')))).toEqual(expected.map((r) => r.id));
    expect(await page.$$eval('tbody tr[data-run-id] .badge', (badges) => badges.map((b) => b.textContent))).toEqual(expected.map((r) => r.status));
    await browser.screenshot(page, 'runs-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await browser.screenshot(page, 'runs-narrow');
    await page.browserContext().close();
  }, SUITE_MS);

  it('offers a viewer no run to start and no cancel, even on a run that is going', async () => {
    const [vm] = await vms('osFamily=rhel&powerState=running');
    const started = (
      await t
        .http()
        .post('/api/v1/playbook-runs')
        .send({ playbook: await playbookId('long.yml'), credentialId, targets: { vmIds: [vm.id] } })
        .expect(202)
    ).body as Run;
    const page = await browser.openTab();
    await signIn(page, 'viewer');
    await page.waitForSelector('tbody tr[data-vm-id]');
    expect(await page.$$('tbody input[type="checkbox"]')).toEqual([]);
    expect(await page.$$('[data-action]')).toEqual([]);
    await browser.go(page, `/runs/${started.id}`);
    await page.waitForFunction(() => (document.querySelector('[data-testid="run-output"]')?.textContent ?? '').includes('TASK [sleep]'), { timeout: 60_000 });
    expect(await textOf(page, '[data-testid="run-status"]')).toBe('running');
    expect(await page.$$('[data-action]')).toEqual([]);
    await t.http().post(`/api/v1/playbook-runs/${started.id}/cancel`).expect(202);
    await waitForRunStatus(page, 'canceled');
    await page.browserContext().close();
  }, SUITE_MS);

  it('raised no console error, uncaught exception, failed request or CSP violation on any page', () => {
    expect(browser.problems).toEqual([]);
  });
});
