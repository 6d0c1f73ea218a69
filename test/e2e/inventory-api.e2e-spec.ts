import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AzureSimulator } from '@hybridforms/testing';
import { RefreshScheduler } from '@hybridforms/discovery';
import { DataSource } from 'typeorm';
import { azureProviderRequest } from '../support/provider-requests.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestApp, waitForRefresh, type TestApp } from '../support/test-app.js';

type Vm = Record<string, unknown> & { id: string; name: string; osFamily: string; powerState: string; licenseModel: string | null; osVersion: string | null };

describe.each([['sqlite'], ['postgresql']])('Inventory API end to end on %s (Azure simulator → SDK → plugin → persister → database → HTTP)', (driver) => {
  let sim: AzureSimulator;
  let t: TestApp;
  let providerId: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | null = null;

  const providerBody = (overrides: Record<string, unknown> = {}) => ({ ...azureProviderRequest(sim, 'azure-e2e'), ...overrides });

  async function allVms(query: string): Promise<Vm[]> {
    const items: Vm[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Vm[]; nextCursor: string | null } } = await t
        .http()
        .get(`/api/v1/vms?${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    sim = await AzureSimulator.start({ vmCount: 40, pageSize: 9 });
    scratch = driver === 'postgresql' ? await createScratchDatabase('hf_e2e') : null;
    t = await startTestApp(scratch ? { DATABASE_URL: scratch.url } : {});
  });

  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  it('refuses a provider with bad credentials with the reason, and stores nothing', async () => {
    const body = providerBody({ credentials: { clientSecret: 'not-the-secret' } });
    const res = await t.http().post('/api/v1/providers').send(body).expect(400);
    expect(JSON.stringify(res.body.message)).toMatch(/invalid_credentials|AADSTS7000215|secret/i);
    expect(JSON.stringify(res.body)).not.toContain('not-the-secret');
    expect((await t.http().get('/api/v1/providers').expect(200)).body.items).toEqual([]);
  });

  it('refuses a malformed provider with every problem listed', async () => {
    const res = await t.http().post('/api/v1/providers').send({ name: '', type: 'azure', config: { tenantId: 'nope' }, credentials: {} }).expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(/name/);
    const unknownType = await t.http().post('/api/v1/providers').send(providerBody({ type: 'vsphere' })).expect(400);
    expect(unknownType.body.message).toMatch(/unknown provider type "vsphere"/);
    const badConfig = await t.http().post('/api/v1/providers').send(providerBody({ config: { tenantId: 'x' } })).expect(400);
    expect(JSON.stringify(badConfig.body.message)).toMatch(/tenantId/);
    expect((await t.http().get('/api/v1/providers').expect(200)).body.items).toEqual([]);
  });

  it('creates a provider (credentials write-only) and inventories it right away', async () => {
    const res = await t.http().post('/api/v1/providers').send(providerBody()).expect(201);
    providerId = res.body.id;
    expect(res.body).not.toHaveProperty('credentials');
    expect(JSON.stringify(res.body)).not.toContain(sim.clientSecret);
    const refresh = await waitForRefresh(t, res.body.refreshId);
    expect(refresh.status).toBe('completed');
    expect((refresh.progress as Record<string, number>).vms).toBe(40 * sim.subscriptionIds.length);

    const listed = await t.http().get(`/api/v1/providers/${providerId}`).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(sim.clientSecret);
    const duplicate = await t.http().post('/api/v1/providers').send(providerBody()).expect(409);
    expect(duplicate.body.message).toMatch(/already exists/);
  });

  it('keeps the client secret encrypted at rest', async () => {
    const stored = await t.app.get(DataSource).query('SELECT credentials_ciphertext FROM providers');
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(sim.clientSecret);
    for (const file of readdirSync(t.dataDir).filter((f) => f.startsWith('hybridforms.sqlite'))) {
      expect(readFileSync(join(t.dataDir, file)).includes(Buffer.from(sim.clientSecret))).toBe(false);
    }
  });

  it('lists every VM once across cursor pages, with the classification', async () => {
    const vms = await allVms('');
    expect(vms).toHaveLength(40 * sim.subscriptionIds.length);
    expect(new Set(vms.map((vm) => vm.id)).size).toBe(vms.length);
    const families = new Set(vms.map((vm) => vm.osFamily));
    expect([...families].sort()).toEqual(expect.arrayContaining(['rhel', 'windows', 'linux-other']));
  });

  it('filters by osFamily, osVersion, licenseModel, powerState, location, tag and q', async () => {
    const all = await allVms('');
    const rhel = await allVms('osFamily=rhel');
    expect(rhel.length).toBeGreaterThan(0);
    expect(rhel.every((vm) => vm.osFamily === 'rhel')).toBe(true);
    expect(rhel.length).toBe(all.filter((vm) => vm.osFamily === 'rhel').length);
    expect(rhel.every((vm) => vm.licenseModel !== null)).toBe(true);

    const rhel8 = await allVms('osFamily=rhel&osVersion=8');
    expect(rhel8.length).toBeGreaterThan(0);
    expect(rhel8.every((vm) => vm.osVersion === '8' || String(vm.osVersion).startsWith('8.'))).toBe(true);

    for (const model of ['byos', 'payg']) {
      const some = await allVms(`licenseModel=${model}`);
      expect(some.length).toBeGreaterThan(0);
      expect(some.every((vm) => vm.licenseModel === model)).toBe(true);
    }

    const stoppedOrDeallocated = await allVms('powerState=stopped,deallocated');
    expect(stoppedOrDeallocated.length).toBeGreaterThan(0);
    expect(stoppedOrDeallocated.every((vm) => ['stopped', 'deallocated'].includes(vm.powerState))).toBe(true);

    const location = all[0].location as string;
    const inLocation = await allVms(`location=${location}`);
    expect(inLocation.length).toBe(all.filter((vm) => vm.location === location).length);

    const tagged = all.find((vm) => Object.keys(vm.tags as object).length > 0)!;
    const [key, value] = Object.entries(tagged.tags as Record<string, string>)[0];
    const byTag = await allVms(`tag=${encodeURIComponent(`${key}=${value}`)}`);
    expect(byTag.map((vm) => vm.id)).toContain(tagged.id);
    expect(byTag.every((vm) => (vm.tags as Record<string, string>)[key] === value)).toBe(true);
    const byKey = await allVms(`tag=${encodeURIComponent(key)}`);
    expect(byKey.every((vm) => key in (vm.tags as object))).toBe(true);

    const byName = await allVms(`q=${encodeURIComponent(tagged.name)}`);
    expect(byName.map((vm) => vm.id)).toContain(tagged.id);
    const withIp = all.find((vm) => (vm.ipAddresses as string[]).length > 0)!;
    const byIp = await allVms(`q=${(withIp.ipAddresses as string[])[0]}`);
    expect(byIp.map((vm) => vm.id)).toContain(withIp.id);
  });

  it('counts the VMs the same filters match, and refuses what the list would refuse', async () => {
    for (const query of ['', 'osFamily=rhel', 'osFamily=rhel&licenseModel=byos&osVersion=9', 'powerState=stopped,deallocated']) {
      const counted = await t.http().get(`/api/v1/vms/count?${query}`).expect(200);
      expect(counted.body).toEqual({ count: (await allVms(query)).length });
    }
    expect((await t.http().get('/api/v1/vms/count?osFamily=rhel').expect(200)).body.count).toBeGreaterThan(0);
    await t.http().get('/api/v1/vms/count?osFamily=beos').expect(400);
    await t.http().get('/api/v1/vms/count?limit=5').expect(400);
  });

  it('sorts descending and pages consistently', async () => {
    const res = await t.http().get('/api/v1/vms?sort=-name&limit=500').expect(200);
    const names = res.body.items.map((vm: Vm) => vm.name);
    expect(names).toEqual([...names].sort().reverse());
    const paged = await allVms('sort=-name');
    expect(paged.map((vm) => vm.id)).toEqual(res.body.items.map((vm: Vm) => vm.id));
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=abc', /limit/],
    ['limit=100000', /limit/],
    ['osFamily=bsd', /osFamily/],
    ['powerState=on', /powerState/],
    ['osVersion=nine', /osVersion/],
    ['provider=not-a-uuid', /provider/],
    ['archived=maybe', /archived/],
    ['sort=password', /sort/],
    ['cursor=garbage', /cursor/],
    ['colour=blue', /colour/],
  ])('answers 400 for a bad query (%s)', async (query, reason) => {
    const res = await t.http().get(`/api/v1/vms?${query}`).expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(reason);
  });

  it('shows a VM with its nics, ips, disks and image', async () => {
    const [vm] = await allVms('osFamily=rhel');
    const res = await t.http().get(`/api/v1/vms/${vm.id}`).expect(200);
    expect(res.body.nics.length).toBeGreaterThan(0);
    expect(res.body.nics[0].privateIps.length).toBeGreaterThan(0);
    expect(res.body.disks.some((d: { role: string }) => d.role === 'os')).toBe(true);
    expect(res.body.image === null || typeof res.body.image.nativeId === 'string').toBe(true);
    await t.http().get('/api/v1/vms/00000000-0000-4000-8000-000000000000').expect(404);
    await t.http().get('/api/v1/vms/nope').expect(400);
  });

  it('records changes and archives what disappeared on the next full refresh', async () => {
    const vms = await allVms('powerState=running');
    const stopped = vms[0];
    const removed = vms[1];
    const simIds = sim.vmIds();
    const nativeOf = (vm: Vm) => simIds.find((id) => id.toLowerCase() === vm.nativeId)!;
    sim.setPowerState(nativeOf(stopped), 'deallocated');
    sim.removeVm(nativeOf(removed));

    const res = await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202);
    const refresh = await waitForRefresh(t, res.body.id);
    expect(refresh.status).toBe('completed');

    const changes = await t.http().get(`/api/v1/vms/${stopped.id}/changes`).expect(200);
    expect(changes.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'powerState', from: 'running', to: 'deallocated' })]));
    await t.http().get(`/api/v1/vms/${removed.id}`).expect(200);
    expect((await allVms('')).map((vm) => vm.id)).not.toContain(removed.id);
    const archived = await allVms('archived=true');
    expect(archived.map((vm) => vm.id)).toContain(removed.id);
  });

  it('returns the running refresh to a second request instead of starting another', async () => {
    sim.injectFault({ route: 'virtualMachines', kind: 'slow', delayMs: 500 });
    const first = await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202);
    const second = await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.joined).toBe(true);
    await waitForRefresh(t, first.body.id);
  });

  it('follows a refresh over server-sent events: its status and progress as they are stored, then an end frame, then the stream closes', async () => {
    sim.injectFault({ route: 'virtualMachines', kind: 'slow', delayMs: 1500 });
    const started = await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202);
    const followed = (path: string) =>
      t.http().get(path).set('accept', 'text/event-stream').buffer(true).parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });
    const stream = await followed(`/api/v1/refreshes/${started.body.id}`);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const frames = String(stream.body)
      .split('\n\n')
      .filter((frame) => frame.includes('data: '))
      .map((frame) => ({ type: frame.split('\n').find((line) => line.startsWith('event: '))?.slice(7), data: JSON.parse(frame.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) }));
    // Each frame is a distinct state; it began active and ended with what GET answers.
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.slice(0, -1).every((frame) => frame.type === 'refresh' && ['queued', 'running'].includes(frame.data.status))).toBe(true);
    const last = frames[frames.length - 1];
    expect(last).toMatchObject({ type: 'end', data: { id: started.body.id, status: 'completed' } });
    expect(last.data).toEqual((await t.http().get(`/api/v1/refreshes/${started.body.id}`).expect(200)).body);
    expect(new Set(frames.map((frame) => JSON.stringify(frame.data))).size).toBe(frames.length);
    // A refresh that has ended answers one end frame at once.
    const again = await followed(`/api/v1/refreshes/${started.body.id}`);
    expect(String(again.body).match(/event: end/g)).toHaveLength(1);
    await t.http().get('/api/v1/refreshes/00000000-0000-4000-8000-000000000000').set('accept', 'text/event-stream').expect(404);
  });

  it('refreshes only the VMs asked for in a targeted refresh', async () => {
    const [vm] = await allVms('osFamily=rhel');
    const res = await t.http().post(`/api/v1/providers/${providerId}/refresh`).send({ vmIds: [vm.id] }).expect(202);
    const refresh = await waitForRefresh(t, res.body.id);
    expect(refresh).toMatchObject({ kind: 'targeted', status: 'completed' });
    expect((refresh.progress as Record<string, number>).vms).toBe(1);
    for (const vmIds of [['x'], [], 'not-a-list']) {
      await t.http().post(`/api/v1/providers/${providerId}/refresh`).send({ vmIds }).expect(400);
    }
  });

  it('fails a refresh cleanly when Azure keeps throttling, archiving nothing', async () => {
    const before = await allVms('');
    sim.injectFault({ route: 'virtualMachines', kind: 'throttle', retryAfterSeconds: 0, times: 50 });
    const res = await t.http().post(`/api/v1/providers/${providerId}/refresh`).expect(202);
    const refresh = await waitForRefresh(t, res.body.id);
    sim.clearFaults();
    expect(refresh.status).toMatch(/failed|partial/);
    expect(JSON.stringify(refresh.errors)).toMatch(/throttl/i);
    expect(JSON.stringify(refresh.errors)).not.toContain(sim.clientSecret);
    const after = await allVms('');
    expect(after.map((vm) => vm.id).sort()).toEqual(before.map((vm) => vm.id).sort());
  });

  it('lists refreshes, images, networks and hosts', async () => {
    const refreshes = await t.http().get(`/api/v1/refreshes?provider=${providerId}`).expect(200);
    expect(refreshes.body.items.length).toBeGreaterThan(2);
    const images = await t.http().get('/api/v1/images?osFamily=rhel').expect(200);
    expect(images.body.items.length).toBeGreaterThan(0);
    const networks = await t.http().get('/api/v1/networks').expect(200);
    expect(networks.body.items.length).toBeGreaterThan(0);
    await t.http().get('/api/v1/hosts').expect(200);
    await t.http().get('/api/v1/refreshes?status=bogus').expect(400);
  });

  it('schedules a full refresh of a provider whose interval has run out', async () => {
    const scheduler = t.app.get(RefreshScheduler);
    const later = new Date(Date.now() + 3600 * 1000);
    const started = await scheduler.tick(later);
    expect(started).toHaveLength(1);
    const refresh = await waitForRefresh(t, started[0]);
    expect(refresh).toMatchObject({ trigger: 'schedule', kind: 'full' });
    expect(await scheduler.tick(new Date())).toEqual([]);
  });

  it('serves health and the OpenAPI document', async () => {
    const health = await t.http().get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, automation: { status: 'up', version: expect.stringMatching(/^ansible-runner .+, ansible-core .+/) } } });
    const doc = await t.http().get('/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/vms', '/api/v1/providers', '/api/v1/refreshes/{id}']));
  });

  it('deletes a provider', async () => {
    await t.http().delete(`/api/v1/providers/${providerId}`).expect(204);
    await t.http().get(`/api/v1/providers/${providerId}`).expect(404);
  });
});

describe('without ansible-runner', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HYBRIDFORMS_ANSIBLE_RUNNER: '/nonexistent/bin/ansible-runner' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports automation down on /health with the reason, while the inventory stays ready', async () => {
    const health = await t.anonymous().get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, automation: { status: 'down' } } });
    expect(health.body.checks.automation.error).toMatch(/\/nonexistent\/bin\/ansible-runner is missing or not executable/);
  });
});
