/**
 * `npm run bench:provisioning`: one provision request of BENCH_PROVISION_VMS (default 200) RHEL VMs
 * against the Azure simulator, whose creates take BENCH_PROVISION_DELAY_MS (default 1000) with
 * `Retry-After: 1`. Measured: the wall time from the admin's approval to the request succeeded
 * (every VM's NIC and VM made, read into the inventory by targeted refreshes and linked to its
 * task), the ARM requests each VM cost, and the process's peak RSS (the app and the simulator share
 * this process).
 *
 * The floor, in the same run, in another resource group: the same PUTs (NIC, then the VM) and
 * polls, made by the SDK alone with the same concurrency bound (provisioning.concurrencyPerProvider)
 * and nothing else — no API, no queue, no database, no refresh. Asserts only correctness: every
 * task succeeded, one VM per name, one PUT per NIC and per VM.
 */
import { NetworkManagementClient } from '@azure/arm-network';
import { AzureSimulator, type SimRequest } from '@hybridforms/testing';
import { RunProvisionRequest } from '@hybridforms/provisioning';
import { clientOptions, compute, credential } from '../../libs/testing/src/azure/sim-sdk.fixture.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

const VMS = Number(process.env.BENCH_PROVISION_VMS ?? 200);
const DELAY_MS = Number(process.env.BENCH_PROVISION_DELAY_MS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_PROVISION_CONCURRENCY ?? 20);
const RETRY_AFTER_S = 1;
const TIMEOUT_MS = 30 * 60 * 1000;
const LOCATION = 'eastus';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzNVJ1gZ6FH3P0pB1xq6sJq0tVw2cT0F5c8nB4oH2mX ops@example';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** The peak RSS while `work` runs, sampled every 50 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

