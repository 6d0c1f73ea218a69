/**
 * `npm run bench:automation`: the same trivial playbook (2 tasks, gather_facts false) run
 * BENCH_AUTOMATION_RUNS times (default 20) through the API — POST /api/v1/playbook-runs against
 * one discovered VM mapped to an OpenSSH server on a loopback port, the run queue, our
 * ansible-runner wrapper, events stored in SQLite (the embedded default) — and the same number of
 * times as a bare `ansible-runner run` doing the same work: a private data dir with the same
 * inventory, key, known_hosts, envvars and settings (written by the wrapper's own
 * preparePrivateDataDir, untimed), timed from spawn to exit. Both sequentially (alternating which
 * side goes first) and 8 at a time (API: HYBRIDFORMS_RUN_CONCURRENCY=8, all posted then awaited;
 * bare: a pool of 8). Reports medians, totals, the API/bare ratio (our dispatch overhead), events
 * stored per second and peak memory. Asserts only correctness: every run successful, the same event
 * count on both sides, nothing left running.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataSource, In } from 'typeorm';
import { AnsibleRunner, type AnsibleInventory, type RunnerJob } from '@hybridforms/automation';
import { PlaybookRunEntity, PlaybookRunEventEntity } from '@hybridforms/persistence';
import { AzureSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { preparePrivateDataDir } from '../../libs/automation/src/runner/private-data-dir.js';
import { findProcesses, killProcessesMatching } from '../../libs/automation/src/runner/process-sweep.js';
import { azureProviderRequest } from '../support/provider-requests.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

const RUNS = Number(process.env.BENCH_AUTOMATION_RUNS ?? 20);
const PARALLEL = 8;
const POLL_MS = Number(process.env.BENCH_AUTOMATION_POLL_MS ?? 20);
const SAMPLE_MS = 100;
const TIMEOUT_MS = 30 * 60 * 1000;
const PLAYBOOK = 'bench.yml';
// The wrapper's defaults (AnsibleRunner: sshConnectTimeoutSeconds 10, controlPersistSeconds 60).
const PDD_OPTIONS = { sshConnectTimeoutSeconds: 10, controlPersistSeconds: 60 };

type Mode = 'sequential' | 'parallel';
type ApiRunView = {
  id: string;
  status: string;
  reason: string | null;
  eventCount: number;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
};

interface ApiSample {
  /** Server's finishedAt − the client's clock just before the POST (same process, same clock). */
  e2eMs: number;
  /** POST → finished state first seen by polling every POST_MS. */
  observedMs: number;
  /** The runner's own startedAt → finishedAt: PDD, ansible-runner, event storage, cleanup. */
  runnerMs: number;
  /** requestedAt → the runner's startedAt: queue wait + claim + credential decryption. */
  queueMs: number;
  events: number;
}

interface BareSample {
  /** Spawn → exit. */
  ms: number;
  /** Submitted (the batch's start when all are submitted at once) → exit: pool wait + PDD + spawn → exit. */
  e2eMs: number;
  prepMs: number;
  cleanupMs: number;
  events: number;
}

interface Peak {
  selfRss: number;
  controllerRss: number;
  controllerProcs: number;
  targetRss: number;
}

interface Batch {
  api: ApiSample[];
  bare: BareSample[];
  /** Sequential mode only: our AnsibleRunner alone (no API, queue or database), its listener doing nothing. */
  wrapper: number[];
  apiWallMs: number;
  bareWallMs: number;
  apiPeak: Peak;
  barePeak: Peak;
  storedEvents: number;
}

const batches: Partial<Record<Mode, Batch>> = {};
let versions = '';

