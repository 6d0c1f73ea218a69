/**
 * `npm run bench:refresh`: a full refresh of 10,000 simulated VMs (a NIC and a disk each; spread
 * over BENCH_SUBSCRIPTIONS subscriptions, default 1, refreshed in parallel up to the provider's
 * subscription concurrency) through the whole product path (Azure simulator → real SDK → plugin → persister →
 * database), on SQLite and on PostgreSQL, against a floor measured in the same run: the same
 * pages fetched and parsed by the SDK alone, with nothing persisted. Reports figures; asserts
 * only correctness (VM counts, zero rows written by the unchanged second refresh). A second part
 * does the same for a Hyper-V host of 1,000 VMs over SSH, its floor being the same inventory
 * script run over the same SSH session code and its JSON parsed.
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import { INVENTORY_SCRIPT, PowerShellSession } from '@hybridforms/providers/hyperv';
import { AzureSimulator, HyperVHostSimulator } from '@hybridforms/testing';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

const VM_COUNT = Number(process.env.BENCH_VM_COUNT ?? 10_000);
const SUBSCRIPTIONS = Math.max(1, Number(process.env.BENCH_SUBSCRIPTIONS ?? 1));
const VMS_PER_SUBSCRIPTION = Math.ceil(VM_COUNT / SUBSCRIPTIONS);
const TOTAL_VMS = VMS_PER_SUBSCRIPTION * SUBSCRIPTIONS;
const HYPERV_VM_COUNT = Number(process.env.BENCH_HYPERV_VM_COUNT ?? 1_000);
const PAGE_SIZE = 1000;
const TIMEOUT_MS = 30 * 60 * 1000;

interface Row {
  driver: string;
  firstMs: number;
  secondMs: number;
  secondRowsWritten: number;
  vms: number;
  peakRssMb: number;
  /** The process's RSS just before the refreshes (the simulator's estate and the app included). */
  baseRssMb: number;
  peakHeapMb: number;
}

