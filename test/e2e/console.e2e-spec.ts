// The page.evaluate callbacks run in the browser and are typed against its DOM.
/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';
import { MetricCapture } from '@hybridforms/discovery';
import { AzureSimulator } from '@hybridforms/testing';
import { ConsoleBrowser, describeInBrowser, VIEWPORTS } from '../support/console-browser.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Vm = { id: string; name: string; powerState: string; osFamily: string; osVersion: string | null; licenseModel: string | null };
type Role = 'viewer' | 'operator' | 'admin';

describeInBrowser('Operator console in a real browser (chromium → /console → API → Azure simulator)', () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let browser: ConsoleBrowser;
  let base: string;
  let providerId: string;
  const tokens: Record<Role, string> = {} as never;

  const api = async <T>(path: string): Promise<T> => (await t.http().get(`/api/v1${path}`).expect(200)).body as T;
  const openTab = (viewport?: keyof typeof VIEWPORTS) => browser.openTab(viewport);
  const signIn = (page: Page, role: Role) => browser.signIn(page, tokens[role]);
  const screenshot = (page: Page, name: string) => browser.screenshot(page, name);

  async function rowIds(page: Page): Promise<string[]> {
    return page.$$eval('tbody tr[data-vm-id]', (rows) => rows.map((row) => row.getAttribute('data-vm-id') ?? ''));
  }

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 60, pageSize: 25, operationDelayMs: 300, operationRetryAfterSeconds: 1 });
    t = await startTestApp(QUIET_TELEMETRY);
    await t.app.listen(0, '127.0.0.1');
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'console-azure')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    await t.app.get(MetricCapture).capture(providerId, new Date());
    tokens.admin = t.token;
    for (const role of ['viewer', 'operator'] as const) {
      tokens[role] = (await t.http().post('/api/v1/tokens').send({ name: `console-${role}`, role }).expect(201)).body.token;
    }
    browser = await ConsoleBrowser.launch(t);
    base = browser.base;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.stop();
  });

  it('serves the console with a strict CSP (no inline script), nosniff, and cache headers by kind of file', async () => {
    const index = await t.anonymous().get('/console/').expect(200);
    const csp = index.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/console\/assets\/app-[A-Z0-9]+\.js)"/.exec(index.text)![1];
    const asset = await t.anonymous().get(script).expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    await t.anonymous().get('/console').expect(301).expect('location', '/console/');
    await t.anonymous().get('/console/assets/missing.js').expect(404);
  });

  it('signs in with a token checked by the API and kept in sessionStorage only: never in the URL or a cookie', async () => {
    const page = await openTab();
    await page.goto(`${base}/console/`, { waitUntil: 'networkidle0' });
    await screenshot(page, 'login-wide');
    await page.type('#token', 'hf_not_a_token_of_this_installation_at_all');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    expect(await page.$eval('[role="alert"]', (el) => el.textContent)).toMatch(/refused/);
    // The refused attempt is the API's 401, which the browser logs itself: not a console fault.
    browser.problems.splice(0);

    await page.$eval('#token', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#token', tokens.admin);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    expect(await page.$eval('[data-testid="who"]', (el) => el.textContent)).toContain('admin');
    expect(await page.evaluate(() => sessionStorage.getItem('hybridforms.token'))).toBe(tokens.admin);
    expect(page.url()).not.toContain(tokens.admin);
    expect(await page.cookies()).toEqual([]);
    // A reload keeps the session (same tab), checked again against the API.
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="who"]');
    await page.browserContext().close();
  });

  it('filters the inventory to RHEL 9 BYOS with the controls, and shows the rows and count the API has', async () => {
    const page = await openTab();
    await signIn(page, 'admin');
    await page.waitForSelector('tbody tr[data-vm-id]');
    await page.select('#filter-osFamily', 'rhel');
    await page.type('#filter-osVersion', '9');
    await page.select('#filter-licenseModel', 'byos');
    await page.click('.filter-buttons button[type="submit"]');
    await page.waitForFunction(() => location.hash.includes('licenseModel=byos'));
    await page.waitForFunction(() => /\d+ matching/.test(document.querySelector('[data-testid="vm-count"]')?.textContent ?? ''));
    await page.waitForSelector('tbody tr[data-vm-id]');

    const expected = await api<{ items: Vm[] }>('/vms?osFamily=rhel&osVersion=9&licenseModel=byos&limit=50');
    expect(expected.items.length).toBeGreaterThan(0);
    expect(expected.items.every((vm) => vm.osFamily === 'rhel' && vm.licenseModel === 'byos' && String(vm.osVersion).split('.')[0] === '9')).toBe(true);
    expect(await rowIds(page)).toEqual(expected.items.map((vm) => vm.id));
    const { count } = await api<{ count: number }>('/vms/count?osFamily=rhel&osVersion=9&licenseModel=byos');
    expect(await page.$eval('[data-testid="vm-count"]', (el) => el.textContent)).toContain(`${count} matching`);
    await screenshot(page, 'inventory-rhel9-byos-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await screenshot(page, 'inventory-rhel9-byos-narrow');
    await page.browserContext().close();
  });

  it('pages the inventory forward and back by cursor', async () => {
    const page = await openTab();
    await signIn(page, 'viewer');
    await page.waitForSelector('tbody tr[data-vm-id]');
    const first = await api<{ items: Vm[]; nextCursor: string }>('/vms?limit=50');
    const second = await api<{ items: Vm[] }>(`/vms?limit=50&cursor=${first.nextCursor}`);
    expect(await rowIds(page)).toEqual(first.items.map((vm) => vm.id));
    await page.click('.pager button:last-of-type');
    await page.waitForFunction((id: string) => document.querySelector('tbody tr[data-vm-id]')?.getAttribute('data-vm-id') === id, {}, second.items[0].id);
    expect(await rowIds(page)).toEqual(second.items.map((vm) => vm.id));
    await page.click('.pager button:first-of-type');
    await page.waitForFunction((id: string) => document.querySelector('tbody tr[data-vm-id]')?.getAttribute('data-vm-id') === id, {}, first.items[0].id);
    await page.browserContext().close();
  });

  it("opens a running VM: its classification and source, NICs, disks, changes, events, and its CPU chart drawn from the API's samples", async () => {
    const [vm] = (await api<{ items: Vm[] }>('/vms?powerState=running&osFamily=rhel&limit=1')).items;
    const samples = await api<{ series: { points: unknown[] }[] }>(`/vms/${vm.id}/metrics?name=cpu_percent&interval=raw&from=${new Date(Date.now() - 3600_000).toISOString()}`);
    expect(samples.series[0].points.length).toBeGreaterThan(0);

    const page = await openTab();
    await signIn(page, 'admin');
    await page.waitForSelector(`tr[data-vm-id="${vm.id}"] a`);
    await page.click(`tr[data-vm-id="${vm.id}"] a`);
    await page.waitForSelector('svg.metric-chart polyline, svg.metric-chart circle');
    expect(await page.$eval('h1', (el) => el.textContent)).toContain(vm.name);
    expect(Number(await page.$eval('svg.metric-chart', (el) => el.getAttribute('data-points')))).toBe(samples.series[0].points.length);
    const line = await page.$eval('svg.metric-chart polyline', (el) => el.getAttribute('points') ?? '');
    expect(line.split(' ').length).toBe(samples.series[0].points.length);
    const detail = await api<{ osSource: string; nics: unknown[]; disks: unknown[] }>(`/vms/${vm.id}`);
    expect(await page.$eval('[data-testid="os-source"]', (el) => el.textContent)).toBe(detail.osSource);
    expect(await page.$$eval('#nics-title + * tbody tr', (rows) => rows.length)).toBe(detail.nics.length);
    expect(await page.$$eval('#disks-title + * tbody tr', (rows) => rows.length)).toBe(detail.disks.length);
    await page.waitForSelector('#changes-title ~ :is(ol, p)');
    await page.waitForSelector('#events-title ~ :is(ol, p)');
    // Admins may act: the Azure actions are offered.
    expect(await page.$$eval('[aria-label="Power actions"] [data-action]', (buttons) => buttons.map((b) => b.getAttribute('data-action')))).toEqual(['start', 'stop', 'deallocate', 'restart']);
    expect(await page.$('[data-action="run-vm"]')).not.toBeNull();
    await screenshot(page, 'vm-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await screenshot(page, 'vm-narrow');

    // Another range asks for the hourly rollups: a chart or the empty state, never an error.
    await page.setViewport(VIEWPORTS.wide);
    await page.click('button[aria-pressed="false"]');
    await page.waitForSelector('button[aria-pressed="true"]');
    await page.waitForFunction(() => !document.querySelector('#cpu-title')?.closest('section')?.querySelector('.state-loading'));
    expect(await page.$('#cpu-title ~ .state-error')).toBeNull();
    await page.browserContext().close();
  });

  it('stops a VM from its page as an operator and follows the operation until the VM reads stopped', async () => {
    const [vm] = (await api<{ items: Vm[] }>('/vms?powerState=running&limit=1&sort=-name')).items;
    const page = await openTab();
    await signIn(page, 'operator');
    await page.goto(`${base}/console/#/vms/${vm.id}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-action="stop"]:not([disabled])');
    expect(await page.$('[data-action="start"][disabled]')).not.toBeNull();
    await page.click('[data-action="stop"]');
    await page.waitForFunction(() => document.querySelector('.operation .badge')?.textContent === 'succeeded', { timeout: 30_000 });
    const [operation] = (await api<{ items: { status: string; action: string }[] }>(`/operations?vm=${vm.id}`)).items;
    expect(operation).toMatchObject({ action: 'stop', status: 'succeeded' });
    await page.waitForFunction(() => document.querySelector('h1 .badge')?.textContent === 'stopped', { timeout: 30_000 });
    await screenshot(page, 'vm-operation-wide');
    await page.browserContext().close();
  });

  it('offers a viewer no action: no power buttons on a VM, no refresh button on providers', async () => {
    const [vm] = (await api<{ items: Vm[] }>('/vms?powerState=running&limit=1')).items;
    const page = await openTab();
    await signIn(page, 'viewer');
    await page.goto(`${base}/console/#/vms/${vm.id}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('svg.metric-chart, #cpu-title ~ .state-empty');
    expect(await page.$$('[data-action]')).toEqual([]);
    expect(await page.$('#power-actions-title')).toBeNull();
    await page.goto(`${base}/console/#/providers`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="refresh-status"]');
    expect(await page.$$('[data-action]')).toEqual([]);
    await page.browserContext().close();
  });

  it('shows providers with the latest refresh, and lets an operator refresh one and follow it live until it finishes', async () => {
    const page = await openTab();
    await signIn(page, 'operator');
    await page.goto(`${base}/console/#/providers`, { waitUntil: 'networkidle0' });
    await page.waitForSelector(`[data-provider-id="${providerId}"] [data-testid="refresh-status"]`);
    const before = await api<{ items: { id: string }[] }>(`/refreshes?provider=${providerId}&limit=1`);
    // A slow listing keeps the refresh running long enough to be seen followed live.
    sim.injectFault({ route: 'virtualMachines', kind: 'slow', delayMs: 1500 });
    await page.click('[data-action="refresh"]');
    await page.waitForSelector('[data-testid="stream-state"][data-state="live"]');
    expect(await page.$eval('[data-testid="refresh-status"]', (el) => el.textContent)).toMatch(/queued|running/);
    await page.waitForFunction(
      (previous: string) => {
        const status = document.querySelector('[data-testid="refresh-status"]')?.textContent;
        return status === 'completed' && !document.querySelector('[data-action="refresh"][disabled]') && previous !== '';
      },
      { timeout: 30_000 },
      before.items[0].id,
    );
    const after = await api<{ items: { id: string; status: string }[] }>(`/refreshes?provider=${providerId}&limit=1`);
    expect(after.items[0].id).not.toBe(before.items[0].id);
    expect(after.items[0].status).toBe('completed');
    await screenshot(page, 'providers-wide');
    await page.setViewport(VIEWPORTS.narrow);
    await screenshot(page, 'providers-narrow');
    await page.browserContext().close();
  });

  it('shows the empty state for filters that match nothing, and the not-found page for an unknown route', async () => {
    const page = await openTab('narrow');
    await signIn(page, 'viewer');
    await page.goto(`${base}/console/#/inventory?q=no-such-vm-anywhere`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.state-empty');
    expect(await page.$eval('[data-testid="vm-count"]', (el) => el.textContent)).toContain('0 matching');
    await screenshot(page, 'inventory-empty-narrow');
    await page.goto(`${base}/console/#/nowhere`, { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (el) => el.textContent)).toBe('Not found');
    await page.browserContext().close();
  });

  it('raised no console error, uncaught exception, failed request or CSP violation on any page', () => {
    expect(browser.problems).toEqual([]);
  });
});
