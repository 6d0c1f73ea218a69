import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RestError } from '@azure/core-rest-pipeline';
import { graphOfChunks, ProviderError, ProviderErrorCode, type InventoryChunk, type ProviderContext, type ProviderLogger } from '@hybridforms/core';
import type { AzureClientSource, AzureSubscriptionClients } from './azure-client.factory.js';
import { metricsEndpointFor, resolveAzureConfig, type AzureCredentials, type AzureProviderConfig } from './azure-provider.config.js';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import type { AzureSubscriptionInventory } from './azure-raw-inventory.js';

const FIXTURE_SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const SUBS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const SECRET = 'fake~secret~value~0123456789';
const PAGE = 5;

const logger: ProviderLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

function inventoryOf(subscriptionId: string): AzureSubscriptionInventory {
  const text = readFileSync(join(process.cwd(), 'libs/providers/azure/src/__fixtures__/subscription-full.json'), 'utf8');
  return JSON.parse(text.replace(new RegExp(FIXTURE_SUB, 'gi'), subscriptionId)) as AzureSubscriptionInventory;
}

type Route = 'virtualMachines' | 'virtualMachinesStatus' | 'networkInterfaces' | 'publicIPAddresses' | 'disks' | 'resourceGroups' | 'vmSizes' | 'get';

/** A fake of the SDK operation groups the collector uses, serving a fixture in pages. */
class FakeArm implements AzureClientSource {
  readonly calls: { subscriptionId: string; route: Route; page?: number; arg?: string }[] = [];
  readonly faults = new Map<string, { route: Route; page?: number; error: Error }>();
  tokenError: Error | null = null;
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly data: Map<string, AzureSubscriptionInventory>) {}

  async getToken() {
    this.calls.push({ subscriptionId: '-', route: 'get', arg: 'token' });
    if (this.tokenError) throw this.tokenError;
    return { token: 'tok', expiresOnTimestamp: Date.now() + 3600_000 };
  }

  fail(subscriptionId: string, route: Route, error: Error, page?: number): void {
    this.faults.set(`${subscriptionId}|${route}`, { route, page, error });
  }

  forSubscription(subscriptionId: string): AzureSubscriptionClients {
    const data = () => this.data.get(subscriptionId) ?? inventoryOf(subscriptionId);
    const list = <T>(route: Route, items: () => T[]) => this.pages(subscriptionId, route, items);
    const byId = <T extends { id?: string }>(items: () => T[], group: string, name: string): Promise<T> => {
      this.calls.push({ subscriptionId, route: 'get', arg: name });
      const fault = this.faults.get(`${subscriptionId}|get`);
      if (fault) return Promise.reject(fault.error);
      const found = items().find((i) => i.id?.toLowerCase().includes(`/resourcegroups/${group.toLowerCase()}/`) && i.id.toLowerCase().endsWith(`/${name.toLowerCase()}`));
      return found ? Promise.resolve(found) : Promise.reject(new RestError('not found', { statusCode: 404, code: 'ResourceNotFound' }));
    };
    const fake = {
      subscriptionId,
      compute: {
        virtualMachines: {
          listAll: (options?: { statusOnly?: string }) =>
            options?.statusOnly ? list('virtualMachinesStatus', () => data().vmStatuses) : list('virtualMachines', () => data().virtualMachines),
          get: (group: string, name: string) =>
            byId(() => data().virtualMachines, group, name).then((vm) => ({
              ...vm,
              instanceView: data().vmStatuses.find((s) => s.id?.toLowerCase() === vm.id?.toLowerCase())?.instanceView,
            })),
        },
        disks: { list: () => list('disks', () => data().disks), get: (g: string, n: string) => byId(() => data().disks, g, n) },
        virtualMachineSizes: {
          list: (location: string) => {
            this.calls.push({ subscriptionId, route: 'vmSizes', arg: location });
            return list('vmSizes', () => data().vmSizes.find((s) => s.location === location)?.sizes ?? []);
          },
        },
      },
      network: {
        networkInterfaces: { listAll: () => list('networkInterfaces', () => data().networkInterfaces), get: (g: string, n: string) => byId(() => data().networkInterfaces, g, n) },
        publicIPAddresses: { listAll: () => list('publicIPAddresses', () => data().publicIPAddresses), get: (g: string, n: string) => byId(() => data().publicIPAddresses, g, n) },
      },
      resources: { resourceGroups: { list: () => list('resourceGroups', () => data().resourceGroups) } },
    };
    return fake as unknown as AzureSubscriptionClients;
  }

  /** A paged list as arm-compute's: byPage resumes at a continuation token, which each page but the last carries. */
  private pages<T>(subscriptionId: string, route: Route, items: () => T[]): AsyncIterable<T> & { byPage: (settings?: { continuationToken?: string }) => AsyncIterator<T[]> } {
    const pages = async function* (this: FakeArm, from: number): AsyncGenerator<T[]> {
      const all = items();
      for (let page = from; page * PAGE < all.length || page === 0; page++) {
        this.calls.push({ subscriptionId, route, page });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        this.inFlight--;
        const fault = this.faults.get(`${subscriptionId}|${route}`);
        if (fault && (fault.page === undefined || fault.page === page)) throw fault.error;
        const slice = all.slice(page * PAGE, page * PAGE + PAGE);
        yield (page + 1) * PAGE < all.length ? Object.assign(slice, { continuationToken: String(page + 1) }) : slice;
      }
    }.bind(this);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const page of pages(0)) yield* page;
      },
      byPage: (settings) => pages(settings?.continuationToken ? Number(settings.continuationToken) : 0),
    };
  }
}

