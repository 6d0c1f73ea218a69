// The client side of `npm run bench:load`: autocannon in a process of its own, so that the load
// generator does not share an event loop (or a garbage collector) with the API it measures.
// Plain JavaScript because Node 20 runs no TypeScript; nothing here is product code.
//
// Reads a plan from stdin as JSON:
//   { url, connections, seconds, rampMaxSeconds, headers, seed, mix: [{ name, weight, paths: [string] }] }
// Every connection sends request after request, each path drawn from the mix (a category by
// weight, then one of its paths uniformly). Writes the figures on stdout as JSON.
//
// Ramp, then window. Node accepts one new connection per turn of its event loop, so 50
// connections opened at once against a busy server are accepted one by one over seconds (and a
// connection not accepted within autocannon's 10 s times out). The figures would then describe
// that burst, not the steady load. So the window starts only once every connection has had a
// response (or after rampMaxSeconds), keeps the same connections, and lasts `seconds`; the ramp
// is reported on its own (how long it took, and its timeouts and errors).
import autocannon from 'autocannon';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const plan = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// mulberry32: a seeded stream, so two runs of the same plan send the same sequence of paths.
let state = plan.seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const totalWeight = plan.mix.reduce((sum, category) => sum + category.weight, 0);
function nextPath() {
  let draw = random() * totalWeight;
  for (const category of plan.mix) {
    draw -= category.weight;
    if (draw < 0) return category.paths[Math.floor(random() * category.paths.length)];
  }
  const last = plan.mix[plan.mix.length - 1];
  return last.paths[Math.floor(random() * last.paths.length)];
}

function phase() {
  return { responses: 0, statusCodes: {}, non2xx: 0, errors: 0, timeouts: 0, latencies: [], perConnection: new Map() };
}

const started = performance.now();
const ramp = phase();
let window = null;
let windowStartedAt = 0;
let windowEndedAt = 0;
let rampMs = 0;
const everServed = new Set();

const instance = autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.rampMaxSeconds + plan.seconds + 10,
  headers: plan.headers,
  requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) }],
});

function startWindow() {
  if (window) return;
  rampMs = performance.now() - started;
  window = phase();
  windowStartedAt = performance.now();
  process.stderr.write('window-start\n');
  setTimeout(() => {
    windowEndedAt = performance.now();
    process.stderr.write('window-end\n');
    instance.stop();
  }, plan.seconds * 1000);
}
const rampTimer = setTimeout(startWindow, plan.rampMaxSeconds * 1000);

instance.on('response', (client, statusCode, _bytes, responseTime) => {
  if (windowEndedAt) return;
  const current = window ?? ramp;
  current.responses++;
  current.statusCodes[statusCode] = (current.statusCodes[statusCode] ?? 0) + 1;
  if (statusCode < 200 || statusCode > 299) current.non2xx++;
  current.latencies.push(responseTime);
  current.perConnection.set(client, (current.perConnection.get(client) ?? 0) + 1);
  if (!window) {
    everServed.add(client);
    if (everServed.size === plan.connections) {
      clearTimeout(rampTimer);
      startWindow();
    }
  }
});
instance.on('reqError', (error) => {
  if (windowEndedAt) return;
  const current = window ?? ramp;
  current.errors++;
  if (/timed out/.test(error.message)) current.timeouts++;
});

await instance;

function percentile(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function summary(p, seconds) {
  const sorted = p.latencies.sort((a, b) => a - b);
  const perConnection = [...p.perConnection.values()].sort((a, b) => a - b);
  while (perConnection.length < plan.connections) perConnection.unshift(0);
  return {
    seconds,
    responses: p.responses,
    requestsPerSecond: seconds > 0 ? p.responses / seconds : 0,
    statusCodes: p.statusCodes,
    non2xx: p.non2xx,
    errors: p.errors,
    timeouts: p.timeouts,
    latency: {
      mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? 0,
    },
    perConnection: { min: perConnection[0], median: perConnection[Math.floor(perConnection.length / 2)], max: perConnection[perConnection.length - 1] },
  };
}

process.stdout.write(
  JSON.stringify({
    ramp: { ...summary(ramp, rampMs / 1000), connectionsServed: everServed.size },
    window: summary(window ?? phase(), ((windowEndedAt || performance.now()) - windowStartedAt) / 1000),
  }),
);
