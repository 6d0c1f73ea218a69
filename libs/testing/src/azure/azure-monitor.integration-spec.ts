import { request } from 'node:https';
import { MonitorClient, type EventData } from '@azure/arm-monitor';
import { ClientSecretCredential } from '@azure/identity';
import { MetricsClient } from '@azure/monitor-query-metrics';
import { AzureSimulator } from './azure-simulator.js';
import { simMetricValue } from './sim-metrics.js';

// Azure Monitor on the simulator, driven by the real SDK clients (arm-monitor 7 for the Activity
// Log and the ARM metrics read, monitor-query-metrics 1.0.0 for metrics:getBatch).

const SUB = '5e6f7a8b-1111-4ccc-8ddd-00000000000a';

function credential(sim: AzureSimulator): ClientSecretCredential {
  return new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: sim.caCertificate },
  });
}

function monitor(sim: AzureSimulator, maxRetries?: number): MonitorClient {
  return new MonitorClient(credential(sim), sim.subscriptionIds[0], {
    endpoint: sim.url,
    tlsOptions: { ca: sim.caCertificate },
    ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }),
  });
}

function metrics(sim: AzureSimulator, endpoint = sim.url, maxRetries?: number): MetricsClient {
  return new MetricsClient(endpoint, credential(sim), {
    tlsOptions: { ca: sim.caCertificate },
    ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }),
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function sinceFilter(minutes: number, extra = ''): string {
  return `eventTimestamp ge '${iso(Date.now() - minutes * 60_000)}' and eventTimestamp le '${iso(Date.now() + 60_000)}'${extra}`;
}

async function raw(sim: AzureSimulator, path: string, token: string): Promise<{ status: number; body: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { ca: sim.caCertificate, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: { code: string } } }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Azure Monitor on the simulator, through the real SDK clients', () => {
  let sim: AzureSimulator;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ subscriptionIds: [SUB], vmCount: 12, pageSize: 5 });
  });
  afterAll(() => sim?.stop());
  afterEach(() => sim.clearFaults());

  describe('Activity Log', () => {
    it('starts with a small history of creations and starts in the last 30 minutes', async () => {
      const events = await collect(monitor(sim).activityLogs.list(sinceFilter(35)));
      const ops = new Set(events.map((e) => e.operationName?.value));
      expect(ops).toEqual(new Set(['Microsoft.Compute/virtualMachines/write', 'Microsoft.Compute/virtualMachines/start/action']));
      expect(events).toHaveLength(16);
      const created = events.filter((e) => e.subStatus?.value === 'Created');
      expect(created).toHaveLength(4);
      expect(created.every((e) => e.properties?.statusCode === 'Created' && e.status?.value === 'Succeeded')).toBe(true);
    });

    it('pages newest first with $skipToken nextLinks and tolerates the duplicate $filter of page 2', async () => {
      sim.clearRequests();
      const events = await collect(monitor(sim).activityLogs.list(sinceFilter(35)));
      const pages = sim.requests.filter((r) => r.path.toLowerCase().endsWith('/eventtypes/management/values'));
      expect(pages.length).toBe(Math.ceil(events.length / 5));
      expect(pages[1].query['$filter']).toBeDefined();
      expect(Object.keys(pages[1].query).some((k) => k === '$skipToken')).toBe(true);
      const times = events.map((e) => e.eventTimestamp!.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(new Set(events.map((e) => e.eventDataId)).size).toBe(events.length);
    });

    it('logs a BeginRequest/EndRequest pair for each mutation, in the wire shape', async () => {
      const vmId = sim.vmIds()[6];
      sim.setPowerState(vmId, 'deallocated');
      sim.resizeVm(vmId, 'Standard_E4s_v5');
      const wire = sim.activityLogEvents().filter((e) => (e.resourceId as string).toLowerCase() === vmId.toLowerCase());
      expect(wire).toHaveLength(4);
      // Two operations in the same instant interleave, newest first: pair them by correlationId.
      const resizeEnd = wire[0];
      const resizeBegin = wire.find((e) => e !== resizeEnd && e.correlationId === resizeEnd.correlationId)!;
      expect(wire.filter((e) => e.correlationId === resizeEnd.correlationId)).toHaveLength(2);
      expect(resizeEnd.correlationId).toBe(resizeBegin.correlationId);
      expect(resizeEnd.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      expect(resizeEnd.eventDataId).toMatch(/^[0-9a-f-]{36}$/);
      expect(resizeEnd.id).toBe(`${resizeEnd.resourceId as string}/events/${resizeEnd.eventDataId as string}/ticks/${(resizeEnd.id as string).split('/').pop()}`);
      expect(resizeEnd).toMatchObject({
        eventName: { value: 'EndRequest' },
        operationName: { value: 'Microsoft.Compute/virtualMachines/write' },
        status: { value: 'Succeeded' },
        category: { value: 'Administrative' },
        resourceType: { value: 'Microsoft.Compute/virtualMachines' },
        subscriptionId: SUB,
        tenantId: sim.tenantId,
      });
      expect(JSON.parse((resizeBegin.properties as { requestbody: string }).requestbody)).toEqual({ properties: { hardwareProfile: { vmSize: 'Standard_E4s_v5' } } });
      expect(wire.find((e) => e.correlationId !== resizeEnd.correlationId && e.eventName && (e.eventName as { value: string }).value === 'BeginRequest')).toMatchObject({ eventName: { value: 'BeginRequest' }, status: { value: 'Started' }, operationName: { value: 'Microsoft.Compute/virtualMachines/deallocate/action' } });

      const viaSdk = await collect(monitor(sim).activityLogs.list(sinceFilter(5, ` and resourceUri eq '${wire[0].resourceId as string}'`)));
      expect(viaSdk.map((e) => e.eventDataId)).toEqual(wire.map((e) => e.eventDataId));
    });

    it('honours resourceGroupName, resourceProvider, correlationId and $select', async () => {
      const vmId = sim.vmIds()[7];
      sim.restartVm(vmId, { outcome: 'Failed' });
      const last = sim.activityLogEvents()[0];
      expect(last).toMatchObject({ status: { value: 'Failed' }, level: 'Error', operationName: { value: 'Microsoft.Compute/virtualMachines/restart/action' } });
      const byCorrelation = await collect(monitor(sim).activityLogs.list(sinceFilter(5, ` and correlationId eq '${last.correlationId as string}'`)));
      expect(byCorrelation).toHaveLength(2);
      const group = last.resourceGroupName as string;
      const byGroup = await collect(monitor(sim).activityLogs.list(sinceFilter(60, ` and resourceGroupName eq '${group.toLowerCase()}'`)));
      expect(byGroup.length).toBeGreaterThan(0);
      expect(byGroup.every((e) => e.resourceGroupName?.toLowerCase() === group.toLowerCase())).toBe(true);
      expect(await collect(monitor(sim).activityLogs.list(sinceFilter(60, " and resourceProvider eq 'Microsoft.Network'")))).toEqual([]);
      const selected = await collect(
        monitor(sim).activityLogs.list(sinceFilter(5, ` and correlationId eq '${last.correlationId as string}'`), { select: 'eventDataId,status' }),
      );
      expect(selected.map((e: EventData) => Object.keys(e).filter((k) => (e as Record<string, unknown>)[k] !== undefined).sort())).toEqual([
        ['eventDataId', 'status'],
        ['eventDataId', 'status'],
      ]);
    });

    it('requires eventTimestamp ge in $filter (400 in the ARM envelope)', async () => {
      const token = (await credential(sim).getToken('https://management.azure.com/.default')).token;
      const path = `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01`;
      const none = await raw(sim, path, token);
      expect(none.status).toBe(400);
      expect(none.body.error?.code).toBe('BadRequest');
      const noStart = await raw(sim, `${path}&$filter=${encodeURIComponent("resourceGroupName eq 'x'")}`, token);
      expect(noStart.status).toBe(400);
      await expect(collect(monitor(sim).activityLogs.list("resourceGroupName eq 'x'"))).rejects.toMatchObject({ statusCode: 400 });
    });

    it('shows a late-arriving event (timestamp in the past) only once it is visible', async () => {
      const vmId = sim.vmIds()[8];
      const at = new Date(Date.now() - 8 * 60_000);
      sim.setTags(vmId, { env: 'late' }, { at, visibleAt: new Date(Date.now() + 60 * 60_000) });
      const filter = sinceFilter(10, ` and resourceUri eq '${vmId.toLowerCase()}'`);
      expect(await collect(monitor(sim).activityLogs.list(filter))).toEqual([]);
      sim.recordActivity(vmId, 'update', { at });
      const visible = await collect(monitor(sim).activityLogs.list(filter));
      expect(visible).toHaveLength(2);
      expect(visible[0].eventTimestamp!.getTime()).toBe(at.getTime());
    });

    it('injects faults on the Activity Log: 429 without Retry-After on page 2, a malformed page, a dropped socket', async () => {
      sim.injectFault({ route: 'activityLogs', page: 2, kind: 'throttle', retryAfterSeconds: null });
      await expect(collect(monitor(sim).activityLogs.list(sinceFilter(35)))).rejects.toMatchObject({ statusCode: 429 });
      sim.injectFault({ route: 'activityLogs', kind: 'malformed' });
      await expect(collect(monitor(sim, 0).activityLogs.list(sinceFilter(35)))).rejects.toThrow();
      sim.injectFault({ route: 'activityLogs', kind: 'drop' });
      await expect(collect(monitor(sim, 0).activityLogs.list(sinceFilter(35)))).rejects.toThrow();
      sim.injectFault({ route: 'activityLogs', kind: 'throttle', retryAfterSeconds: 0, times: 2 });
      expect((await collect(monitor(sim).activityLogs.list(sinceFilter(35)))).length).toBeGreaterThan(0);
    });
  });

  describe('metrics', () => {
    const names = ['Percentage CPU', 'Available Memory Bytes', 'Disk Read Bytes', 'Disk Write Bytes', 'Network In Total', 'Network Out Total'];

    function window(): { startTime: Date; endTime: Date } {
      const end = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
      return { startTime: new Date(end - 10 * 60_000), endTime: new Date(end) };
    }

    it('serves metrics:getBatch to MetricsClient.queryResources with the deterministic values', async () => {
      const ids = sim.vmIds().filter((id) => sim.metricValue(id, 'Percentage CPU', Date.now() - 120_000) !== null).slice(0, 3);
      const { startTime, endTime } = window();
      const results = await metrics(sim).queryResources(ids, names, 'Microsoft.Compute/virtualMachines', {
        startTime,
        endTime,
        interval: 'PT1M',
        aggregation: 'average,total',
      });
      expect(results.map((r) => r.resourceId)).toEqual(ids);
      for (const result of results) {
        expect(result.granularity).toBe('PT1M');
        const cpu = result.getMetricByName('Percentage CPU')!;
        expect(cpu.unit).toBe('Percent');
        expect(result.getMetricByName('Disk Read Bytes')!.unit).toBe('Bytes');
        const data = cpu.timeseries[0].data!;
        expect(data).toHaveLength(10);
        for (const point of data) expect(point.average).toBe(simMetricValue(result.resourceId!, 'Percentage CPU', point.timeStamp.getTime()));
        const net = result.getMetricByName('Network In Total')!.timeseries[0].data!;
        for (const point of net) expect(point.total).toBe(simMetricValue(result.resourceId!, 'Network In Total', point.timeStamp.getTime()));
      }
    });

    it('omits the aggregations of minutes when the VM was deallocated', async () => {
      const vmId = sim.vmIds()[9];
      const { startTime, endTime } = window();
      sim.setPowerState(vmId, 'running', { at: new Date(startTime.getTime() - 60_000) });
      sim.setPowerState(vmId, 'deallocated', { at: new Date(startTime.getTime() + 5 * 60_000) });
      const [result] = await metrics(sim).queryResources([vmId], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines', {
        startTime,
        endTime,
        interval: 'PT1M',
        aggregation: 'average,count',
      });
      const data = result.metrics[0].timeseries[0].data!;
      expect(data.slice(0, 5).every((p) => typeof p.average === 'number' && p.count === 1)).toBe(true);
      expect(data.slice(5).every((p) => p.average === undefined && p.count === 0)).toBe(true);
    });

    it('serves the ARM per-resource read to arm-monitor metrics.list (leading slash collapsed)', async () => {
      const vmId = sim.vmIds().find((id) => sim.metricValue(id, 'Percentage CPU', Date.now() - 120_000) !== null)!;
      const { startTime, endTime } = window();
      const response = await monitor(sim).metrics.list(vmId, {
        metricnames: 'Percentage CPU,Disk Write Bytes',
        timespan: `${startTime.toISOString()}/${endTime.toISOString()}`,
        interval: 'PT1M',
        aggregation: 'Average,Total',
        metricnamespace: 'Microsoft.Compute/virtualMachines',
      });
      expect(response.value.map((m) => m.name.value)).toEqual(['Percentage CPU', 'Disk Write Bytes']);
      const point = response.value[1].timeseries![0].data![3];
      expect(point.total).toBe(simMetricValue(vmId, 'Disk Write Bytes', point.timeStamp.getTime()));
    });

    it('checks the region of a regional endpoint, the 50-resource limit and the token audience', async () => {
      const ids = sim.vmIds();
      const location = (await metrics(sim).queryResources([ids[0]], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines'))[0].resourceRegion!;
      const regional = metrics(sim, sim.metricsEndpointTemplate.replace('{location}', location));
      await expect(regional.queryResources([ids[0]], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines')).resolves.toHaveLength(1);
      const elsewhere = metrics(sim, sim.metricsEndpointTemplate.replace('{location}', 'nowhere'));
      await expect(elsewhere.queryResources([ids[0]], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines')).rejects.toMatchObject({ statusCode: 400 });
      const many = Array.from({ length: 51 }, (_, i) => `${ids[0]}-${i}`);
      await expect(metrics(sim).queryResources(many, ['Percentage CPU'], 'Microsoft.Compute/virtualMachines')).rejects.toMatchObject({ statusCode: 400 });
      const ownAudience = new MetricsClient(sim.url, credential(sim), { tlsOptions: { ca: sim.caCertificate }, audience: 'https://metrics.monitor.azure.com/.default' });
      await expect(ownAudience.queryResources([ids[0]], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines')).resolves.toHaveLength(1);
      const graph = new MetricsClient(sim.url, credential(sim), { tlsOptions: { ca: sim.caCertificate }, audience: 'https://graph.microsoft.com/.default' });
      await expect(graph.queryResources([ids[0]], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines')).rejects.toMatchObject({ statusCode: 401 });
    });

    it('injects faults on metrics:getBatch: 429 with and without Retry-After, 5xx, malformed, dropped socket', async () => {
      const id = sim.vmIds()[0];
      const query = (client: MetricsClient) => client.queryResources([id], ['Percentage CPU'], 'Microsoft.Compute/virtualMachines');
      sim.injectFault({ route: 'metricsBatch', kind: 'throttle', retryAfterSeconds: 0 });
      await expect(query(metrics(sim))).resolves.toHaveLength(1);
      sim.injectFault({ route: 'metricsBatch', kind: 'throttle', retryAfterSeconds: null });
      await expect(query(metrics(sim))).rejects.toMatchObject({ statusCode: 429 });
      sim.injectFault({ route: 'metricsBatch', kind: 'error', status: 503 });
      await expect(query(metrics(sim, sim.url, 0))).rejects.toMatchObject({ statusCode: 503 });
      sim.injectFault({ route: 'metricsBatch', kind: 'malformed' });
      await expect(query(metrics(sim, sim.url, 0))).rejects.toThrow();
      sim.injectFault({ route: 'metricsBatch', kind: 'drop' });
      await expect(query(metrics(sim, sim.url, 0))).rejects.toThrow();
    });
  });
});
