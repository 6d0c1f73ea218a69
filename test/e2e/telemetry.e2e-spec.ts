import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ProviderRegistry, type EventBatch, type ProviderContext } from '@hybridforms/core';
import { EventCatcher, MetricCapture, RefreshService } from '@hybridforms/discovery';
import { EventStore, MetricRollupService } from '@hybridforms/telemetry';
import { AzureSimulator } from '@hybridforms/testing';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { openSse, type SseClient } from '../support/sse-client.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';
import { QUIET_TELEMETRY, refreshFromEvents as takeRefreshTargets } from '../support/telemetry.js';

type Vm = { id: string; nativeId: string; name: string; powerState: string; osFamily: string; size: string; tags: Record<string, string>; archivedAt: string | null };
type Refresh = { id: string; kind: string; trigger: string; targets: string[] | null; status: string };
type ApiEvent = { id: string; type: string; vmId: string | null; vmNativeId: string | null; status: string | null; nativeId: string };

describe.each([['sqlite'], ['postgresql']])('Events and metrics end to end on %s (Azure simulator → Activity Log / Monitor → store → HTTP)', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const vms = async (query = ''): Promise<Vm[]> => (await t.http().get(`/api/v1/vms?limit=500&${query}`).expect(200)).body.items;
  const refreshes = async (): Promise<Refresh[]> => (await t.http().get(`/api/v1/refreshes?provider=${providerId}&limit=500`).expect(200)).body.items;
  const poll = () => t.app.get(EventCatcher).poll(providerId);
  const refreshFromEvents = () => takeRefreshTargets(t, providerId);
  const simIdOf = (nativeId: string) => sim.vmIds().find((id) => id.toLowerCase() === nativeId)!;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 16 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_tel') : null;
    t = await startTestApp({ ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure-events')).expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    // The simulator's log starts with some history; take it in and let its refresh finish.
    expect(await poll()).toMatchObject({ status: 'stored' });
    await refreshFromEvents();
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  it('inventories a created VM from its event, without waiting for a full refresh', async () => {
    const simId = sim.addVm(sim.subscriptionIds[0], {
      name: 'rhel-from-event',
      resourceGroup: 'rg-events',
      imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
    });
    expect(await vms('q=rhel-from-event')).toEqual([]);
    const before = (await refreshes()).length;

    expect(await poll()).toMatchObject({ status: 'stored', stored: 2, refreshTargets: 1 });
    const refreshId = await refreshFromEvents();
    const [vm] = await vms('q=rhel-from-event');
    expect(vm).toMatchObject({ nativeId: simId.toLowerCase(), osFamily: 'rhel', powerState: 'running' });

    const all = await refreshes();
    expect(all.length).toBe(before + 1);
    expect(all.find((r) => r.id === refreshId)).toMatchObject({ kind: 'targeted', trigger: 'event', targets: [simId.toLowerCase()], status: 'completed' });
    // The event came before the VM's row; it is linked to it now.
    const events: ApiEvent[] = (await t.http().get(`/api/v1/vms/${vm.id}/events`).expect(200)).body.items;
    expect(events.map((e) => [e.type, e.status, e.vmId])).toEqual([
      ['vm.created', 'Succeeded', vm.id],
      ['vm.created', 'Started', vm.id],
    ]);
  });

  it('coalesces a burst of events about the same VMs into one targeted refresh that archives nothing else', async () => {
    const [a, b] = (await vms('powerState=running&osFamily=rhel')).slice(0, 2);
    for (const vm of [a, b]) {
      const simId = simIdOf(vm.nativeId);
      sim.setPowerState(simId, 'deallocated');
      sim.setPowerState(simId, 'running');
      sim.resizeVm(simId, 'Standard_E4s_v5');
      sim.setTags(simId, { ...vm.tags, burst: 'yes' });
    }
    const before = await refreshes();
    const archivedBefore = (await vms('archived=true')).length;

    expect(await poll()).toMatchObject({ status: 'stored', stored: 16, refreshTargets: 2 });
    await refreshFromEvents();
    // The coalescing timer fires too, and finds nothing left to do.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await t.app.get(RefreshService).idle();

    const added = (await refreshes()).filter((r) => !before.some((old) => old.id === r.id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ kind: 'targeted', trigger: 'event', status: 'completed' });
    expect([...added[0].targets!].sort()).toEqual([a.nativeId, b.nativeId].sort());
    for (const vm of [a, b]) {
      const fresh = (await t.http().get(`/api/v1/vms/${vm.id}`).expect(200)).body as Vm;
      expect(fresh).toMatchObject({ size: 'Standard_E4s_v5', powerState: 'running', tags: { burst: 'yes' } });
      const types = ((await t.http().get(`/api/v1/vms/${vm.id}/events?limit=50`).expect(200)).body.items as ApiEvent[]).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['vm.deallocated', 'vm.started', 'vm.resized', 'vm.updated']));
    }
    expect((await vms('archived=true')).length).toBe(archivedBefore);
  });

  it('keeps the checkpoint when catching fails (429, 5xx, malformed), then stores every event once', async () => {
    const store = t.app.get(EventStore);
    const checkpoint = await store.checkpointOf(providerId);
    const [vm] = await vms('powerState=running');
    sim.restartVm(simIdOf(vm.nativeId));
    const count = async () => (await t.http().get(`/api/v1/events?provider=${providerId}&limit=500`).expect(200)).body.items.length as number;
    const stored = await count();

    for (const fault of [
      { kind: 'throttle' as const, retryAfterSeconds: 0, times: Infinity },
      { kind: 'error' as const, status: 503, times: Infinity },
      { kind: 'malformed' as const, times: Infinity },
    ]) {
      sim.injectFault({ route: 'activityLogs', ...fault });
      const outcome = await poll();
      sim.clearFaults();
      expect(outcome).toMatchObject({ status: 'failed' });
      expect(await store.checkpointOf(providerId)).toBe(checkpoint);
      expect(await count()).toBe(stored);
      expect((await store.state(providerId))?.lastError).toMatch(/^(throttled|temporary|malformed_response)/);
      const status = (await t.http().get(`/api/v1/providers/${providerId}/telemetry`).expect(200)).body;
      expect(status.events.lastError).toMatch(/^(throttled|temporary|malformed_response)/);
      expect(JSON.stringify(status)).not.toContain(sim.clientSecret);
    }

    expect(await poll()).toMatchObject({ status: 'stored', stored: 2 });
    expect(await poll()).toMatchObject({ status: 'stored', stored: 0 });
    expect(await store.checkpointOf(providerId)).not.toBe(checkpoint);
    const restarts: ApiEvent[] = (await t.http().get(`/api/v1/vms/${vm.id}/events?type=vm.restarted`).expect(200)).body.items;
    expect(restarts.map((e) => e.status).sort()).toEqual(['Started', 'Succeeded']);
    expect((await store.state(providerId))?.lastError).toBeNull();
    await refreshFromEvents();
  });

  it('streams newly stored events to a live SSE watcher, filtered by type, and replays what a reconnecting one missed', async () => {
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const path = `/api/v1/events/stream?type=vm.started&provider=${providerId}`;
    const streams: SseClient<ApiEvent>[] = [];
    try {
      const first = await openSse<ApiEvent>(port, path, t.authHeaders);
      streams.push(first);
      expect(first.response.statusCode).toBe(200);
      expect(first.response.headers['content-type']).toMatch(/text\/event-stream/);
      const [vm, other] = await vms('powerState=running');
      const cycle = (target: Vm) => {
        sim.setPowerState(simIdOf(target.nativeId), 'deallocated');
        sim.setPowerState(simIdOf(target.nativeId), 'running');
      };
      cycle(vm);
      await poll();
      const seen = await first.until((events) => events.some((e) => e.status === 'Succeeded'));
      expect(seen.every((e) => e.type === 'vm.started' && e.vmNativeId === vm.nativeId)).toBe(true);
      first.close();

      // Disconnected while more happens; EventSource reconnects with the last id it saw.
      cycle(other);
      await poll();
      const second = await openSse<ApiEvent>(port, path, { ...t.authHeaders, 'last-event-id': first.lastId! });
      streams.push(second);
      const missed = await second.until((events) => events.some((e) => e.vmNativeId === other.nativeId && e.status === 'Succeeded'));
      expect(missed.every((e) => e.type === 'vm.started')).toBe(true);
      expect(missed.map((e) => e.vmNativeId)).toContain(other.nativeId);
      expect(missed.map((e) => e.id)).not.toContain(first.lastId);
    } finally {
      for (const stream of streams) stream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await refreshFromEvents();
    }
  });

  it('captures Azure Monitor metrics of running VMs and serves series, rollups and a fleet summary', async () => {
    const now = new Date();
    const outcome = await t.app.get(MetricCapture).capture(providerId, now);
    const running = await vms('powerState=running');
    expect(outcome).toMatchObject({ status: 'stored', vms: running.length });
    expect(outcome.status === 'stored' && outcome.samples).toBeGreaterThan(0);

    const window = outcome.status === 'stored' ? outcome.window : null;
    const q = `from=${window!.from.toISOString()}&to=${window!.to.toISOString()}`;
    const cpuOf = async (vm: Vm) => {
      const body = (await t.http().get(`/api/v1/vms/${vm.id}/metrics?name=cpu_percent&interval=raw&${q}`).expect(200)).body;
      expect(body.series).toHaveLength(1);
      expect(body.series[0]).toMatchObject({ name: 'cpu_percent', unit: 'percent' });
      return body.series[0].points as { timestamp: string; value: number }[];
    };
    for (const vm of running.slice(0, 3)) {
      const points = await cpuOf(vm);
      expect(points.length).toBeGreaterThan(0);
      for (const point of points) expect(point.value).toBeCloseTo(sim.metricValue(simIdOf(vm.nativeId), 'Percentage CPU', new Date(point.timestamp))!, 6);
    }
    // A deallocated VM is not asked about and has no samples.
    const stopped = (await vms('powerState=deallocated'))[0];
    if (stopped) expect(await cpuOf(stopped)).toEqual([]);

    // The fleet summary is the mean over every RHEL VM's samples in the window.
    const rhel = await vms('osFamily=rhel&powerState=running');
    const all = (await Promise.all(rhel.map(cpuOf))).flat();
    const summary = (await t.http().get(`/api/v1/metrics/summary?osFamily=rhel&name=cpu_percent&interval=raw&${q}`).expect(200)).body;
    expect(summary.metrics[0]).toMatchObject({ name: 'cpu_percent', samples: all.length });
    expect(summary.metrics[0].avg).toBeCloseTo(all.reduce((sum, p) => sum + p.value, 0) / all.length, 6);

    // Hourly rollups agree with the raw samples they come from.
    await t.app.get(MetricRollupService).rollupPending();
    const vm = running[0];
    const raw = await cpuOf(vm);
    const hourly = (await t.http().get(`/api/v1/vms/${vm.id}/metrics?name=cpu_percent&interval=hour&${q}`).expect(200)).body.series[0].points as {
      timestamp: string;
      value: number;
      count: number;
    }[];
    const hours = new Map<string, number[]>();
    for (const p of raw) {
      const hour = new Date(Math.floor(Date.parse(p.timestamp) / 3600_000) * 3600_000).toISOString();
      hours.set(hour, [...(hours.get(hour) ?? []), p.value]);
    }
    expect(hourly.map((p) => [new Date(p.timestamp).toISOString(), p.count])).toEqual([...hours].map(([hour, values]) => [hour, values.length]));
    for (const p of hourly) {
      const values = hours.get(new Date(p.timestamp).toISOString())!;
      expect(p.value).toBeCloseTo(values.reduce((s, v) => s + v, 0) / values.length, 6);
    }

    const bad = await t.http().get(`/api/v1/vms/${vm.id}/metrics?name=cpu&from=${window!.to.toISOString()}&to=${window!.from.toISOString()}`).expect(400);
    expect(bad.body.message).toMatch(/name/);
    await t.http().get(`/api/v1/vms/${vm.id}/metrics?from=${window!.to.toISOString()}&to=${window!.from.toISOString()}`).expect(400);
    await t.http().get(`/api/v1/vms/${vm.id}/metrics?interval=minute`).expect(400);
    const status = (await t.http().get(`/api/v1/providers/${providerId}/telemetry`).expect(200)).body;
    expect(status.metrics).toMatchObject({ lastError: null, samplesStored: outcome.status === 'stored' ? outcome.samples : -1 });
  });

  it('deletes a provider with its events, samples and rollups', async () => {
    const ds = t.app.get(DataSource);
    const count = async (table: string) => Number(((await ds.query(`SELECT COUNT(*) AS "n" FROM "${table}"`)) as { n: unknown }[])[0].n);
    expect(await count('events')).toBeGreaterThan(0);
    expect(await count('metric_samples')).toBeGreaterThan(0);
    expect(await count('metric_rollups_hourly')).toBeGreaterThan(0);
    await t.http().delete(`/api/v1/providers/${providerId}`).expect(204);
    for (const table of ['events', 'event_checkpoints', 'refresh_targets', 'metric_samples', 'metric_rollups_hourly', 'metric_rollups_daily', 'metric_captures']) {
      expect([table, await count(table)]).toEqual([table, 0]);
    }
  });
});