describe(`provisioning benchmark (${VMS} VMs in one request, ${DELAY_MS} ms creates)`, () => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;
  let subnetId: string;

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 0, pageSize: 1000, operationDelayMs: DELAY_MS, operationRetryAfterSeconds: RETRY_AFTER_S });
    subnetId = sim.addSubnet(sim.subscriptionIds[0], 'rg-bench', 'vnet-bench');
    sim.setCoreQuota(sim.subscriptionIds[0], LOCATION, 100_000);
    t = await startTestApp({
      HYBRIDFORMS_PROVISION_CONCURRENCY_PER_PROVIDER: String(CONCURRENCY),
      HYBRIDFORMS_PROVISION_MAX_VMS_PER_REQUEST: String(Math.max(VMS, 200)),
      HYBRIDFORMS_PROVISION_MAX_VCPUS_PER_REQUEST: String(Math.max(VMS * 2, 800)),
      HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
      HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
      HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
      HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '1',
    });
    const request = azureProviderRequest(sim, 'bench-provision');
    const created = await t
      .http()
      .post('/api/v1/providers')
      .send({ ...request, config: { ...request.config, locations: [LOCATION] } })
      .expect(201);
    providerId = created.body.id;
    await waitForRefresh(t, created.body.refreshId, 120_000);
  }, TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it(
    'makes them all, near the floor, with a bounded number of ARM requests per VM',
    async () => {
      // The floor: the SDK alone makes the same NICs and VMs, the same concurrency bound.
      const cred = credential(sim);
      const computeClient = compute(sim, undefined, cred);
      const network = new NetworkManagementClient(cred, sim.subscriptionIds[0], clientOptions(sim));
      const floorNames = Array.from({ length: VMS }, (_, i) => `floor-${String(i + 1).padStart(4, '0')}`);
      const floor = await peakRss(async () => {
        const started = performance.now();
        await pool(floorNames, CONCURRENCY, async (name) => {
          const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait('rg-bench', `${name}-nic`, {
            location: LOCATION,
            ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId }, privateIPAllocationMethod: 'Dynamic', primary: true }],
          });
          await computeClient.virtualMachines.beginCreateOrUpdateAndWait('rg-bench', name, {
            location: LOCATION,
            hardwareProfile: { vmSize: 'Standard_D2s_v3' },
            storageProfile: {
              imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
              osDisk: { name: `${name}-osdisk`, createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
            },
            osProfile: {
              computerName: name,
              adminUsername: 'cloud-user',
              linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: '/home/cloud-user/.ssh/authorized_keys', keyData: KEY }] } },
            },
            networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: 'Delete' }] },
          });
        });
        return performance.now() - started;
      });

      // Ours: one request, approved by an admin (more VMs than the policy approves alone).
      const submitted = await t
        .http()
        .post('/api/v1/provision-requests')
        .send({
          provider: providerId,
          source: `marketplace:${LOCATION}:RedHat:RHEL:9-lvm-gen2`,
          namePattern: 'ours-{n}',
          count: VMS,
          size: { vmSize: 'Standard_D2s_v3' },
          placement: { resourceGroup: 'rg-bench', location: LOCATION, subnetId, publicIp: false },
          admin: { username: 'cloud-user', sshPublicKey: KEY },
        })
        .expect(201);
      expect(submitted.body.status).toBe('pending_approval');
      const mark = sim.requests.length;
      const ours = await peakRss(async () => {
        const started = performance.now();
        await t.http().post(`/api/v1/provision-requests/${submitted.body.id}/approve`).expect(200);
        const approvedMs = performance.now() - started;
        await t.app.get(RunProvisionRequest).idle();
        return { approvedMs, doneMs: performance.now() - started };
      });

      const done = (await t.http().get(`/api/v1/provision-requests/${submitted.body.id}`).expect(200)).body as { status: string; tasks: { status: string; vmId: string | null; startedAt: string; finishedAt: string }[] };
      expect(done.status).toBe('succeeded');
      expect(done.tasks.filter((task) => task.status === 'succeeded' && task.vmId)).toHaveLength(VMS);
      const ourVms = sim.vmIds().filter((id) => /\/ours-\d+$/i.test(id));
      expect(ourVms).toHaveLength(VMS);

      // ARM requests per VM: its NIC's and VM's PUTs and their status polls (by the simulator's
      // operation ids), the final GETs; the refreshes' reads are counted apart.
      const requests = sim.requests.slice(mark);
      const creationOf = new Map<string, string>();
      for (const op of sim.vmOperations()) creationOf.set(op.id.toLowerCase(), op.vmId.toLowerCase().split('/').pop()!);
      for (const op of sim.resourceCreations()) creationOf.set(op.id.toLowerCase(), op.resourceId.toLowerCase().split('/').pop()!.replace(/-nic$/, ''));
      const perVm = new Map<string, SimRequest[]>();
      let refreshReads = 0;
      for (const r of requests) {
        const path = r.path.toLowerCase();
        let vm: string | undefined;
        if (r.route === 'operations' || r.route === 'resourcecreations') vm = creationOf.get(path.split('/').pop() ?? '');
        else if (r.method === 'PUT') vm = path.split('/').pop()!.replace(/-nic$/, '');
        else if (r.creation && r.method === 'GET') vm = path.split('/').pop()!.replace(/-nic$/, '');
        if (!vm?.startsWith('ours-')) {
          refreshReads += 1;
          continue;
        }
        perVm.set(vm, [...(perVm.get(vm) ?? []), r]);
      }
      const counts = [...perVm.values()].map((list) => ({ puts: list.filter((r) => r.method === 'PUT').length, total: list.length }));
      expect(counts).toHaveLength(VMS);
      expect(counts.every((c) => c.puts === 2)).toBe(true);
      const durations = done.tasks.map((task) => new Date(task.finishedAt).getTime() - new Date(task.startedAt).getTime());
      const rounds = Math.ceil(VMS / CONCURRENCY);

      console.log(
        [
          `provisioning benchmark: ${VMS} VMs in one request, creates take ${DELAY_MS} ms (Retry-After ${RETRY_AFTER_S} s), ${CONCURRENCY} at once per provider (provisioning.concurrencyPerProvider)`,
          `  floor (SDK alone: NIC then VM PUT + polls, same bound): ${s(floor.result)}   (theory: ${rounds} rounds of two creates: ≥ ${s(rounds * 2 * DELAY_MS)})`,
          `  approve answered:                                       ${s(ours.result.approvedMs)}`,
          `  request succeeded (made, refreshed, linked):            ${s(ours.result.doneMs)}   ratio to floor ${(ours.result.doneMs / floor.result).toFixed(2)}`,
          `  task duration median ${s(median(durations))}, max ${s(Math.max(...durations))}`,
          `  ARM requests per VM: median ${median(counts.map((c) => c.total))}, max ${Math.max(...counts.map((c) => c.total))} (2 PUTs, their polls and final GETs); the refreshes' reads: ${refreshReads} in all`,
          `  peak RSS of this process (app + simulator): floor ${mb(floor.peak)}, ours ${mb(ours.peak)}`,
        ].join('\n'),
      );
    },
    TIMEOUT_MS,
  );
});