function setup(subscriptionIds = SUBS.slice(0, 2), extra: Partial<AzureProviderConfig> = {}) {
  const arm = new FakeArm(new Map());
  const plugin = new AzureProviderPlugin(() => arm);
  const config: AzureProviderConfig = {
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    subscriptionIds,
    ...extra,
  };
  const credentials: AzureCredentials = { clientSecret: SECRET };
  const progress: Record<string, number>[] = [];
  const ctx: ProviderContext<AzureProviderConfig, AzureCredentials> = { providerId: 'p1', config, credentials, logger, progress: (c) => progress.push(c) };
  return { arm, plugin, ctx, config, credentials, progress };
}

/** Every chunk of a full collectInventory, in order. */
async function chunksOf(plugin: AzureProviderPlugin, ctx: ProviderContext<AzureProviderConfig, AzureCredentials>): Promise<InventoryChunk[]> {
  const chunks: InventoryChunk[] = [];
  for await (const chunk of plugin.collectInventory(ctx, { kind: 'full' })) chunks.push(chunk);
  return chunks;
}

async function* replay(chunks: InventoryChunk[]): AsyncGenerator<InventoryChunk> {
  yield* chunks;
}

const vmId = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourcegroups/${rg}/providers/microsoft.compute/virtualmachines/${name}`;

describe('AzureProviderPlugin (collector and parser over fake SDK clients)', () => {
  it('is the azure plugin', () => {
    expect(new AzureProviderPlugin().type).toBe('azure');
  });

  it('collects every subscription into one graph, with one token request', async () => {
    const { arm, plugin, ctx, progress } = setup();
    const graph = await graphOfChunks(plugin.collectInventory(ctx, { kind: 'full' }));
    expect(graph.vms).toHaveLength(28);
    expect(graph.partErrors).toEqual([]);
    expect(arm.calls.filter((c) => c.arg === 'token')).toHaveLength(1);
    expect(progress.at(-1)).toEqual({ subscriptions: 2, vms: 28 });
  });

  it('lists VM sizes once per location in use, never per VM', async () => {
    const { arm, plugin, ctx } = setup([SUBS[0]]);
    await graphOfChunks(plugin.collectInventory(ctx, { kind: 'full' }));
    // Each asked for before the first VM page that is in it is parsed (westeurope on the first page).
    expect(arm.calls.filter((c) => c.route === 'vmSizes' && c.arg).map((c) => c.arg)).toEqual(['westeurope', 'northeurope']);
    expect(arm.calls.filter((c) => c.route === 'get' && c.arg !== 'token')).toEqual([]);
  });

  it('turns one failing subscription into a part error while the others complete', async () => {
    const { arm, plugin, ctx } = setup();
    arm.fail(SUBS[1], 'networkInterfaces', new RestError('The client does not have authorization', { statusCode: 403, code: 'AuthorizationFailed' }));
    const chunks = await chunksOf(plugin, ctx);
    const graph = await graphOfChunks(replay(chunks));
    expect(graph.vms).toHaveLength(14);
    expect(graph.vms.every((vm) => vm.subscriptionId === SUBS[0])).toBe(true);
    expect(graph.partErrors).toEqual([{ scope: `subscription ${SUBS[1]}`, code: ProviderErrorCode.Forbidden, message: expect.stringContaining('listing network interfaces') }]);
    expect(chunks.flatMap((c) => c.completedParts ?? [])).toEqual([`subscription ${SUBS[0]}`]);
  });

  // The stream keeps what a subscription had yielded before a page failed (current data, saved
  // chunk by chunk): the batch read's "no half list" is gone by design. What stays is that the
  // failure is a part error, nothing after it is yielded, and the subscription is not reported
  // complete, so the persister archives nothing in that refresh.
  it('when a page in the middle fails, keeps the pages yielded before it, yields nothing after it, and reports a part error', async () => {
    const { arm, plugin, ctx } = setup();
    arm.fail(SUBS[0], 'virtualMachines', new RestError('Pagination failed with unexpected statusCode 500', { statusCode: 500, code: 'InternalServerError' }), 1);
    const chunks = await chunksOf(plugin, ctx);
    const graph = await graphOfChunks(replay(chunks));
    expect(graph.vms.filter((vm) => vm.subscriptionId === SUBS[0])).toHaveLength(PAGE);
    expect(graph.vms.filter((vm) => vm.subscriptionId === SUBS[1])).toHaveLength(14);
    expect(graph.nics.every((nic) => !nic.nativeId.includes(SUBS[0]))).toBe(true);
    expect(graph.disks.every((disk) => !disk.nativeId.includes(SUBS[0]))).toBe(true);
    expect(graph.partErrors).toEqual([expect.objectContaining({ scope: `subscription ${SUBS[0]}`, code: ProviderErrorCode.Temporary })]);
    expect(chunks.flatMap((c) => c.completedParts ?? [])).toEqual([`subscription ${SUBS[1]}`]);
    // The part error comes after every record of the failed subscription.
    const failedAt = chunks.findIndex((c) => (c.partErrors ?? []).length > 0);
    expect(chunks.slice(failedAt + 1).flatMap((c) => c.vms ?? []).filter((vm) => vm.subscriptionId === SUBS[0])).toEqual([]);
  });

  it('throws when every subscription fails', async () => {
    const { arm, plugin, ctx } = setup();
    for (const sub of SUBS.slice(0, 2)) arm.fail(sub, 'disks', new RestError('Pagination failed with unexpected statusCode 429', { statusCode: 429, code: 'TooManyRequests' }));
    const failure = graphOfChunks(plugin.collectInventory(ctx, { kind: 'full' }));
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toMatchObject({ code: ProviderErrorCode.Throttled, retryable: true });
  });

  it('fails fast, listing nothing, when no token can be had; the message never holds the secret', async () => {
    const { arm, plugin, ctx } = setup();
    arm.tokenError = Object.assign(new Error(`invalid_client: AADSTS7000215: Invalid client secret provided. (${SECRET})`), { name: 'AuthenticationRequiredError' });
    const failure = graphOfChunks(plugin.collectInventory(ctx, { kind: 'full' }));
    await expect(failure).rejects.toMatchObject({ code: ProviderErrorCode.InvalidCredentials });
    await failure.catch((e: Error) => expect(e.message).not.toContain(SECRET));
    expect(arm.calls.filter((c) => c.route !== 'get')).toEqual([]);
  });

  it('collects no more subscriptions at once than subscriptionConcurrency allows', async () => {
    const { arm, plugin, ctx } = setup(SUBS, { subscriptionConcurrency: 1 });
    await graphOfChunks(plugin.collectInventory(ctx, { kind: 'full' }));
    // One subscription at a time, with at most its four lookup lists in parallel.
    expect(arm.maxInFlight).toBeLessThanOrEqual(4);
    const { arm: wide, plugin: widePlugin, ctx: wideCtx } = setup(SUBS, { subscriptionConcurrency: 3 });
    await graphOfChunks(widePlugin.collectInventory(wideCtx, { kind: 'full' }));
    expect(wide.maxInFlight).toBeGreaterThan(6);
  });

  it('refuses a stored config that no longer passes validation', async () => {
    const { plugin, ctx } = setup();
    await expect(graphOfChunks(plugin.collectInventory({ ...ctx, config: { ...ctx.config, tenantId: 'nope' } }, { kind: 'full' }))).rejects.toMatchObject({ code: ProviderErrorCode.InvalidConfig });
  });

  describe('targeted', () => {
    it('GETs the VMs asked for (up to targetedListThreshold per subscription) with their NICs, public IPs and disks, and reports the gone ones as notFound', async () => {
      const { arm, plugin, ctx } = setup(undefined, { targetedListThreshold: 2 });
      const wanted = vmId(SUBS[0], 'rg-prod', 'rhel-payg-01');
      const gone = vmId(SUBS[0], 'rg-prod', 'deleted-vm');
      const graph = await graphOfChunks(plugin.collectInventory(ctx, { kind: 'targeted', nativeIds: [wanted.toUpperCase(), gone] }));
      expect(graph.vms.map((v) => v.nativeId)).toEqual([wanted]);
      expect(graph.vms[0]).toMatchObject({ powerState: 'running', osVersion: '9.4', cpuCount: 2 });
      expect(graph.nics[0].publicIps).toEqual(['20.86.113.40']);
      expect(graph.disks).toHaveLength(2);
      expect(graph.notFound).toEqual([gone]);
      expect(graph.partErrors).toEqual([]);
      expect(arm.calls.filter((c) => c.route !== 'get' && c.route !== 'vmSizes')).toEqual([]);
    });

    it('reports a VM of a missing subscription as a failure, not as gone', async () => {
      const { arm, plugin, ctx } = setup();
      arm.fail(SUBS[1], 'get', new RestError("The subscription could not be found.", { statusCode: 404, code: 'SubscriptionNotFound' }));
      const graph = await graphOfChunks(plugin.collectInventory(ctx, { kind: 'targeted', nativeIds: [vmId(SUBS[0], 'rg-prod', 'rhel-payg-01'), vmId(SUBS[1], 'rg-prod', 'rhel-payg-01')] }));
      expect(graph.notFound).toEqual([]);
      expect(graph.vms).toHaveLength(1);
      expect(graph.partErrors).toEqual([expect.objectContaining({ scope: `vm ${vmId(SUBS[1], 'rg-prod', 'rhel-payg-01')}`, code: ProviderErrorCode.NotFound })]);
    });

    it('throws when no VM could be read at all', async () => {
      const { arm, plugin, ctx } = setup();
      arm.fail(SUBS[0], 'get', new RestError('throttled', { statusCode: 429, code: 'TooManyRequests' }));
      await expect(graphOfChunks(plugin.collectInventory(ctx, { kind: 'targeted', nativeIds: [vmId(SUBS[0], 'rg-prod', 'rhel-payg-01')] }))).rejects.toMatchObject({ code: ProviderErrorCode.Throttled });
    });

    it('does not touch ARM for ids of subscriptions it does not manage', async () => {
      const { arm, plugin, ctx } = setup();
      const graph = await graphOfChunks(plugin.collectInventory(ctx, { kind: 'targeted', nativeIds: [vmId(SUBS[2], 'rg', 'x'), 'not-an-id'] }));
      expect(graph.vms).toEqual([]);
      expect(graph.notFound).toEqual([]);
      expect(graph.partErrors).toHaveLength(2);
      expect(arm.calls).toEqual([]);
    });
  });

  describe('validate', () => {
    it('reads the first page of VMs of every subscription', async () => {
      const { arm, plugin, config, credentials } = setup();
      await plugin.validate(config, credentials, logger);
      expect(arm.calls.filter((c) => c.route === 'virtualMachines')).toEqual([
        { subscriptionId: SUBS[0], route: 'virtualMachines', page: 0 },
        { subscriptionId: SUBS[1], route: 'virtualMachines', page: 0 },
      ]);
    });

    it.each([
      [new RestError('AuthorizationFailed', { statusCode: 403, code: 'AuthorizationFailed' }), ProviderErrorCode.Forbidden],
      [new RestError("The subscription could not be found.", { statusCode: 404, code: 'SubscriptionNotFound' }), ProviderErrorCode.NotFound],
      [new RestError('connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }), ProviderErrorCode.Unreachable],
    ])('names the subscription that failed (%s)', async (error, code) => {
      const { arm, plugin, config, credentials } = setup();
      arm.fail(SUBS[1], 'virtualMachines', error);
      const failure = plugin.validate(config, credentials, logger);
      await expect(failure).rejects.toMatchObject({ code, message: expect.stringContaining(SUBS[1]) });
    });
  });

  describe('validateConfig', () => {
    const plugin = new AzureProviderPlugin();
    const good = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', subscriptionIds: [SUBS[0]] };

    it('accepts a minimal config and every optional setting', () => {
      expect(plugin.validateConfig(good, { clientSecret: 's' })).toEqual([]);
      expect(
        plugin.validateConfig(
          { ...good, resourceManagerUrl: 'https://127.0.0.1:8443', authorityHost: 'https://127.0.0.1:8443/', maxRetries: 0, subscriptionConcurrency: 2, defaultRetryAfterSeconds: 0 },
          { clientSecret: 's' },
        ),
      ).toEqual([]);
    });

    it('lists one message per problem, naming the key', () => {
      const problems = plugin.validateConfig(
        { tenantId: 'contoso', clientId: 42, subscriptionIds: ['x', SUBS[0], SUBS[0].toUpperCase()], resourceManagerUrl: 'http://arm', authorityHost: 'ftp://x', caCertificate: 'not a pem', maxRetries: 11, subscriptionConcurrency: 0, colour: 'blue' },
        { clientSecret: '', token: 'x' },
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^config\.colour is not a known setting/),
          expect.stringMatching(/^config\.tenantId must be a GUID/),
          expect.stringMatching(/^config\.clientId must be a GUID/),
          expect.stringMatching(/^config\.subscriptionIds\[0\] must be a GUID/),
          expect.stringMatching(/^config\.subscriptionIds\[2\] repeats/),
          expect.stringMatching(/^config\.resourceManagerUrl must be an https:\/\/ URL/),
          expect.stringMatching(/^config\.authorityHost must be an https:\/\/ URL/),
          expect.stringMatching(/^config\.caCertificate must be/),
          expect.stringMatching(/^config\.maxRetries must be an integer from 0 to 10/),
          expect.stringMatching(/^config\.subscriptionConcurrency must be an integer/),
          expect.stringMatching(/^credentials\.token is not a known credential/),
          'credentials.clientSecret must be a non-empty string',
        ]),
      );
      expect(problems).toHaveLength(12);
    });

    it('checks the event and metrics settings, with their defaults', () => {
      expect(
        plugin.validateConfig(
          { ...good, metricsEndpoint: 'https://127.0.0.1:8443/regions/{location}', metricsConcurrency: 8, eventsOverlapMinutes: 0, eventsInitialLookbackMinutes: 1440 },
          { clientSecret: 's' },
        ),
      ).toEqual([]);
      expect(plugin.validateConfig({ ...good, metricsEndpoint: 'https://metrics.example' }, { clientSecret: 's' })).toEqual([]);
      expect(
        plugin.validateConfig(
          { ...good, metricsEndpoint: 'http://{location}.metrics', metricsConcurrency: 0, eventsOverlapMinutes: 121, eventsInitialLookbackMinutes: 0 },
          { clientSecret: 's' },
        ),
      ).toEqual([
        expect.stringMatching(/^config\.metricsEndpoint must be an https:\/\/ URL template/),
        expect.stringMatching(/^config\.metricsConcurrency must be an integer from 1 to 16/),
        expect.stringMatching(/^config\.eventsOverlapMinutes must be an integer from 0 to 120/),
        expect.stringMatching(/^config\.eventsInitialLookbackMinutes must be an integer from 1 to 10080/),
      ]);
      expect(plugin.validateConfig({ ...good, metricsEndpoint: 'https://{region}.metrics' }, { clientSecret: 's' })).toHaveLength(1);
      expect(plugin.validateConfig({ ...good, targetedListThreshold: 0 }, { clientSecret: 's' })).toEqual([]);
      expect(plugin.validateConfig({ ...good, targetedListThreshold: 2.5 }, { clientSecret: 's' })).toEqual([
        expect.stringMatching(/^config\.targetedListThreshold must be an integer from 0 to 10000/),
      ]);
      expect(resolveAzureConfig(good)).toMatchObject({
        metricsEndpoint: 'https://{location}.metrics.monitor.azure.com',
        metricsConcurrency: 4,
        eventsOverlapMinutes: 10,
        eventsInitialLookbackMinutes: 60,
        targetedListThreshold: 1,
      });
      expect(metricsEndpointFor('https://{location}.metrics.monitor.azure.com', 'West Europe')).toBe('https://westeurope.metrics.monitor.azure.com');
    });

    it('requires the subscriptions and the credentials object', () => {
      expect(plugin.validateConfig({ ...good, subscriptionIds: [] }, { clientSecret: 's' })).toEqual([expect.stringMatching(/subscriptionIds must be a non-empty list/)]);
      expect(plugin.validateConfig(null, null)).toEqual([expect.stringMatching(/^config must be an object/), expect.stringMatching(/^credentials must be an object/)]);
    });

    it('never echoes the secret', () => {
      const problems = plugin.validateConfig({ ...good, clientSecret: SECRET }, { clientSecret: SECRET, extra: SECRET });
      expect(problems.join(' ')).not.toContain(SECRET);
    });
  });
});
