// The page.evaluate callbacks run in the browser and are typed against its DOM.
/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { TestApp } from './test-app.js';

// What the console's browser suites share: Debian's chromium driven by puppeteer-core (which never
// downloads a browser; .ci/run installs it), tabs watched for every kind of fault, sign-in, and
// screenshots saved as test artefacts.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
export const VIEWPORTS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } } as const;
export type Viewport = keyof typeof VIEWPORTS;

const haveChromium = existsSync(CHROMIUM);

/** describe when there is a browser; outside CI without one, the suite says why and skips (in CI a missing browser fails it). */
export function describeInBrowser(title: string, body: () => void): void {
  if (!haveChromium && process.env.CI !== 'true') {
    console.warn(`${title}: skipped, no browser at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)`);
    describe.skip(title, body);
    return;
  }
  describe(title, body);
}

export class ConsoleBrowser {
  /** Every console error or warning, uncaught exception, failed request and CSP violation, by page, since launch. */
  readonly problems: string[] = [];

  private constructor(
    private readonly browser: Browser,
    readonly base: string,
  ) {}

  /**
   * Builds the console from the source tree as `npm run build` does, and starts chromium for the
   * API that `app` serves (it must be listening).
   */
  static async launch(app: TestApp): Promise<ConsoleBrowser> {
    if (!haveChromium) throw new Error(`CI=true and no browser at ${CHROMIUM}: .ci/run installs Debian's chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    execFileSync(process.execPath, ['scripts/build-console.mjs'], { stdio: 'inherit' });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    return new ConsoleBrowser(browser, `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`);
  }

  /** A fresh tab in its own browser context (its own sessionStorage), watched for problems. */
  async openTab(viewport: Viewport = 'wide'): Promise<Page> {
    const context = await this.browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport(VIEWPORTS[viewport]);
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') this.problems.push(`${page.url()}: console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.problems.push(`${page.url()}: uncaught ${String(error)}`));
    page.on('requestfailed', (request) => {
      // A live stream the page closes as it leaves (or the tab closes) ends as an aborted request:
      // that is the page tidying up, not a fault. Any other failure, of a stream too, is one.
      if (request.failure()?.errorText === 'net::ERR_ABORTED' && request.headers()['accept'] === 'text/event-stream') return;
      this.problems.push(`${page.url()}: request failed ${request.url()}: ${request.failure()?.errorText}`);
    });
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
    });
    return page;
  }

  /** Opens the console and signs in with `token`; at, when given, is the route to land on afterwards. */
  async signIn(page: Page, token: string, at?: string): Promise<void> {
    await page.goto(`${this.base}/console/`, { waitUntil: 'networkidle0' });
    await page.type('#token', token);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    if (at) await this.go(page, at);
  }

  /**
   * Moves a signed-in tab to a console route (the fragment, as a link would). Not page.goto with
   * networkidle: a page that follows a live stream never has the network idle.
   */
  async go(page: Page, route: string): Promise<void> {
    await page.evaluate((fragment: string) => {
      location.hash = fragment;
    }, route);
  }

  /** Saves the page as a test artefact; at phone width the page must also fit (wide tables scroll inside their box). */
  async screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    if (page.viewport()!.width === VIEWPORTS.narrow.width) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORTS.narrow.width);
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
