// The page.evaluate callbacks run in the browser and are typed against its DOM.
/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';
import { RunProvisionRequest } from '@hybridforms/provisioning';
import { AzureSimulator } from '@hybridforms/testing';
import { ConsoleBrowser, describeInBrowser, VIEWPORTS } from '../support/console-browser.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Role = 'viewer' | 'operator' | 'admin';
type Vm = { id: string; nativeId: string; name: string; powerState: string };
type Step = { name: string; status: string };
type Operation = { id: string; kind: string; action: string; vmId: string | null; vmName: string; status: string; steps: Step[]; errorCode: string | null; error: string | null };
type ProvisionRequest = { id: string; status: string; decidedBy: string | null; reason: string | null; tasks: Operation[] };

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';
const LOCATION = 'eastus';
const RUN_MS = 120_000;

describeInBrowser('Console operations and provisioning pages in a real browser (chromium → /console → API → Azure simulator)', () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let browser: ConsoleBrowser;
  let providerId: string;
  let subnetId: string;
  let adminName: string;
  const tokens: Record<Role, string> = {} as never;

  const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });
  const api = async <T>(path: string): Promise<T> => (await t.http().get(`/api/v1${path}`).expect(200)).body as T;
  const vms = async (query: string): Promise<Vm[]> => (await api<{ items: Vm[] }>(`/vms?limit=100&${query}`)).items;
  const simIdOf = (vm: Vm) => sim.vmIds().find((id) => id.toLowerCase() === vm.nativeId)!;
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const submit = async (name: string): Promise<ProvisionRequest> =>
    (
      await t
        .http()
        .post('/api/v1/provision-requests')
        .set(as('operator'))
        .send({
          provider: providerId,
          source: `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`,
          name,
          // Not one of autoApproveVmSizes: the request waits for an admin.
          size: { vmSize: 'Standard_B2ms' },
          placement: { resourceGroup: 'rg-net', location: LOCATION, subnetId },
          admin: { username: 'cloud-user', sshPublicKey: KEY },
          userData: '#cloud-config\nruncmd:\n  - echo activation-key-s3cr3t\n',
        })
        .expect(201)
    ).body;

  /** Signs in on the inventory, then moves by the fragment: a page that follows a stream never goes network-idle. */
  async function open(role: Role, route: string, viewport: keyof typeof VIEWPORTS = 'wide'): Promise<Page> {
    const page = await browser.openTab(viewport);
    await browser.signIn(page, tokens[role]);
    await go(page, route);
    return page;
  }
  /** Moves to `route` and waits until the new page has rendered and loaded. */
  async function go(page: Page, route: string): Promise<void> {
    await page.evaluate(
      (to: string) =>
        new Promise<void>((resolve) => {
          addEventListener('hashchange', () => requestAnimationFrame(() => setTimeout(resolve, 0)), { once: true });
          location.hash = to;
        }),
      `#${route}`,
    );
    await page.waitForFunction(() => !document.querySelector('.state-loading'));
  }
  const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
  const actionsOn = (page: Page) => page.$$eval('main [data-action]', (buttons) => buttons.map((b) => b.getAttribute('data-action')));
  /** A mark only a full page load would lose: the page was updated in place, not reloaded. */
  const mark = (page: Page) => page.evaluate(() => ((window as unknown as { hfMark: number }).hfMark = 1));
  const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { hfMark?: number }).hfMark === 1);
  async function shots(page: Page, name: string): Promise<void> {
    await page.setViewport(VIEWPORTS.wide);
    await browser.screenshot(page, `${name}-wide`);
    await page.setViewport(VIEWPORTS.narrow);
    await browser.screenshot(page, `${name}-narrow`);
    await page.setViewport(VIEWPORTS.wide);
  }

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 6, operationDelayMs: 1000, operationRetryAfterSeconds: 1 });
    subnetId = sim.addSubnet(sim.subscriptionIds[0], 'rg-net', 'vnet-console');
    t = await startTestApp(QUIET_TELEMETRY);
    await t.app.listen(0, '127.0.0.1');
    const request = azureProviderRequest(sim, 'console-ops-azure');
    const created = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...request, config: { ...request.config, locations: [LOCATION] } })
      .expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    tokens.admin = t.token;
    adminName = (await api<{ name: string }>('/whoami')).name;
    for (const role of ['viewer', 'operator'] as const) {
      tokens[role] = (await t.http().post('/api/v1/tokens').send({ name: `console-ops-${role}`, role }).expect(201)).body.token;
    }
    browser = await ConsoleBrowser.launch(t);
  }, RUN_MS);

  afterAll(async () => {
    await browser?.close();
    await t?.app.get(RunProvisionRequest).idle();
    await t?.close();
    await sim?.stop();
  }, RUN_MS);

  it(
    'shows an operator the power action it started, followed live until it ends, with the rows, links and filters the API has',
    async () => {
      // Slow enough that the page sees it active and must follow it.
      sim.setVmOperationTiming({ delayMs: 4000, retryAfterSeconds: 1 });
      const [vm] = await vms('powerState=running');
      const started = (await t.http().post(`/api/v1/vms/${vm.id}/actions`).set(as('operator')).send({ action: 'stop' }).expect(202)).body as Operation;
      const page = await open('operator', '/operations');
      const row = `tr[data-operation-id="${started.id}"]`;
      await page.waitForSelector(row);
      expect(['queued', 'running']).toContain(await page.$eval(row, (el) => el.getAttribute('data-status')));
      await page.waitForFunction(() => document.querySelector('[data-testid="stream-state"]')?.textContent === 'Live');
      await mark(page);
      await page.waitForFunction((selector: string) => document.querySelector(selector)?.getAttribute('data-status') === 'succeeded', { timeout: 30_000 }, row);
      expect(await stillMarked(page)).toBe(true);
      // Nothing active is shown any more: the page stops following.
      await page.waitForFunction(() => !document.querySelector('[data-testid="stream-state"]'));
      sim.setVmOperationTiming({ delayMs: 1000 });

      const listed = await api<{ items: Operation[] }>('/operations?limit=50');
      expect(listed.items[0]).toMatchObject({ id: started.id, action: 'stop', status: 'succeeded', vmId: vm.id });
      const rows = await page.$$eval('tbody tr[data-operation-id]', (trs) =>
        trs.map((tr) => ({
          id: tr.getAttribute('data-operation-id'),
          what: tr.querySelector('td:first-child a')?.textContent,
          vm: tr.querySelector('td:nth-child(2) a')?.getAttribute('href'),
          status: tr.querySelector('.badge')?.textContent,
        })),
      );
      expect(rows).toEqual(listed.items.map((op) => ({ id: op.id, what: `${op.kind} · ${op.action}`, vm: `#/vms/${op.vmId}`, status: op.status })));
      expect(await text(page, `${row} td:nth-child(2)`)).toBe(vm.name);

      // The filters are controls bound to the link.
      await page.select('#filter-status', 'succeeded');
      await page.select('#filter-kind', 'vm-action');
      await page.click('.filter-buttons button[type="submit"]');
      await page.waitForFunction(() => location.hash.includes('status=succeeded') && location.hash.includes('kind=vm-action'));
      await page.waitForSelector('tbody tr[data-operation-id]');
      const filtered = await api<{ items: Operation[] }>('/operations?status=succeeded&kind=vm-action&limit=50');
      expect(await page.$$eval('tbody tr[data-operation-id]', (trs) => trs.map((tr) => tr.getAttribute('data-operation-id')))).toEqual(filtered.items.map((op) => op.id));
      await go(page, '/operations?status=canceled');
      await page.waitForSelector('.state-empty');
      expect(await page.$eval('#filter-status', (el) => (el as HTMLSelectElement).value)).toBe('canceled');
      await go(page, '/operations');
      await page.waitForSelector(row);
      await shots(page, 'operations');

      await page.click(`${row} td:first-child a`);
      await page.waitForSelector('[data-testid="operation-status"]');
      expect(await text(page, '[data-testid="operation-status"]')).toBe('succeeded');
      const detail = await api<Operation>(`/operations/${started.id}`);
      expect(await page.$$eval('.steps-table tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-step'), tr.getAttribute('data-step-status')]))).toEqual(
        detail.steps.map((step) => [step.name, step.status]),
      );
      await page.browserContext().close();
    },
    RUN_MS,
  );

  it(
    'lets an operator resume a failed operation at the failed step until it succeeds, and offers a viewer no Resume',
    async () => {
      const [vm] = await vms('powerState=running');
      sim.failVmOperations({ vmId: simIdOf(vm), action: 'restart', times: 1, error: { code: 'OSProvisioningTimedOut', message: 'OS Provisioning for VM did not finish in the allotted time.' } });
      const started = (await t.http().post(`/api/v1/vms/${vm.id}/actions`).set(as('operator')).send({ action: 'restart' }).expect(202)).body as Operation;
      const failed = await until(
        () => api<Operation>(`/operations/${started.id}`),
        (op) => op.status === 'failed' && op.steps.every((step) => ['done', 'failed'].includes(step.status)),
        'the restart',
      );
      expect(failed.error).toContain('OSProvisioningTimedOut');

      const viewer = await open('viewer', `/operations/${started.id}`);
      await viewer.waitForSelector('[data-testid="operation-status"]');
      expect(await text(viewer, '[data-testid="operation-status"]')).toBe('failed');
      expect(await text(viewer, '[data-testid="operation-error"]')).toContain('OSProvisioningTimedOut');
      expect(await actionsOn(viewer)).toEqual([]);
      await go(viewer, '/operations?status=failed');
      await viewer.waitForSelector(`tr[data-operation-id="${started.id}"]`);
      expect(await actionsOn(viewer)).toEqual([]);
      expect(await viewer.$$eval('thead th', (ths) => ths.map((th) => th.textContent))).not.toContain('Actions');
      await viewer.browserContext().close();

      const page = await open('operator', '/operations?status=failed');
      await page.waitForSelector(`tr[data-operation-id="${started.id}"] [data-action="resume"]`);
      await go(page, `/operations/${started.id}`);
      expect(await page.$$eval('.steps-table tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-step'), tr.getAttribute('data-step-status')]))).toEqual([
        ['restart', 'failed'],
        ['refresh', 'done'],
      ]);
      await shots(page, 'operation-failed');
      const restartsBefore = sim.vmOperations().filter((op) => op.action === 'restart').length;
      await mark(page);
      await page.click('[data-action="resume"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="operation-status"]')?.textContent === 'succeeded', { timeout: 30_000 });
      expect(await stillMarked(page)).toBe(true);
      expect(await page.$('[data-action="resume"]')).toBeNull();
      const resumed = await api<Operation>(`/operations/${started.id}`);
      expect(resumed.status).toBe('succeeded');
      expect(resumed.steps.map((step) => [step.name, step.status])).toEqual([
        ['restart', 'done'],
        ['refresh', 'done'],
      ]);
      // Azure was asked to restart once more: the resume ran the failed step again.
      expect(sim.vmOperations().filter((op) => op.action === 'restart').length).toBe(restartsBefore + 1);
      await page.browserContext().close();
    },
    RUN_MS,
  );

  it(
    'lets an admin approve a request above the auto-approve policy and watch its task steps arrive live until it succeeds, the VM linked',
    async () => {
      const submitted = await submit('console-app-1');
      expect(submitted.status).toBe('pending_approval');
      const page = await open('admin', '/provision-requests');
      const row = `tr[data-request-id="${submitted.id}"]`;
      await page.waitForSelector(row);
      const listed = await api<{ items: ProvisionRequest[] }>('/provision-requests?limit=50');
      expect(await page.$$eval('tbody tr[data-request-id]', (trs) => trs.map((tr) => [tr.getAttribute('data-request-id'), tr.querySelector('.badge')?.textContent]))).toEqual(
        listed.items.map((request) => [request.id, request.status]),
      );
      await shots(page, 'provision-requests');

      await page.click(`${row} td:first-child a`);
      await page.waitForSelector('[data-action="approve"]');
      expect(await text(page, '[data-testid="request-status"]')).toBe('pending_approval');
      expect(await actionsOn(page)).toEqual(['approve', 'deny', 'cancel']);
      // The user data only as its size and digest: never the text.
      expect(await text(page, '[data-testid="user-data"]')).toMatch(/^\d+ bytes, sha256 [0-9a-f]{64}$/);
      expect(await page.content()).not.toContain('activation-key-s3cr3t');
      await shots(page, 'provision-request-pending');

      // Every state the page shows, as it shows it, from the approval on.
      await mark(page);
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { hfSeen: string[] }).hfSeen = seen;
        const snapshot = () => {
          const status = document.querySelector('[data-testid="request-status"]')?.textContent ?? '';
          const steps = [...document.querySelectorAll('.task tbody tr')].map((tr) => `${tr.getAttribute('data-step')}:${tr.getAttribute('data-step-status')}`);
          const state = `${status}|${steps.join(',')}`;
          if (seen[seen.length - 1] !== state) seen.push(state);
        };
        new MutationObserver(snapshot).observe(document.querySelector('main')!, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      await page.click('[data-action="approve"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.textContent === 'succeeded', { timeout: 90_000 });
      expect(await stillMarked(page)).toBe(true);
      const seen = await page.evaluate(() => (window as unknown as { hfSeen: string[] }).hfSeen);
      // Steps arrived one by one while the request ran: a running request with some steps done and some not.
      const midway = seen.filter((state) => state.startsWith('running|') && /:done/.test(state) && /:(pending|running)/.test(state));
      expect(midway.length).toBeGreaterThan(0);

      const done = await api<ProvisionRequest>(`/provision-requests/${submitted.id}`);
      expect(done).toMatchObject({ status: 'succeeded', decidedBy: adminName });
      const [task] = done.tasks;
      expect(task.vmId).not.toBeNull();
      expect(await page.$$eval('.task tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-step'), tr.getAttribute('data-step-status')]))).toEqual(
        task.steps.map((step) => [step.name, step.status]),
      );
      expect(await page.$eval('[data-testid="task-vm"]', (el) => el.getAttribute('href'))).toBe(`#/vms/${task.vmId}`);
      expect(await text(page, '[data-testid="decided-by"]')).toBe(adminName);
      expect(await actionsOn(page)).toEqual([]);
      await page.waitForFunction(() => document.querySelector('[data-testid="stream-state"]')?.textContent === 'Ended');
      await shots(page, 'provision-request-succeeded');
      await page.click('[data-testid="task-vm"]');
      await page.waitForFunction((name: string) => document.querySelector('h1')?.textContent?.includes(name), {}, 'console-app-1');
      await page.browserContext().close();
    },
    RUN_MS,
  );

  it(
    'lets an admin deny a request with a reason, and shows a refusal of the API in an alert',
    async () => {
      const submitted = await submit('console-denied-1');
      const page = await open('admin', `/provision-requests/${submitted.id}`);
      await page.waitForSelector('[data-action="deny"]');
      // No reason, no denial.
      expect(await page.$('[data-action="deny"][disabled]')).not.toBeNull();
      await page.type('#deny-reason', 'use the shared pool');
      await page.click('[data-action="deny"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.textContent === 'denied', { timeout: 30_000 });
      expect(await text(page, '[data-testid="request-reason"]')).toBe('use the shared pool');
      expect(await api<ProvisionRequest>(`/provision-requests/${submitted.id}`)).toMatchObject({ status: 'denied', reason: 'use the shared pool', decidedBy: adminName });
      expect(await actionsOn(page)).toEqual([]);
      await shots(page, 'provision-request-denied');
      await page.browserContext().close();

      // Canceled while the page still offers Approve: the API's 409 is shown in an alert, not thrown.
      const other = await submit('console-raced-1');
      const raced = await open('admin', `/provision-requests/${other.id}`);
      await raced.waitForSelector('[data-action="approve"]');
      // Canceled from the tab itself and Approve clicked in the same task, before the stream's next frame can redraw.
      const canceled = await raced.evaluate(async (id: string) => {
        const response = await fetch(`/api/v1/provision-requests/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${sessionStorage.getItem('hybridforms.token')}` } });
        (document.querySelector('[data-action="approve"]') as HTMLButtonElement).click();
        return response.status;
      }, other.id);
      expect(canceled).toBe(200);
      await raced.waitForSelector('[role="alert"]');
      expect(await text(raced, '[role="alert"]')).toMatch(/only a request pending approval can be approved/);
      await raced.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.textContent === 'canceled', { timeout: 10_000 });
      // The browser logs the refused POST itself (a 409): expected here, not a console fault.
      const refusal = browser.problems.findIndex((problem) => /409/.test(problem));
      expect(refusal).toBeGreaterThanOrEqual(0);
      browser.problems.splice(refusal, 1);
      await raced.browserContext().close();
    },
    RUN_MS,
  );

  it('offers a viewer no Approve, Deny or Cancel, and an operator Cancel only', async () => {
    const submitted = await submit('console-waiting-1');
    const viewer = await open('viewer', `/provision-requests/${submitted.id}`, 'narrow');
    await viewer.waitForSelector('[data-testid="request-status"]');
    expect(await text(viewer, '[data-testid="request-status"]')).toBe('pending_approval');
    expect(await actionsOn(viewer)).toEqual([]);
    expect(await viewer.$('#request-actions-title')).toBeNull();
    await browser.screenshot(viewer, 'provision-request-viewer-narrow');
    await viewer.browserContext().close();

    const operator = await open('operator', `/provision-requests/${submitted.id}`);
    await operator.waitForSelector('[data-action="cancel"]');
    expect(await actionsOn(operator)).toEqual(['cancel']);
    await operator.click('[data-action="cancel"]');
    await operator.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.textContent === 'canceled', { timeout: 10_000 });
    expect((await api<ProvisionRequest>(`/provision-requests/${submitted.id}`)).status).toBe('canceled');
    await operator.browserContext().close();
  });

  it('raised no console error, uncaught exception, failed request or CSP violation on any page', () => {
    expect(browser.problems).toEqual([]);
  });
});
