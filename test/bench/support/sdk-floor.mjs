// The floor of `npm run bench:scale`, in a process of its own: the real Azure SDK lists the same
// pages a streamed full refresh lists (libs/providers/azure/src/azure.collector.ts streamFull), in
// the same order and with the same subscription concurrency, and nothing is kept or persisted
// (each page is counted, then dropped). Plain JavaScript because Node 20 runs no TypeScript.
//
//   BENCH_FLOOR_PLAN='<json>' node sdk-floor.mjs
//   json (in the environment, not on the command line: it holds the client secret): { url, caCertificate, tenantId, clientId, clientSecret, subscriptionIds,
//           concurrencies: [number], warmup: boolean }
//
// Per subscription, as the collector does: resource groups, VM statuses, public IPs and NICs
// together; then the VM pages (with the VM size list of each new location); then NICs (a second
// pass) and disks together. One pass per concurrency (after a warm-up pass of one subscription
// unless warmup is false). Writes one line of JSON on stdout:
//   { passes: [{ concurrency, ms, counts }], vmHwmKb }
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';

const plan = JSON.parse(process.env.BENCH_FLOOR_PLAN ?? '');
const tlsOptions = { ca: [...rootCertificates, plan.caCertificate] };
const SCOPE = 'https://management.azure.com/.default';

function clientsFor(credential, subscriptionId) {
  const common = { endpoint: plan.url, tlsOptions, userAgentOptions: { userAgentPrefix: 'hybridforms-floor' } };
  return {
    compute: new ComputeManagementClient(credential, subscriptionId, { ...common, credentials: { scopes: [SCOPE] } }),
    network: new NetworkManagementClient(credential, subscriptionId, { ...common, credentialScopes: [SCOPE] }),
    resources: new ResourceManagementClient(credential, subscriptionId, { ...common, credentialScopes: [SCOPE] }),
  };
}

async function pages(counts, name, iterable, onPage) {
  for await (const page of iterable.byPage()) {
    counts[name] = (counts[name] ?? 0) + page.length;
    counts.pages = (counts.pages ?? 0) + 1;
    if (onPage) await onPage(page);
  }
}

async function subscription(credential, subscriptionId, counts) {
  const { compute, network, resources } = clientsFor(credential, subscriptionId);
  await Promise.all([
    pages(counts, 'resourceGroups', resources.resourceGroups.list()),
    pages(counts, 'vmStatuses', compute.virtualMachines.listAll({ statusOnly: 'true' })),
    pages(counts, 'publicIps', network.publicIPAddresses.listAll()),
    pages(counts, 'nicsFirstPass', network.networkInterfaces.listAll()),
  ]);
  const sized = new Set();
  await pages(counts, 'vms', compute.virtualMachines.listAll(), async (page) => {
    const locations = [...new Set(page.map((vm) => String(vm.location ?? '').toLowerCase().replace(/\s+/g, '')).filter((l) => l && !sized.has(l)))];
    for (const location of locations) sized.add(location);
    await Promise.all(locations.map((location) => pages(counts, 'vmSizes', compute.virtualMachineSizes.list(location))));
  });
  await Promise.all([pages(counts, 'nics', network.networkInterfaces.listAll()), pages(counts, 'disks', compute.disks.list())]);
}

async function pass(subscriptionIds, concurrency) {
  // A credential per pass, its token fetched first as the collector's authenticate() does.
  const credential = new ClientSecretCredential(plan.tenantId, plan.clientId, plan.clientSecret, {
    authorityHost: plan.url,
    disableInstanceDiscovery: true,
    tlsOptions,
  });
  const counts = {};
  const started = performance.now();
  await credential.getToken([SCOPE], { enableCae: true });
  const queue = [...subscriptionIds];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) await subscription(credential, id, counts);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, subscriptionIds.length)) }, worker));
  return { concurrency, ms: performance.now() - started, counts };
}

if (plan.warmup !== false) await pass(plan.subscriptionIds.slice(0, 1), 1);
const passes = [];
for (const concurrency of plan.concurrencies) passes.push(await pass(plan.subscriptionIds, concurrency));
const vmHwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(`${JSON.stringify({ passes, vmHwmKb })}\n`);
