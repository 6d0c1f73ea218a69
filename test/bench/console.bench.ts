// The page.evaluate callbacks run in the browser and are typed against its DOM.
/// <reference lib="dom" />
/**
 * `npm run bench:console`: how long the console's inventory page takes to show its first page of a
 * large inventory, in Debian's chromium, on SQLite and on PostgreSQL. A simulated Azure subscription
 * of 100,000 VMs (BENCH_CONSOLE_VMS) is inventoried through the API; then a viewer's tab opens the
 * inventory with each of a few filter sets (none; RHEL 9 BYOS; running in eastus; a name search),
 * BENCH_CONSOLE_ROUNDS (10) times each, and pages forward once per round.
 *
 * Measured per view, in the tab itself: from the route change until the page's rows are in the
 * DOM, and until the total ("N matching", GET /vms/count) is. The floor, in the same tab and the same run: the two
 * requests the page makes for that view (GET /vms?…&limit=50 and GET /vms/count?…), sent at once
 * with fetch and timed until both answers are parsed: the API's own cost, with no rendering.
 * Printed: p50 and max of each, and page p50 : floor p50. Nothing is asserted on time; the bench
 * checks that each view shows the rows the API gives.
 */
import type { Page } from 'puppeteer-core';
import { AzureSimulator } from '@hybridforms/testing';
import { ConsoleBrowser } from '../support/console-browser.js';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { QUIET_TELEMETRY } from '../support/telemetry.js';
import { startTestApp, waitForRefresh } from '../support/test-app.js';

const VM_COUNT = Number(process.env.BENCH_CONSOLE_VMS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 10);
const TIMEOUT_MS = 60 * 60 * 1000;
const PAGE_SIZE = 50;

interface View {
  name: string;
  query: string;
}

function views(searchFor: string): View[] {
  return [
    { name: 'all VMs', query: '' },
    { name: 'RHEL 9 BYOS', query: 'osFamily=rhel&osVersion=9&licenseModel=byos' },
    { name: 'running in eastus', query: 'powerState=running&location=eastus' },
    { name: `search "${searchFor}"`, query: `q=${encodeURIComponent(searchFor)}` },
  ];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value: number) => `${value.toFixed(0)} ms`;