const play = [
  '- name: Benchmark',
  '  hosts: all',
  '  gather_facts: false',
  '  vars:',
  '    ansible_python_interpreter: /usr/bin/python3',
  '  tasks:',
  '    - name: true',
  '      ansible.builtin.command: /bin/true',
  '    - name: say',
  '      ansible.builtin.debug:',
  '        msg: hello',
  '',
].join('\n');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const PAGE = 4096;
const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(0)}`;

/**
 * Memory of what a run costs, every SAMPLE_MS: this process's RSS; the controller side (every
 * descendant of this process outside the sshd tree, plus the ssh ControlPersist masters, which
 * daemonize away from their parent and are found by the run directories in their command line);
 * and the target side (the loopback sshd and everything under it: the "VM").
 */
class MemorySampler {
  constructor(private readonly markers: string[]) {}

  private sample(peak: Peak): void {
    const procs = new Map<number, { ppid: number; comm: string }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        procs.set(Number(entry), { ppid, comm });
      } catch {
        // gone
      }
    }
    const children = new Map<number, number[]>();
    for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const subtree = (root: number): number[] => {
      const out: number[] = [];
      const stack = [...(children.get(root) ?? [])];
      while (stack.length > 0) {
        const pid = stack.pop()!;
        out.push(pid);
        stack.push(...(children.get(pid) ?? []));
      }
      return out;
    };
    const target = new Set<number>();
    for (const pid of children.get(process.pid) ?? []) {
      if (procs.get(pid)?.comm.startsWith('sshd')) for (const p of [pid, ...subtree(pid)]) target.add(p);
    }
    const controller = new Set(subtree(process.pid).filter((pid) => !target.has(pid)));
    for (const [pid, p] of procs) {
      if (controller.has(pid) || target.has(pid) || pid === process.pid || !/^(ssh|ssh-agent|ansible|python)/.test(p.comm)) continue;
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (this.markers.some((m) => cmdline.includes(m))) controller.add(pid);
      } catch {
        // gone
      }
    }
    const rss = (pids: Iterable<number>): number => {
      let total = 0;
      for (const pid of pids) {
        try {
          total += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
        } catch {
          // gone
        }
      }
      return total;
    };
    peak.selfRss = Math.max(peak.selfRss, process.memoryUsage().rss);
    peak.controllerRss = Math.max(peak.controllerRss, rss(controller));
    peak.controllerProcs = Math.max(peak.controllerProcs, controller.size);
    peak.targetRss = Math.max(peak.targetRss, rss(target));
  }

  async during<T>(peak: Peak, work: () => Promise<T>): Promise<T> {
    this.sample(peak);
    const timer = setInterval(() => this.sample(peak), SAMPLE_MS);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }
}

const newPeak = (): Peak => ({ selfRss: 0, controllerRss: 0, controllerProcs: 0, targetRss: 0 });

describe(`automation benchmark (${RUNS} runs per side and mode)`, () => {
  let sim: AzureSimulator;
  let sshd: LoopbackSshd;
  let t: TestApp;
  let credentialId: string;
  let playbookId: string;
  let vmId: string;
  let catalog: string;
  let bareBase: string;
  let runnerPath: string;
  let inventory: AnsibleInventory;
  let timeoutSeconds: number;
  let sampler: MemorySampler;
  let expectedEvents: number;
  let wrapper: AnsibleRunner;
  let wrapperBase: string;

  const runOf = async (id: string): Promise<ApiRunView> => (await t.http().get(`/api/v1/playbook-runs/${id}`).expect(200)).body;
  const finished = (run: ApiRunView) => !['queued', 'running'].includes(run.status);
  const post = async (): Promise<{ id: string; postedAt: number; postedPerf: number }> => {
    const postedAt = Date.now();
    const postedPerf = performance.now();
    const res = await t.http().post('/api/v1/playbook-runs').send({ playbook: playbookId, targets: { vmIds: [vmId] }, credentialId }).expect(202);
    return { id: res.body.id, postedAt, postedPerf };
  };
  const apiSample = (run: ApiRunView, postedAt: number, observedMs: number): ApiSample => {
    expect({ status: run.status, reason: run.reason }).toEqual({ status: 'successful', reason: null });
    return {
      e2eMs: Date.parse(run.finishedAt!) - postedAt,
      observedMs,
      runnerMs: run.durationMs!,
      queueMs: Date.parse(run.startedAt!) - Date.parse(run.requestedAt),
      events: run.eventCount,
    };
  };

  /** One run through the API, waited for by polling it every POLL_MS. */
  const apiOne = async (): Promise<{ id: string; sample: ApiSample }> => {
    const { id, postedAt, postedPerf } = await post();
    for (;;) {
      const run = await runOf(id);
      if (finished(run)) return { id, sample: apiSample(run, postedAt, performance.now() - postedPerf) };
      await sleep(POLL_MS);
    }
  };

  /** `count` runs posted one after the other, then all waited for by polling the list every POLL_MS. */
  const apiMany = async (count: number): Promise<{ ids: string[]; samples: ApiSample[]; wallMs: number }> => {
    const posted: Awaited<ReturnType<typeof post>>[] = [];
    for (let i = 0; i < count; i++) posted.push(await post());
    const observed = new Map<string, { run: ApiRunView; ms: number }>();
    while (observed.size < count) {
      const items = (await t.http().get(`/api/v1/playbook-runs?limit=${count}`).expect(200)).body.items as ApiRunView[];
      const now = performance.now();
      for (const p of posted) {
        const run = items.find((r) => r.id === p.id);
        if (run && finished(run) && !observed.has(p.id)) observed.set(p.id, { run, ms: now - p.postedPerf });
      }
      if (observed.size < count) await sleep(POLL_MS);
    }
    const samples = posted.map((p) => apiSample(observed.get(p.id)!.run, p.postedAt, observed.get(p.id)!.ms));
    const lastFinish = Math.max(...posted.map((p) => Date.parse(observed.get(p.id)!.run.finishedAt!)));
    return { ids: posted.map((p) => p.id), samples, wallMs: lastFinish - posted[0].postedAt };
  };

  /** One bare `ansible-runner run` in a private data dir like the wrapper's; only spawn → exit is timed. */
  const benchJob = (): RunnerJob => ({
    id: randomUUID(),
    projectDir: catalog,
    playbook: PLAYBOOK,
    inventory,
    extraVars: {},
    sshPrivateKey: sshd.clientPrivateKey,
    knownHosts: sshd.knownHostsLine,
    timeoutSeconds,
  });

  /** One run through our wrapper alone: start → done (PDD, ansible-runner, events handed over, cleanup). */
  const wrapperOne = async (): Promise<number> => {
    let events = 0;
    const started = performance.now();
    const result = await wrapper.start(benchJob(), { onEvents: (batch) => void (events += batch.length) }).done;
    const ms = performance.now() - started;
    expect({ status: result.status, reason: result.reason, events }).toEqual({ status: 'successful', reason: null, events: expectedEvents });
    return ms;
  };

  const bareOne = async (submitted = performance.now()): Promise<BareSample> => {
    const job: RunnerJob = {
      id: randomUUID(),
      projectDir: catalog,
      playbook: PLAYBOOK,
      inventory,
      extraVars: {},
      sshPrivateKey: sshd.clientPrivateKey,
      knownHosts: sshd.knownHostsLine,
      timeoutSeconds,
    };
    const prepStarted = performance.now();
    const pdd = await preparePrivateDataDir(bareBase, job, PDD_OPTIONS);
    const prepMs = performance.now() - prepStarted;
    const started = performance.now();
    const child = spawn(runnerPath, ['run', pdd.path, '-p', job.playbook, '-j', '--ident', job.id], {
      cwd: pdd.path,
      env: { PATH: '/usr/bin:/bin', HOME: pdd.home, TMPDIR: pdd.tmp, LANG: 'C.UTF-8' },
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const counters = new Set<number>();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { counter?: unknown; event?: unknown };
        if (typeof event.counter === 'number' && typeof event.event === 'string') counters.add(event.counter);
      } catch {
        // a plain line
      }
    });
    const closed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('exit', (c) => resolve(c));
      child.once('error', reject);
    });
    await closed;
    const ms = performance.now() - started;
    const artifacts = join(pdd.path, 'artifacts', job.id);
    const status = await readFile(join(artifacts, 'status'), 'utf8').catch(() => null);
    // as the wrapper does: events that did not come through stdout are in job_events/
    for (const name of await readdir(join(artifacts, 'job_events')).catch(() => [] as string[])) {
      const counter = Number(/^(\d+)-.*\.json$/.exec(name)?.[1]);
      if (Number.isInteger(counter)) counters.add(counter);
    }
    const cleanupStarted = performance.now();
    if (pdd.keyFile) await rm(pdd.keyFile, { force: true });
    await killProcessesMatching(`${pdd.path}/`);
    await rm(pdd.path, { recursive: true, force: true, maxRetries: 3 });
    const cleanupMs = performance.now() - cleanupStarted;
    expect({ code, status, stderr: stderr.trim().slice(-300) }).toEqual({ code: 0, status: 'successful', stderr: '' });
    return { ms, e2eMs: started + ms - submitted, prepMs, cleanupMs, events: counters.size };
  };

  /** `count` bare runs, at most `parallel` at once. */
  const bareMany = async (count: number, parallel: number): Promise<{ samples: BareSample[]; wallMs: number }> => {
    const samples: BareSample[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < count) {
          next += 1;
          samples.push(await bareOne(started));
        }
      }),
    );
    return { samples, wallMs: performance.now() - started };
  };

  /** Nothing of either side is left: no runner, playbook, agent or ssh master, no run directory. */
  const expectNothingLeft = async () => {
    const leftovers = async () => [
      ...(await findProcesses(`${t.config.automation.workDir}/`)),
      ...(await findProcesses(`${bareBase}/`)),
      ...(await findProcesses(`${wrapperBase}/`)),
      ...readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            return ppid === process.pid && !comm.startsWith('sshd');
          } catch {
            return false;
          }
        })
        .map((pid) => ({ pid: Number(pid), pgid: 0, cmdline: 'a child of this process' })),
    ];
    const deadline = Date.now() + 5_000;
    let found = await leftovers();
    while (found.length > 0 && Date.now() < deadline) {
      await sleep(100);
      found = await leftovers();
    }
    expect(found).toEqual([]);
    expect(readdirSync(t.config.automation.workDir)).toEqual([]);
    expect(readdirSync(bareBase)).toEqual([]);
    expect(readdirSync(wrapperBase)).toEqual([]);
  };

  const storedEventsOf = (ids: string[]) => t.app.get(DataSource).getRepository(PlaybookRunEventEntity).countBy({ runId: In(ids) });

  beforeAll(async () => {
    const check = await AnsibleRunner.check();
    if (!check.available) throw new Error(check.problem ?? 'ansible-runner is not available');
    versions = check.version ?? '';
    sim = await AzureSimulator.start({ vmCount: 4 });
    sshd = await startLoopbackSshd();
    catalog = mkdtempSync(join(tmpdir(), 'hf-bench-catalog-'));
    writeFileSync(join(catalog, PLAYBOOK), play);
    // A run directory base as short as the app's (/tmp/hf-runs-XXXXXX), so ssh ControlMaster is used alike.
    bareBase = mkdtempSync('/tmp/hf-bare-');
    wrapperBase = mkdtempSync('/tmp/hf-wrap-');
    t = await startTestApp({
      HYBRIDFORMS_PLAYBOOK_DIRS: catalog,
      HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`,
      HYBRIDFORMS_RUN_CONCURRENCY: String(PARALLEL),
    });
    runnerPath = t.config.automation.runnerPath;
    wrapper = new AnsibleRunner({ baseDir: wrapperBase, binary: runnerPath });
    sampler = new MemorySampler([`${t.config.automation.workDir}/`, `${bareBase}/`, `${wrapperBase}/`]);
    const created = await t.http().post('/api/v1/providers').send(azureProviderRequest(sim, 'azure')).expect(201);
    await waitForRefresh(t, created.body.refreshId);
    const credential = await t
      .http()
      .post('/api/v1/machine-credentials')
      .send({ name: 'loopback', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine })
      .expect(201);
    credentialId = credential.body.id;
    playbookId = ((await t.http().get('/api/v1/playbooks').expect(200)).body.items as { id: string }[]).find((p) => p.id.endsWith(`/${PLAYBOOK}`))!.id;
    vmId = ((await t.http().get('/api/v1/vms?powerState=running&limit=10').expect(200)).body.items as { id: string }[])[0].id;

    // Warm-up, one run per side; the API's run gives the inventory the bare runs use.
    const warm = await apiOne();
    const stored = await t.app.get(DataSource).getRepository(PlaybookRunEntity).findOneByOrFail({ id: warm.id });
    inventory = stored.inventory as unknown as AnsibleInventory;
    timeoutSeconds = stored.timeoutSeconds;
    expect(Object.keys(inventory.all.hosts ?? {})).toHaveLength(1);
    const bareWarm = await bareOne();
    expectedEvents = warm.sample.events;
    expect(bareWarm.events).toBe(expectedEvents);
    await wrapperOne();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    await sim?.stop();
    if (catalog) rmSync(catalog, { recursive: true, force: true });
    if (bareBase) rmSync(bareBase, { recursive: true, force: true });
    if (wrapperBase) rmSync(wrapperBase, { recursive: true, force: true });
    const line = (mode: Mode, b: Batch | undefined): string[] => {
      if (!b) return [`${mode}: not measured`];
      const apiMedian = median(b.api.map((s) => s.e2eMs));
      const apiRunner = median(b.api.map((s) => s.runnerMs));
      const bareMedian = median(b.bare.map((s) => s.ms));
      const bareE2e = median(b.bare.map((s) => s.e2eMs));
      const events = sum(b.api.map((s) => s.events));
      const peak = (p: Peak) =>
        `this process ${mb(p.selfRss)}, controller children ${mb(p.controllerRss)} (up to ${p.controllerProcs} processes), sshd side ${mb(p.targetRss)}`;
      return [
        `${mode} (${mode === 'sequential' ? 'one at a time' : `${PARALLEL} at a time`}), medians of ${b.api.length}:`,
        `  API      POST→finished ${apiMedian.toFixed(0)} ms (seen by ${POLL_MS} ms polling ${median(b.api.map((s) => s.observedMs)).toFixed(0)} ms); ` +
          `in its slot (runner startedAt→finishedAt) ${apiRunner.toFixed(0)} ms; requested→started ${median(b.api.map((s) => s.queueMs)).toFixed(0)} ms; ` +
          `batch wall ${(b.apiWallMs / 1000).toFixed(2)} s`,
        ...(b.wrapper.length > 0
          ? [`  wrapper  AnsibleRunner alone (no API, queue, database) start→done ${median(b.wrapper).toFixed(0)} ms`]
          : []),
        `  bare     submitted→exit ${bareE2e.toFixed(0)} ms; in its slot (spawn→exit) ${bareMedian.toFixed(0)} ms ` +
          `(untimed around it: PDD written ${median(b.bare.map((s) => s.prepMs)).toFixed(1)} ms, cleanup ${median(b.bare.map((s) => s.cleanupMs)).toFixed(1)} ms); ` +
          `batch wall ${(b.bareWallMs / 1000).toFixed(2)} s`,
        `  ratio API/bare: end to end ${(apiMedian / bareE2e).toFixed(3)} (${signed(apiMedian - bareE2e)} ms per run), ` +
          `in the slot ${(apiRunner / bareMedian).toFixed(3)} (${signed(apiRunner - bareMedian)} ms)` +
          (b.wrapper.length > 0 ? `, wrapper alone/bare ${(median(b.wrapper) / bareMedian).toFixed(3)} (${signed(median(b.wrapper) - bareMedian)} ms)` : '') +
          `, batch wall ${(b.apiWallMs / b.bareWallMs).toFixed(3)}`,
        `  events: ${expectedEvents} per run on both sides; ${b.storedEvents} stored in the batch = ${(events / (b.apiWallMs / 1000)).toFixed(1)} events/s stored`,
        `  peak RSS, API:  ${peak(b.apiPeak)}`,
        `  peak RSS, bare: ${peak(b.barePeak)}`,
      ];
    };
    console.log(
      [
        `automation benchmark: a 2-task playbook (command /bin/true + debug, gather_facts false) against 1 host over SSH to a loopback sshd, ` +
          `${RUNS} runs per side and mode after one warm-up each; ${versions}; ${cpus().length} CPUs; SQLite (the embedded default) holds the runs and events`,
        `API = POST /api/v1/playbook-runs → queue (HYBRIDFORMS_RUN_CONCURRENCY=${PARALLEL}) → wrapper → ansible-runner → events stored; end to end = server finishedAt − client time before the POST`,
        `bare = ansible-runner run -j in a private data dir written by the wrapper's own code (same inventory, key, known_hosts, envvars, settings); ` +
          `"in its slot" = spawn → exit, "submitted" = when the batch was handed over (all at once in the parallel mode, to a pool of ${PARALLEL})`,
        `memory: RSS peaks sampled every ${SAMPLE_MS} ms; controller children = descendants of this process outside the sshd tree, plus the ssh ControlPersist masters`,
        ...line('sequential', batches.sequential),
        ...line('parallel', batches.parallel),
      ].join('\n'),
    );
  }, TIMEOUT_MS);

  it(
    'runs the playbook one at a time through the API and bare',
    async () => {
      const b: Batch = { api: [], bare: [], wrapper: [], apiWallMs: 0, bareWallMs: 0, apiPeak: newPeak(), barePeak: newPeak(), storedEvents: 0 };
      const ids: string[] = [];
      const api = async () => {
        const started = performance.now();
        const { id, sample } = await sampler.during(b.apiPeak, apiOne);
        b.apiWallMs += performance.now() - started;
        ids.push(id);
        b.api.push(sample);
      };
      const bare = async () => {
        const started = performance.now();
        b.bare.push(await sampler.during(b.barePeak, bareOne));
        b.bareWallMs += performance.now() - started;
      };
      const alone = async () => {
        b.wrapper.push(await wrapperOne());
      };
      // Rotate which side goes first, so none always meets a warmer (or busier) machine.
      const sides = [api, bare, alone];
      for (let i = 0; i < RUNS; i++) {
        for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]();
      }
      b.storedEvents = await storedEventsOf(ids);
      batches.sequential = b;
      expect(b.api.map((s) => s.events)).toEqual(Array(RUNS).fill(expectedEvents));
      expect(b.bare.map((s) => s.events)).toEqual(Array(RUNS).fill(expectedEvents));
      expect(b.storedEvents).toBe(RUNS * expectedEvents);
      await expectNothingLeft();
    },
    TIMEOUT_MS,
  );

  it(
    `runs the playbook ${PARALLEL} at a time through the API and bare`,
    async () => {
      const apiPeak = newPeak();
      const barePeak = newPeak();
      const api = await sampler.during(apiPeak, () => apiMany(RUNS));
      await expectNothingLeft();
      const bare = await sampler.during(barePeak, () => bareMany(RUNS, PARALLEL));
      const storedEvents = await storedEventsOf(api.ids);
      batches.parallel = { api: api.samples, bare: bare.samples, wrapper: [], apiWallMs: api.wallMs, bareWallMs: bare.wallMs, apiPeak, barePeak, storedEvents };
      expect(api.samples.map((s) => s.events)).toEqual(Array(RUNS).fill(expectedEvents));
      expect(bare.samples.map((s) => s.events)).toEqual(Array(RUNS).fill(expectedEvents));
      expect(storedEvents).toBe(RUNS * expectedEvents);
      await expectNothingLeft();
    },
    TIMEOUT_MS,
  );
});