describe.each([['sqlite'], ['postgresql']])('Event catching across a crash between fetch and store on %s', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp | null = null;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let dataDir: string;

  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  it('loses and duplicates no event when the process dies after fetching and before storing', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { SecretBox } = await import('@hybridforms/core');
    dataDir = mkdtempSync(join(tmpdir(), 'hf-crash-'));
    const secretBox = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
    sim = await AzureSimulator.start({ vmCount: 6 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_crash') : null;
    const env = { ...QUIET_TELEMETRY, ...(scratch ? { DATABASE_URL: scratch.url } : {}) };
    t = await startTestApp(env, { dataDir, secretBox });
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'crash')).expect(201);
    const providerId: string = created.body.id;
    await waitForRefresh(t, created.body.refreshId);
    await t.app.get(EventCatcher).poll(providerId);
    const storedBefore = (await t.http().get(`/api/v1/events?limit=500`).expect(200)).body.items.length as number;
    const checkpoint = await t.app.get(EventStore).checkpointOf(providerId);

    for (const id of sim.vmIds().slice(0, 3)) sim.restartVm(id);
    // The plugin fetches the batch; then the process "dies": its database connections are gone
    // before the store can run, and the process is shut down.
    const plugin = t.app.get(ProviderRegistry).get('azure');
    const original = plugin.collectEvents!.bind(plugin);
    let fetched: EventBatch | null = null;
    const app = t;
    plugin.collectEvents = async (ctx: ProviderContext, since: string | null) => {
      fetched = await original(ctx, since);
      await app.app.get(DataSource).destroy();
      return fetched;
    };
    expect(await t.app.get(EventCatcher).poll(providerId)).toMatchObject({ status: 'failed' });
    plugin.collectEvents = original;
    expect(fetched!.events.length).toBeGreaterThanOrEqual(6);
    await t.close();

    // The restarted process starts from the old checkpoint and stores the batch exactly once.
    t = await startTestApp(env, { dataDir, secretBox });
    expect(await t.app.get(EventStore).checkpointOf(providerId)).toBe(checkpoint);
    expect(await t.app.get(EventCatcher).poll(providerId)).toMatchObject({ status: 'stored', stored: 6 });
    const items: ApiEvent[] = (await t.http().get(`/api/v1/events?limit=500`).expect(200)).body.items;
    expect(items.length).toBe(storedBefore + 6);
    expect(new Set(items.map((e) => e.nativeId)).size).toBe(items.length);
    const restarted = fetched!.events.filter((e) => e.type === 'vm.restarted').map((e) => e.nativeId);
    expect(restarted.every((id) => items.some((e) => e.nativeId === id))).toBe(true);
    await t.app.get(RefreshService).idle();
  });
});