describe('bench: the console inventory page over a large inventory', () => {
  let sim: AzureSimulator;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: VM_COUNT, pageSize: 1000 });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await sim?.stop();
  });

  it.each([['sqlite'], ['postgresql']])(
    'shows the first page of %s',
    async (driver) => {
      const scratch = driver === 'postgresql' ? await createScratchDatabase('hf_bench_console') : null;
      const t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
      let browser: ConsoleBrowser | null = null;
      try {
        await t.app.listen(0, '127.0.0.1');
        const started = performance.now();
        const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, `console-${driver}`)).expect(201);
        const refresh = await waitForRefresh(t, created.body.refreshId, TIMEOUT_MS);
        expect(refresh.status).toBe('completed');
        const inventoryMs = performance.now() - started;
        const { count } = (await t.http().get('/api/v1/vms/count').expect(200)).body as { count: number };
        expect(count).toBe(VM_COUNT);
        const viewer = (await t.http().post('/api/v1/tokens').send({ name: 'console-bench', role: 'viewer' }).expect(201)).body.token as string;
        // A name fragment that matches a few hundred VMs out of the estate.
        const someName = ((await t.http().get('/api/v1/vms?limit=1&sort=-name').expect(200)).body.items[0].name as string).replace(/\d+$/, '');

        browser = await ConsoleBrowser.launch(t);
        const page = await browser.openTab();
        await browser.signIn(page, viewer);
        const lines = [`console bench, ${driver}: ${count.toLocaleString()} VMs (inventoried in ${(inventoryMs / 1000).toFixed(1)} s), ${ROUNDS} rounds per view`];
        for (const view of views(someName)) {
          const expected = (await t.http().get(`/api/v1/vms?limit=${PAGE_SIZE}${view.query ? `&${view.query}` : ''}`).expect(200)).body as { items: { id: string }[]; nextCursor: string | null };
          const rowsMs: number[] = [];
          const countMs: number[] = [];
          const floorMs: number[] = [];
          const nextMs: number[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            floorMs.push(await floorOf(page, viewer, view.query));
            // Leave the inventory first, so the page is drawn from nothing each time.
            await browser.go(page, '/nowhere');
            await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Not found');
            const shown = await timeInPage(page, `/inventory${view.query ? `?${view.query}` : ''}`);
            rowsMs.push(shown.rowsMs);
            countMs.push(shown.countMs);
            expect(await page.$$eval('tbody tr[data-vm-id]', (rows) => rows.map((row) => row.getAttribute('data-vm-id')))).toEqual(expected.items.map((vm) => vm.id));
            if (expected.nextCursor) nextMs.push(await nextPageInPage(page));
          }
          const ratio = percentile(rowsMs, 50) / percentile(floorMs, 50);
          lines.push(
            `  ${view.name.padEnd(28)} rows p50 ${ms(percentile(rowsMs, 50))} max ${ms(Math.max(...rowsMs))} · count p50 ${ms(percentile(countMs, 50))} max ${ms(Math.max(...countMs))}` +
              ` · floor (both requests) p50 ${ms(percentile(floorMs, 50))} · rows/floor ${ratio.toFixed(2)}x` +
              (nextMs.length ? ` · next page p50 ${ms(percentile(nextMs, 50))}` : ''),
          );
        }
        console.log(lines.join('\n'));
        expect(browser.problems).toEqual([]);
      } finally {
        await browser?.close();
        await t.close();
        await scratch?.drop();
      }
    },
    TIMEOUT_MS,
  );
});

/** The two requests the inventory page makes for a view, sent at once from the tab; ms until both are parsed. */
async function floorOf(page: Page, token: string, query: string): Promise<number> {
  return page.evaluate(
    async (bearer: string, q: string) => {
      const headers = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
      const started = performance.now();
      await Promise.all([fetch(`/api/v1/vms?${q}${q ? '&' : ''}limit=50`, { headers, cache: 'no-store' }).then((r) => r.json()), fetch(`/api/v1/vms/count?${q}`, { headers, cache: 'no-store' }).then((r) => r.json())]);
      return performance.now() - started;
    },
    token,
    query,
  );
}

/**
 * Changes the route in the tab and times, in the tab (no DevTools round trip in the figure), until
 * the inventory's rows (or its empty state) are in the DOM and until its count is.
 */
async function timeInPage(page: Page, route: string): Promise<{ rowsMs: number; countMs: number }> {
  return page.evaluate(
    (fragment: string) =>
      new Promise<{ rowsMs: number; countMs: number }>((resolve) => {
        const started = performance.now();
        let rowsMs: number | null = null;
        const check = () => {
          if (rowsMs === null && (document.querySelector('tbody tr[data-vm-id]') || document.querySelector('.state-empty'))) rowsMs = performance.now() - started;
          if (rowsMs !== null && /matching/.test(document.querySelector('[data-testid="vm-count"]')?.textContent ?? '')) {
            observer.disconnect();
            resolve({ rowsMs, countMs: performance.now() - started });
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        location.hash = fragment;
      }),
    route,
  );
}

/** Clicks Next in the tab and times until the first row is another VM. */
async function nextPageInPage(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const first = document.querySelector('tbody tr[data-vm-id]')?.getAttribute('data-vm-id');
        const started = performance.now();
        const observer = new MutationObserver(() => {
          const now = document.querySelector('tbody tr[data-vm-id]')?.getAttribute('data-vm-id');
          if (now && now !== first) {
            observer.disconnect();
            resolve(performance.now() - started);
          }
        });
        observer.observe(document.body, { childList: true, subtree: true });
        (document.querySelector('.pager button:last-of-type') as HTMLButtonElement).click();
      }),
  );
}
