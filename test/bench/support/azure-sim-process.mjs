// The Azure simulator of `npm run bench:scale` in a process of its own, so that its memory is not
// counted against the processes measured and it does not share their event loop. Plain
// JavaScript (Node 20 runs no TypeScript): it imports the simulator from the service build
// (test/faults/support/service-process.ts buildService(), which compiles libs/testing too).
//
//   BENCH_SIM_PLAN='<json>' node azure-sim-process.mjs     json: { testingIndex, options }
//
// `testingIndex` is the built libs/testing/src/index.js, `options` the AzureSimulatorOptions.
// Once listening it writes one line of JSON on stdout: { pid, url, caCertificate, tenantId,
// clientId, clientSecret, subscriptionIds, metricsEndpointTemplate, startMs }. It stops on SIGTERM
// or when its stdin closes (the parent died), writing { stopped: true, vmHwmKb } first.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const plan = JSON.parse(process.env.BENCH_SIM_PLAN ?? '');
const { AzureSimulator } = await import(pathToFileURL(plan.testingIndex).href);

const started = performance.now();
const sim = await AzureSimulator.start(plan.options);
process.stdout.write(
  `${JSON.stringify({
    pid: process.pid,
    url: sim.url,
    caCertificate: sim.caCertificate,
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    subscriptionIds: sim.subscriptionIds,
    metricsEndpointTemplate: sim.metricsEndpointTemplate,
    startMs: performance.now() - started,
  })}\n`,
);

// Request log entries are kept by the simulator for tests; a long run has no use for them.
const trim = setInterval(() => sim.clearRequests(), 5_000);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(trim);
  const vmHwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  await sim.stop();
  process.stdout.write(`${JSON.stringify({ stopped: true, vmHwmKb })}\n`, () => process.exit(0));
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
