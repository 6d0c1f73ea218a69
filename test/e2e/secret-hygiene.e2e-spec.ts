import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadAppConfig, SecretBox, type AppConfig } from '@hybridforms/core';
import { EventCatcher } from '@hybridforms/discovery';
import { AzureSimulator, HyperVHostSimulator, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { createApp } from '../../apps/api/src/app.factory.js';
import { createScratchDatabase } from '../support/postgres.js';
import { azureProviderRequest, hypervProviderRequest } from '../support/provider-requests.js';

const RUN_MS = 180_000;

type Captured = { what: string; text: string };

/** Every file under a directory (recursively), as text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) out.push(...filesUnder(path));
    else if (stat.isFile()) out.push({ path, text: readFileSync(path).toString('latin1') });
  }
  return out;
}

/**
 * The grep test of secret hygiene: a whole scenario on the real application (providers with good and
 * wrong secrets, a refresh that fails half-way, events, a machine credential, a playbook run that
 * prints a secret extra var and the private key and then fails on it, API tokens made, used and
 * revoked, every list read back) with every log line of every level captured; afterwards no known
 * secret may appear in any log line, any API answer, any row of any table, or any file the runs
 * left on disk.
 */
describe.each([['sqlite'], ['postgresql']])('Secret hygiene end to end on %s (logs, API answers, every stored row, run files)', (driver) => {
  let azure: AzureSimulator;
  let faulty: AzureSimulator;
  let hyperv: HyperVHostSimulator;
  let sshd: LoopbackSshd;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;
  let app: NestExpressApplication;
  let config: AppConfig;
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-hygiene-'));
  const workDir = mkdtempSync('/tmp/hf-runs-');
  const catalog = mkdtempSync(join(tmpdir(), 'hf-hygiene-catalog-'));
  const adminToken = `hf_test_${randomBytes(32).toString('base64url')}`;
  const encodedKey = SecretBox.generateEncodedKey();
  const dbPassword = `Db-Pa55-${randomBytes(12).toString('hex')}`;
  const apiTokenVar = `tok-${randomBytes(12).toString('hex')}`;
  const wrongAzureSecret = `wrong-azure-secret-${randomBytes(8).toString('hex')}`;
  const wrongHypervPassword = `Wrong-Passw0rd-${randomBytes(8).toString('hex')}`;

  const logs: string[] = [];
  /** The application's log lines (its logger's destination), each also in `logs`. */
  const logLines: string[] = [];
  /** The X-Request-Id each request was sent with, and the one its answer echoed. */
  const requestIds: { sent: string; echoed: string | undefined }[] = [];
  const answers: Captured[] = [];
  const restore: (() => void)[] = [];

  /** A request as the admin; the answer is kept for the final grep. */
  const api = async (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown, token = adminToken) => {
    const requestId = `hygiene-${requestIds.length + 1}`;
    const req = request(app.getHttpServer())[method](path).set('authorization', `Bearer ${token}`).set('x-request-id', requestId);
    const res = body === undefined ? await req : await req.send(body as object);
    requestIds.push({ sent: requestId, echoed: res.headers['x-request-id'] as string | undefined });
    answers.push({ what: `${method.toUpperCase()} ${path} → ${res.status}`, text: res.text ?? '' });
    return res;
  };
  const waitFor = async (path: string, done: (body: Record<string, unknown>) => boolean, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api('get', path);
      if (done(res.body)) return res.body as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`${path} not done after ${timeoutMs} ms: ${res.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const finished = (body: Record<string, unknown>) => !['queued', 'running'].includes(body.status as string);

  /** The known secrets, each with the forms it could take in text (whole, JSON-escaped, its long lines). */
  function secretForms(): { name: string; needle: string }[] {
    const secrets: Record<string, string> = {
      'azure client secret': azure.clientSecret,
      'faulty azure client secret': faulty.clientSecret,
      'wrong azure client secret': wrongAzureSecret,
      'hyper-v password': hyperv.password,
      'wrong hyper-v password': wrongHypervPassword,
      'machine private key': sshd.clientPrivateKey,
      'db_password extra var': dbPassword,
      'api_token extra var': apiTokenVar,
      'admin token': adminToken,
      'HYBRIDFORMS_SECRET_KEY (base64)': encodedKey,
      'HYBRIDFORMS_SECRET_KEY (hex)': Buffer.from(encodedKey, 'base64').toString('hex'),
    };
    const forms: { name: string; needle: string }[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      forms.push({ name, needle: value.trim() }, { name: `${name} (JSON-escaped)`, needle: JSON.stringify(value.trim()).slice(1, -1) });
      value
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length >= 16 && !/^-----(BEGIN|END) /.test(line))
        .forEach((line, i) => forms.push({ name: `${name} line ${i + 1}`, needle: line }));
    }
    return forms;
  }
  function leaks(places: Captured[], forms = secretForms()): string[] {
    const found: string[] = [];
    for (const place of places) for (const form of forms) if (place.text.includes(form.needle)) found.push(`${form.name} in ${place.what}`);
    return found;
  }

  beforeAll(async () => {
    // Every line any logger writes, at every level (Nest's console logger writes to the process
    // streams); kept here, not printed (set HF_HYGIENE_ECHO=1 to see them).
    const echo = process.env.HF_HYGIENE_ECHO === '1';
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return echo ? (original as (...args: unknown[]) => boolean)(chunk, ...rest) : true;
      }) as typeof stream.write;
      restore.push(() => (stream.write = original as typeof stream.write));
    }
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        logs.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message}\n${a.stack}` : JSON.stringify(a))).join(' '));
        if (echo) original.apply(console, args);
      };
      restore.push(() => (console[level] = original));
    }

    azure = await AzureSimulator.start({ vmCount: 8 });
    faulty = await AzureSimulator.start({ vmCount: 12, pageSize: 4 });
    hyperv = await HyperVHostSimulator.start();
    sshd = await startLoopbackSshd();
    // A file holding the private key, so that a task can print it whole and one line of it (output
    // carrying key material, as a careless `cat` would).
    const leakFile = join(catalog, 'leak.txt');
    writeFileSync(leakFile, sshd.clientPrivateKey);
    const keyLine = sshd.clientPrivateKey.split('\n').findIndex((line) => line.length >= 16 && !line.startsWith('-----')) + 1;
    writeFileSync(
      join(catalog, 'leaky.yml'),
      [
        '- name: Print what it should not',
        '  hosts: all',
        '  gather_facts: false',
        '  vars:',
        '    ansible_python_interpreter: /usr/bin/python3',
        '  tasks:',
        '    - name: "show {{ db_password }}"',
        '      ansible.builtin.debug:',
        '        msg: "the password is {{ db_password }} and the token {{ app.api_token }}"',
        '    - name: echo it',
        '      ansible.builtin.command: "echo {{ db_password }}"',
        '    - name: print the key',
        `      ansible.builtin.command: cat ${leakFile}`,
        '    - name: print a line of the key',
        `      ansible.builtin.command: sed -n ${keyLine}p ${leakFile}`,
        '    - name: fail on it',
        '      ansible.builtin.fail:',
        '        msg: "cannot connect with password {{ db_password }}"',
        '',
      ].join('\n'),
    );

    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_hygiene') : null;
    config = loadAppConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'verbose',
      HYBRIDFORMS_RUN_WORK_DIR: workDir,
      HYBRIDFORMS_ADMIN_TOKEN: adminToken,
      HYBRIDFORMS_PLAYBOOK_DIRS: catalog,
      HYBRIDFORMS_AUTOMATION_SSH_TARGET: `127.0.0.1:${sshd.port}`,
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    });
    // Logger on (every level up to verbose, JSON lines into a stream of ours), the key from "the environment".
    let pending = '';
    const logDestination = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        const text = chunk.toString();
        if (echo) process.stderr.write(text);
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        logLines.push(...lines);
        logs.push(...lines);
        done();
      },
    });
    app = await createApp(config, { secretBox: SecretBox.fromEncoded(encodedKey), logDestination });
    await app.init();
  }, RUN_MS);

  afterAll(async () => {
    await app?.close();
    for (const undo of restore.reverse()) undo();
    await scratch?.drop();
    await sshd?.stop();
    await hyperv?.stop();
    await faulty?.stop();
    await azure?.stop();
    for (const dir of [dataDir, workDir, catalog]) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'leaves no secret in any log line, API answer, stored row or run file',
    async () => {
      // Providers: good Azure, Azure with a wrong secret, Hyper-V, Hyper-V with a wrong password.
      const good = await api('post', '/api/v1/providers', azureProviderRequest(azure, 'azure-good'));
      expect(good.status).toBe(201);
      await waitFor(`/api/v1/refreshes/${good.body.refreshId}`, finished);
      const wrong = await api('post', '/api/v1/providers', { ...azureProviderRequest(azure, 'azure-wrong'), credentials: { clientSecret: wrongAzureSecret } });
      expect(wrong.status).toBe(400);
      const hv = await api('post', '/api/v1/providers', hypervProviderRequest(hyperv, 'hyperv-good'));
      expect(hv.status).toBe(201);
      await waitFor(`/api/v1/refreshes/${hv.body.refreshId}`, finished);
      const hvWrong = await api('post', '/api/v1/providers', { ...hypervProviderRequest(hyperv, 'hyperv-wrong'), credentials: { password: wrongHypervPassword } });
      expect(hvWrong.status).toBe(400);

      // A refresh that fails half-way: the second page of VMs keeps failing.
      const half = await api('post', '/api/v1/providers', azureProviderRequest(faulty, 'azure-half'));
      expect(half.status).toBe(201);
      await waitFor(`/api/v1/refreshes/${half.body.refreshId}`, finished);
      faulty.injectFault({ route: 'virtualMachines', page: 2, kind: 'error', status: 500, times: Infinity });
      const again = await api('post', `/api/v1/providers/${half.body.id}/refresh`, {});
      expect(again.status).toBe(202);
      const failedRefresh = await waitFor(`/api/v1/refreshes/${again.body.id}`, finished);
      expect(failedRefresh.status).not.toBe('succeeded');
      faulty.clearFaults();
      // A wrong secret given to an existing provider is refused (validated first).
      expect((await api('patch', `/api/v1/providers/${half.body.id}`, { credentials: { clientSecret: wrongAzureSecret } })).status).toBe(400);
      // Hyper-V refreshes that fail: the host refuses the login, then a PowerShell error mid-inventory.
      for (const fault of [{ kind: 'auth', times: Infinity }, { kind: 'error-record', marker: 'inventory', times: Infinity }] as const) {
        hyperv.injectFault(fault);
        const refresh = await api('post', `/api/v1/providers/${hv.body.id}/refresh`, {});
        expect(refresh.status).toBe(202);
        expect((await waitFor(`/api/v1/refreshes/${refresh.body.id}`, finished)).status).not.toBe('succeeded');
        hyperv.clearFaults();
      }

      // Events of both clouds.
      azure.restartVm(azure.vmIds()[0]);
      await app.get(EventCatcher).poll(good.body.id);
      await app.get(EventCatcher).poll(hv.body.id);
      await app
        .get(EventCatcher)
        .poll(half.body.id)
        .catch(() => undefined);

      // A machine credential and a run that prints the secrets, then fails on one.
      const credential = await api('post', '/api/v1/machine-credentials', { name: 'loopback', username: sshd.user, privateKey: sshd.clientPrivateKey, knownHosts: sshd.knownHostsLine });
      expect(credential.status).toBe(201);
      const playbook = ((await api('get', '/api/v1/playbooks')).body.items as { id: string }[]).find((p) => p.id.endsWith('/leaky.yml'))!;
      const vm = ((await api('get', `/api/v1/vms?provider=${good.body.id}&osFamily=rhel&powerState=running&limit=1`)).body.items as { id: string }[])[0];
      const queued = await api('post', '/api/v1/playbook-runs', {
        playbook: playbook.id,
        targets: { vmIds: [vm.id] },
        credentialId: credential.body.id,
        extraVars: { db_password: dbPassword, app: { api_token: apiTokenVar, port: 8080 } },
      });
      expect(queued.status).toBe(202);
      const run = await waitFor(`/api/v1/playbook-runs/${queued.body.id}`, finished);
      expect(run.status).toBe('failed');
      expect(run.extraVars).toEqual({ db_password: '***', app: { api_token: '***', port: 8080 } });
      const events = (await api('get', `/api/v1/playbook-runs/${run.id}/events?limit=500`)).body.items as { event: string; stdout: string; task: string | null; data: unknown }[];
      const stdout = (await api('get', `/api/v1/playbook-runs/${run.id}/stdout`)).text;

      // API tokens: made, used, revoked.
      const made = await api('post', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      expect(made.status).toBe(201);
      const createdToken = made.body.token as string;
      answers.pop(); // the one answer that shows the new token, by design
      expect((await api('get', '/api/v1/vms?limit=5', undefined, createdToken)).status).toBe(200);
      expect((await api('delete', `/api/v1/tokens/${made.body.id}`)).status).toBe(200);
      expect((await api('get', '/api/v1/vms?limit=5', undefined, createdToken)).status).toBe(401);

      // Everything listed back.
      for (const path of [
        '/api/v1/providers',
        `/api/v1/providers/${good.body.id}`,
        `/api/v1/providers/${hv.body.id}`,
        `/api/v1/providers/${half.body.id}`,
        '/api/v1/refreshes?limit=500',
        `/api/v1/refreshes/${again.body.id}`,
        '/api/v1/vms?limit=500',
        `/api/v1/vms/${vm.id}`,
        '/api/v1/hosts?limit=500',
        '/api/v1/events?limit=500',
        '/api/v1/machine-credentials',
        `/api/v1/machine-credentials/${credential.body.id}`,
        '/api/v1/playbook-runs?limit=500',
        `/api/v1/playbook-runs/${run.id}`,
        '/api/v1/tokens',
        '/api/v1/audit?limit=500',
        '/api/v1/automation-rules',
        '/api/v1/metrics',
        '/health',
        '/docs/openapi.json',
      ]) {
        const res = await api('get', path);
        expect(res.status).toBeLessThan(500);
      }
      await new Promise((r) => setTimeout(r, 200)); // let the last log lines out

      const forms = [...secretForms(), { name: 'created API token', needle: createdToken }];
      // The scenario was really logged (all levels up to verbose): the grep has something to look at.
      expect(logs.join('')).toMatch(/playbook run .* queued/);
      expect(logs.length).toBeGreaterThan(20);
      const found = [...leaks(logs.map((text, i) => ({ what: `log line ${i}: ${text.slice(0, 160)}`, text })), forms), ...leaks(answers, forms)];

      // Every line of the application's logger is one JSON object with a level, a time and a message.
      const parsed = logLines.map((line, i) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`log line ${i} is not JSON: ${line.slice(0, 200)}`);
        }
      });
      expect(parsed.length).toBeGreaterThan(20);
      for (const line of parsed) expect(line).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), message: expect.any(String) }));
      // Each request was answered with its id, and the lines written while it was handled carry it:
      // its access line at least, and every line of a request (the access lines) names its own.
      for (const { sent, echoed } of requestIds) expect(echoed).toBe(sent);
      const access = parsed.filter((line) => line.req && typeof line.req === 'object');
      for (const line of access) expect(line.requestId).toBe((line.req as { id: unknown }).id);
      const logged = new Set(parsed.map((line) => line.requestId));
      expect(requestIds.filter(({ sent }) => !logged.has(sent))).toEqual([]);
      // Lines other than the access lines carry the ids too: the controllers' and services' own lines.
      expect(parsed.some((line) => !line.req && typeof line.requestId === 'string' && line.requestId.startsWith('hygiene-'))).toBe(true);
      // The jobs' lines carry their kind and the ids of their payload.
      expect(parsed.some((line) => line.jobKind === 'playbook-run' && line.runId === run.id)).toBe(true);
      // The Authorization header of every request is redacted on its access line.
      for (const line of access) expect((line.req as { headers: Record<string, unknown> }).headers.authorization).toBe('***');

      // Every row of every table.
      const dataSource = app.get(DataSource);
      const tables: string[] =
        driver === 'sqlite'
          ? (await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r: { name: string }) => r.name)
          : (await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)).map(
              (r: { table_name: string }) => r.table_name,
            );
      expect(tables).toEqual(expect.arrayContaining(['providers', 'machine_credentials', 'playbook_runs', 'playbook_run_events', 'refreshes', 'api_tokens']));
      const rows: Captured[] = [];
      for (const table of tables) {
        for (const row of await dataSource.query(`SELECT * FROM "${table}"`)) rows.push({ what: `table ${table}`, text: JSON.stringify(row) + Object.values(row).map(String).join('\n') });
      }
      expect(rows.filter((r) => r.what === 'table playbook_run_events').length).toBeGreaterThan(5);
      found.push(...leaks(rows, forms));
      // The SQLite files themselves (free pages, the WAL) hold no secret either.
      if (driver === 'sqlite') found.push(...leaks(filesUnder(dataDir).map((f) => ({ what: f.path, text: f.text })), forms));
      // The runs' work directory: nothing left with a key or a secret in it.
      found.push(...leaks(filesUnder(workDir).map((f) => ({ what: f.path, text: f.text })), forms));
      expect(found).toEqual([]);

      // The run did print them (masked): the masking is what kept them out, not a silent playbook.
      expect(stdout).toContain('the password is *** and the token ***');
      expect(stdout).toContain('TASK [show ***]');
      expect(events.find((e) => e.event === 'runner_on_failed')?.stdout).toContain('cannot connect with password ***');
      expect(events.filter((e) => e.task === 'print the key' && e.event === 'runner_on_ok')).toHaveLength(1);
      expect(events.find((e) => e.task === 'print the key' && e.event === 'runner_on_ok')).toMatchObject({ data: { res: { stdout: '***' } } });
    },
    RUN_MS,
  );
});
