import { Redis } from 'ioredis';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../jobs/src/testing/redis-test-queue.js';
import { ClusterProviderSlots, provisionSlotsKey } from './cluster-provider-slots.js';

const never = new AbortController().signal;
const settledWithin = async (promise: Promise<unknown>, ms: number): Promise<boolean> => {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
};

/** Two instances stand for two worker processes of one cluster, on the local Redis. */
describe('ClusterProviderSlots (Redis)', () => {
  let prefix: string;
  const opened: ClusterProviderSlots[] = [];
  const open = (perProvider: number, leaseMs = 5000) => {
    const slots = new ClusterProviderSlots({ redisUrl: TEST_REDIS_URL, prefix, perProvider, leaseMs, pollMs: 20 });
    opened.push(slots);
    return slots;
  };

  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    for (const slots of opened.splice(0)) await slots.close();
    await deleteKeys(prefix);
  });

  it('bounds a provider across processes: with 2 slots, two processes taking one each leave a third waiting until one is given back', async () => {
    const a = open(2);
    const b = open(2);
    const first = await a.acquire('p', never);
    const second = await b.acquire('p', never);
    const third = a.acquire('p', never);
    // Each process alone holds one of its own two: only the cluster's count keeps the third out.
    expect(await settledWithin(third, 300)).toBe(false);
    const otherProvider = await b.acquire('q', never);
    second();
    const granted = await third;
    expect(a.heldCount()).toBe(2);
    expect(b.heldCount()).toBe(1);
    first();
    granted();
    otherProvider();
  });

  it('keeps a held slot past its lease by renewing it, and gives it back at close', async () => {
    const a = open(1, 600);
    const b = open(1, 600);
    await a.acquire('p', never);
    const waiting = b.acquire('p', never);
    expect(await settledWithin(waiting, 2000)).toBe(false);
    await a.close();
    (await waiting)();
  });

  it("takes over the slot of a process that died holding it, once the lease it last set has run out", async () => {
    // What a SIGKILLed worker leaves: its member, scored with the end of the lease it last renewed.
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const [seconds] = await raw.time();
      await raw.zadd(provisionSlotsKey(prefix, 'p'), Number(seconds) * 1000 + 1500, 'dead-worker:1234:slot');
    } finally {
      raw.disconnect();
    }
    const b = open(1);
    const started = Date.now();
    const taking = b.acquire('p', never);
    expect(await settledWithin(taking, 300)).toBe(false);
    (await taking)();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('drops a waiter whose signal aborts, freeing its turn in this process', async () => {
    const a = open(1);
    const b = open(1);
    const held = await a.acquire('p', never);
    const abort = new AbortController();
    const waiting = b.acquire('p', abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    held();
    // b's own slot was given back with the abort: b can take the cluster's one now.
    (await b.acquire('p', never))();
    expect(b.heldCount()).toBe(0);
  });

  it('waits, without granting, while Redis cannot be reached, and still honours an abort', async () => {
    const unreachable = new ClusterProviderSlots({ redisUrl: 'redis://127.0.0.1:1', prefix, perProvider: 5, leaseMs: 5000, pollMs: 20 });
    opened.push(unreachable);
    const abort = new AbortController();
    const waiting = unreachable.acquire('p', abort.signal);
    expect(await settledWithin(waiting, 500)).toBe(false);
    abort.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
  });
});