describe(`refresh benchmark (${TOTAL_VMS} VMs)`, () => {
  let sim: AzureSimulator;
  const rows: Row[] = [];
  let floorMs = 0;

  beforeAll(async () => {
    const subscriptionIds = Array.from({ length: SUBSCRIPTIONS }, (_, i) => `b0000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
    sim = await AzureSimulator.start({ vmCount: VMS_PER_SUBSCRIPTION, pageSize: PAGE_SIZE, subscriptionIds });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await sim?.stop();
    const lines = [
      `refresh benchmark: ${TOTAL_VMS} VMs (1 NIC + 1 OS disk each) in ${SUBSCRIPTIONS} subscription(s), pages of ${PAGE_SIZE}`,
      `floor (SDK fetch + parse of the same pages, no persistence): ${floorMs.toFixed(0)} ms`,
      ...rows.map(
        (r) =>
          `${r.driver.padEnd(10)} first refresh ${r.firstMs.toFixed(0)} ms (${(r.firstMs / floorMs).toFixed(2)}x floor), ` +
          `second (unchanged) ${r.secondMs.toFixed(0)} ms (${(r.secondMs / floorMs).toFixed(2)}x floor), rows written by the second: ${r.secondRowsWritten}, ` +
          `peak RSS ${r.peakRssMb.toFixed(0)} MB (${(r.peakRssMb - r.baseRssMb).toFixed(0)} MB above the ${r.baseRssMb.toFixed(0)} MB before), peak heap ${r.peakHeapMb.toFixed(0)} MB`,
      ),
    ];
    console.log(lines.join('\n'));
  });

  it('measures the floor: the SDK alone pages through the same lists', async () => {
    // Warm-up pass so that TLS, token and JIT costs do not land on whichever runs first.
    await sdkPass(sim);
    const started = performance.now();
    const count = await sdkPass(sim);
    floorMs = performance.now() - started;
    expect(count).toBe(TOTAL_VMS);
  }, TIMEOUT_MS);

  it.each([['sqlite'], ['postgresql']])('refreshes through the product on %s', async (driver) => {
    const scratch = driver === 'postgresql' ? await createScratchDatabase('hf_bench') : null;
    const t = await startTestApp(scratch ? { DATABASE_URL: scratch.url } : {});
    try {
      (globalThis as { gc?: () => void }).gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      let peakHeap = process.memoryUsage().heapUsed;
      const sampler = setInterval(() => {
        const usage = process.memoryUsage();
        peak = Math.max(peak, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
      }, 50);
      const first = await timedRefresh(t, sim, true);
      const second = await timedRefresh(t, sim, false);
      clearInterval(sampler);
      expect(first.vms).toBe(TOTAL_VMS);
      expect(second.rowsWritten).toBe(0);
      rows.push({
        driver,
        firstMs: first.ms,
        secondMs: second.ms,
        secondRowsWritten: second.rowsWritten,
        vms: first.vms,
        peakRssMb: peak / 2 ** 20,
        baseRssMb: base / 2 ** 20,
        peakHeapMb: peakHeap / 2 ** 20,
      });
    } finally {
      await t.close();
      await scratch?.drop();
    }
  }, TIMEOUT_MS);
});

describe(`Hyper-V refresh benchmark (${HYPERV_VM_COUNT} VMs on one host)`, () => {
  let host: HyperVHostSimulator;
  const rows: Row[] = [];
  let floorMs = 0;

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: HYPERV_VM_COUNT });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await host?.stop();
    console.log(
      [
        `Hyper-V refresh benchmark: ${HYPERV_VM_COUNT} VMs on one host over SSH`,
        `floor (the inventory script over SSH + JSON parse, no persistence): ${floorMs.toFixed(0)} ms`,
        ...rows.map(
          (r) =>
            `${r.driver.padEnd(10)} first refresh ${r.firstMs.toFixed(0)} ms (${(r.firstMs / floorMs).toFixed(2)}x floor), ` +
            `second (unchanged) ${r.secondMs.toFixed(0)} ms (${(r.secondMs / floorMs).toFixed(2)}x floor), rows written by the second: ${r.secondRowsWritten}`,
        ),
      ].join('\n'),
    );
  });

  it('measures the floor: the inventory script over SSH and its JSON parsed', async () => {
    const pass = async () => {
      const session = await PowerShellSession.open({
        host: host.host,
        port: host.port,
        username: host.username,
        password: host.password,
        hostKeyFingerprint: host.hostKeyFingerprint,
        connectTimeoutMs: 15_000,
        commandTimeoutMs: 600_000,
      });
      try {
        return JSON.parse(await session.run('inventory script', INVENTORY_SCRIPT)).vms.length as number;
      } finally {
        session.close();
      }
    };
    await pass();
    const started = performance.now();
    expect(await pass()).toBe(HYPERV_VM_COUNT);
    floorMs = performance.now() - started;
  }, TIMEOUT_MS);

  it.each([['sqlite'], ['postgresql']])('refreshes through the product on %s', async (driver) => {
    const scratch = driver === 'postgresql' ? await createScratchDatabase('hf_bench') : null;
    const t = await startTestApp(scratch ? { DATABASE_URL: scratch.url } : {});
    try {
      const started = performance.now();
      const created = await t.http().post('/api/v1/providers').send(hypervProviderRequest(host, 'bench-hyperv')).expect(201);
      const first = await waitForRefresh(t, created.body.refreshId, TIMEOUT_MS);
      const firstMs = performance.now() - started;
      const again = performance.now();
      const second = await waitForRefresh(t, (await t.http().post(`/api/v1/providers/${created.body.id}/refresh`).expect(202)).body.id, TIMEOUT_MS);
      const secondMs = performance.now() - again;
      expect([first.status, second.status]).toEqual(['completed', 'completed']);
      expect((first.progress as Record<string, number>).vms).toBe(HYPERV_VM_COUNT);
      const rowsWritten = (second.progress as Record<string, number>).rowsWritten;
      expect(rowsWritten).toBe(0);
      rows.push({ driver, firstMs, secondMs, secondRowsWritten: rowsWritten, vms: HYPERV_VM_COUNT, peakRssMb: 0, baseRssMb: 0, peakHeapMb: 0 });
    } finally {
      await t.close();
      await scratch?.drop();
    }
  }, TIMEOUT_MS);
});

async function sdkPass(sim: AzureSimulator): Promise<number> {
  const credential = new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: sim.caCertificate },
  });
  const options = { endpoint: sim.url, tlsOptions: { ca: sim.caCertificate } };
  let vms = 0;
  for (const subscriptionId of sim.subscriptionIds) {
    const compute = new ComputeManagementClient(credential, subscriptionId, options);
    const network = new NetworkManagementClient(credential, subscriptionId, options);
    const [models, statuses] = await Promise.all([
      collect(compute.virtualMachines.listAll()),
      collect(compute.virtualMachines.listAll({ statusOnly: 'true' })),
      collect(network.networkInterfaces.listAll()),
      collect(network.publicIPAddresses.listAll()),
      collect(compute.disks.list()),
    ]);
    vms += models.length;
    expect(statuses.length).toBe(models.length);
  }
  return vms;
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function timedRefresh(t: TestApp, sim: AzureSimulator, create: boolean): Promise<{ ms: number; vms: number; rowsWritten: number }> {
  const started = performance.now();
  let refreshId: string;
  if (create) {
    const res = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'bench')).expect(201);
    refreshId = res.body.refreshId;
  } else {
    const providers = await t.http().get('/api/v1/providers').expect(200);
    refreshId = (await t.http().post(`/api/v1/providers/${providers.body.items[0].id}/refresh`).expect(202)).body.id;
  }
  const refresh = await waitForRefresh(t, refreshId, 25 * 60 * 1000);
  const ms = performance.now() - started;
  expect({ status: refresh.status, errors: refresh.errors }).toEqual({ status: 'completed', errors: [] });
  const progress = refresh.progress as Record<string, number>;
  return { ms, vms: progress.vms, rowsWritten: progress.rowsWritten };
}
