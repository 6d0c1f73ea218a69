import { ProviderError, ProviderErrorCode, type EventBatch, type ProviderEvent } from '@hybridforms/core';
import { AzureSimulator, simMetricValue } from '@hybridforms/testing';
import { AZURE_VM_METRICS } from './azure-metrics.parser.js';
import type { AzureProviderConfig } from './azure-provider.config.js';
import { AzureProviderPlugin } from './azure-provider.plugin.js';
import { parseEventCheckpoint } from './azure.event-catcher.js';
import { simContext } from './__fixtures__/sim-context.js';

// Event catching (Activity Log through arm-monitor 7) and metrics capture (metrics:getBatch through
// monitor-query-metrics) of the plugin, against the HTTPS simulator.

const SUB_A = '6a7b8c9d-1111-4aaa-8aaa-0000000000a1';
const SUB_B = '6a7b8c9d-2222-4bbb-8bbb-0000000000b2';
const MINUTE = 60_000;

const plugin = new AzureProviderPlugin();
const contextFor = (sim: AzureSimulator, overrides: Partial<AzureProviderConfig> = {}) => simContext(sim, { metricsEndpoint: sim.metricsEndpointTemplate, ...overrides });


async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ProviderError.is(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

function ofVm(batch: EventBatch, vmId: string): ProviderEvent[] {
  return batch.events.filter((e) => e.vmNativeId === vmId.toLowerCase());
}

describe('Azure plugin: events and metrics against the simulator', () => {
  describe('collectEvents', () => {
    let sim: AzureSimulator;

    beforeAll(async () => {
      sim = await AzureSimulator.start({ subscriptionIds: [SUB_A, SUB_B], vmCount: 8, pageSize: 4 });
    });
    afterAll(() => sim?.stop());
    afterEach(() => sim.clearFaults());

    it('starts a first poll eventsInitialLookbackMinutes back and finds the recent history of every subscription', async () => {
      const before = Date.now();
      const batch = await plugin.collectEvents(contextFor(sim), null);
      // 4 VMs per subscription, created then started: 2 records each.
      expect(batch.events).toHaveLength(2 * 4 * 2 * 2);
      expect(new Set(batch.events.map((e) => e.type))).toEqual(new Set(['vm.created', 'vm.started']));
      const checkpoint = parseEventCheckpoint(batch.checkpoint)!;
      expect(Object.keys(checkpoint.subscriptions).sort()).toEqual([SUB_A, SUB_B]);
      for (const mark of Object.values(checkpoint.subscriptions)) expect(Date.parse(mark)).toBeGreaterThanOrEqual(before - 1000);

      const short = await plugin.collectEvents(contextFor(sim, { eventsInitialLookbackMinutes: 10 }), null);
      expect(short.events).toEqual([]);
    });

    it('returns the events of create, start, deallocate, resize and delete after the checkpoint, typed and tied to the VM', async () => {
      const first = await plugin.collectEvents(contextFor(sim), null);
      const at = (secondsAgo: number) => ({ at: new Date(Date.now() - secondsAgo * 1000) });
      const vmId = sim.addVm(SUB_A, { name: 'rhel9-events-01', resourceGroup: 'RG-Events', location: 'westeurope', powerState: 'deallocated' }, at(50));
      sim.setPowerState(vmId, 'running', at(40));
      sim.setPowerState(vmId, 'deallocated', at(30));
      sim.resizeVm(vmId, 'Standard_E8s_v5', at(20));
      sim.removeVm(vmId, at(10));
      const batch = await plugin.collectEvents(contextFor(sim), first.checkpoint);
      const fresh = batch.events.filter((e) => !first.events.some((old) => old.nativeId === e.nativeId));
      expect(fresh.every((e) => e.vmNativeId === vmId.toLowerCase())).toBe(true);
      const settled = fresh.filter((e) => e.refreshesVm);
      expect(settled.map((e) => e.type)).toEqual(['vm.created', 'vm.started', 'vm.deallocated', 'vm.resized', 'vm.deleted']);
      expect(settled.every((e) => e.status === 'Succeeded' && e.vmName === 'rhel9-events-01')).toBe(true);
      expect(fresh.filter((e) => !e.refreshesVm).every((e) => e.status === 'Started')).toBe(true);
      expect(fresh).toHaveLength(10);
      // Raw is the record as received, 7-digit fraction included.
      expect((settled[0].raw as { eventTimestamp: string }).eventTimestamp).toMatch(/\.\d{7}Z$/);
      expect(batch.events.map((e) => e.occurredAt.getTime())).toEqual([...batch.events.map((e) => e.occurredAt.getTime())].sort((a, b) => a - b));
    });

    it('re-reads only the overlap on the next poll, and catches a late record that falls in it', async () => {
      const vmId = sim.vmIds(SUB_B)[5];
      const first = await plugin.collectEvents(contextFor(sim), null);
      const second = await plugin.collectEvents(contextFor(sim), first.checkpoint);
      const seen = new Set(first.events.map((e) => e.nativeId));
      expect(second.events.every((e) => seen.has(e.nativeId))).toBe(true);

      sim.setPowerState(vmId, 'stopped', { at: new Date(Date.now() - 6 * MINUTE) });
      sim.restartVm(vmId, { at: new Date(Date.now() - 30 * MINUTE) });
      const third = await plugin.collectEvents(contextFor(sim), second.checkpoint);
      expect(ofVm(third, vmId).map((e) => e.type)).toEqual(['vm.stopped', 'vm.stopped']);
      // Later than the overlap: lost to this checkpoint, by design (eventsOverlapMinutes bounds the wait).
      expect(ofVm(third, vmId).some((e) => e.type === 'vm.restarted')).toBe(false);
      const wider = await plugin.collectEvents(contextFor(sim, { eventsOverlapMinutes: 45 }), second.checkpoint);
      expect(ofVm(wider, vmId).filter((e) => e.type === 'vm.restarted')).toHaveLength(2);
    });

    it('reports a failed operation as an event that refreshes the VM', async () => {
      const vmId = sim.vmIds(SUB_A)[6];
      const first = await plugin.collectEvents(contextFor(sim), null);
      sim.setPowerState(vmId, 'deallocated', { outcome: 'Failed' });
      const batch = await plugin.collectEvents(contextFor(sim), first.checkpoint);
      const failed = ofVm(batch, vmId).find((e) => e.status === 'Failed')!;
      expect(failed).toMatchObject({ type: 'vm.deallocated', refreshesVm: true, message: 'Deallocate Virtual Machine: Failed' });
    });

    it.each([
      ['429 without Retry-After (retries run out)', { kind: 'throttle' as const, retryAfterSeconds: null }, ProviderErrorCode.Throttled],
      ['a 503', { kind: 'error' as const, status: 503 }, ProviderErrorCode.Temporary],
      ['a malformed page', { kind: 'malformed' as const }, ProviderErrorCode.MalformedResponse],
      ['a dropped connection', { kind: 'drop' as const }, ProviderErrorCode.Unreachable],
    ])('throws on %s, so that the host keeps its checkpoint', async (_, fault, code) => {
      const first = await plugin.collectEvents(contextFor(sim), null);
      sim.injectFault({ route: 'activityLogs', times: Infinity, ...fault });
      const error = await failure(plugin.collectEvents(contextFor(sim, { maxRetries: 1 }), first.checkpoint));
      expect(error.code).toBe(code);
      expect(error.message).not.toContain(sim.clientSecret);
    });

    it('throws when only the second page of one subscription fails: no partial batch, no advanced mark', async () => {
      const first = await plugin.collectEvents(contextFor(sim), null);
      sim.injectFault({ route: 'activityLogs', page: 2, kind: 'error', status: 500, times: 1 });
      const error = await failure(plugin.collectEvents(contextFor(sim, { maxRetries: 0 }), first.checkpoint));
      expect(error.code).toBe(ProviderErrorCode.Temporary);
    });

    it('refuses a checkpoint it did not write', async () => {
      expect((await failure(plugin.collectEvents(contextFor(sim), 'yesterday'))).code).toBe(ProviderErrorCode.InvalidConfig);
    });
  });

  describe('collectMetrics', () => {
    let sim: AzureSimulator;
    const ids: string[] = [];

    beforeAll(async () => {
      sim = await AzureSimulator.start({ subscriptionIds: [SUB_A], vmCount: 0 });
      const since = new Date(Date.now() - 2 * 3600_000);
      for (let n = 0; n < 120; n++) {
        ids.push(sim.addVm(SUB_A, { name: `rhel-m-${n}`, resourceGroup: 'RG-Metrics', location: n % 2 ? 'eastus' : 'westeurope' }, { at: since }));
      }
    });
    afterAll(() => sim?.stop());
    afterEach(() => sim.clearFaults());

    function lastMinutes(count: number): { from: Date; to: Date } {
      const to = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
      return { from: new Date(to - count * MINUTE), to: new Date(to) };
    }

    const targets = () => ids.map((id, n) => ({ vmNativeId: id.toLowerCase(), location: n % 2 ? 'East US' : 'westeurope' }));

    it('asks for 120 VMs in 2 regions in ceil(60/50) calls per region, at the regional endpoints', async () => {
      sim.clearRequests();
      const window = lastMinutes(5);
      const samples = await plugin.collectMetrics(contextFor(sim), targets(), window);
      const calls = sim.requests.filter((r) => r.path.endsWith('metrics:getBatch'));
      expect(calls).toHaveLength(4);
      expect(calls.filter((r) => r.path.startsWith('/regions/eastus/'))).toHaveLength(2);
      expect(calls.filter((r) => r.path.startsWith('/regions/westeurope/'))).toHaveLength(2);
      expect(calls.every((r) => r.query.interval === 'PT1M')).toBe(true);
      expect(samples).toHaveLength(120 * 6 * 5);
      // The data plane's own audience, not ARM's (monitor-query-metrics' default).
      expect(sim.issuedTokenAudiences).toContain('https://metrics.monitor.azure.com/');
    });

    it('returns the simulator values, under our names, for each VM and minute', async () => {
      const window = lastMinutes(3);
      const samples = await plugin.collectMetrics(contextFor(sim), targets().slice(0, 10), window);
      expect(samples).toHaveLength(10 * 6 * 3);
      for (const sample of samples) {
        const azure = AZURE_VM_METRICS.find((m) => m.name === sample.name)!.azure;
        expect(sample.value).toBe(simMetricValue(sample.vmNativeId, azure, sample.timestamp.getTime()));
        expect(sample.timestamp.getTime()).toBeGreaterThanOrEqual(window.from.getTime());
        expect(sample.timestamp.getTime()).toBeLessThan(window.to.getTime());
      }
    });

    it('leaves out the minutes a VM was deallocated (never 0)', async () => {
      const window = lastMinutes(6);
      const vmId = ids[3];
      sim.setPowerState(vmId, 'deallocated', { at: new Date(window.from.getTime() + 2 * MINUTE) });
      const samples = await plugin.collectMetrics(contextFor(sim), [{ vmNativeId: vmId.toLowerCase(), location: 'eastus' }], window);
      expect(samples).toHaveLength(2 * 6);
      expect(samples.every((s) => s.timestamp.getTime() < window.from.getTime() + 2 * MINUTE)).toBe(true);
      for (const s of samples) expect(s.value).toBe(sim.metricValue(vmId, AZURE_VM_METRICS.find((m) => m.name === s.name)!.azure, s.timestamp));
    });

    it('throws a mapped error when a batch is throttled or fails, without the secret', async () => {
      sim.injectFault({ route: 'metricsBatch', kind: 'throttle', retryAfterSeconds: null, times: Infinity });
      const throttled = await failure(plugin.collectMetrics(contextFor(sim, { maxRetries: 1 }), targets().slice(0, 3), lastMinutes(2)));
      expect(throttled.code).toBe(ProviderErrorCode.Throttled);
      expect(throttled.message).not.toContain(sim.clientSecret);
      sim.clearFaults();
      sim.injectFault({ route: 'metricsBatch', kind: 'malformed', times: Infinity });
      expect((await failure(plugin.collectMetrics(contextFor(sim, { maxRetries: 0 }), targets().slice(0, 3), lastMinutes(2)))).code).toBe(
        ProviderErrorCode.MalformedResponse,
      );
    });

    it('survives a 429 with Retry-After through the SDK retry', async () => {
      sim.injectFault({ route: 'metricsBatch', kind: 'throttle', retryAfterSeconds: 0, times: 1 });
      const samples = await plugin.collectMetrics(contextFor(sim), targets().slice(0, 2), lastMinutes(2));
      expect(samples).toHaveLength(2 * 6 * 2);
    });
  });
});
