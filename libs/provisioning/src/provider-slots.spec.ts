import { ProviderSlots } from './provider-slots.js';

describe('ProviderSlots', () => {
  it('lets at most N tasks of one provider run at once, the next in arrival order, other providers apart', async () => {
    const slots = new ProviderSlots(2);
    const signal = new AbortController().signal;
    const a = await slots.acquire('p', signal);
    await slots.acquire('p', signal);
    const order: string[] = [];
    const third = slots.acquire('p', signal).then((release) => (order.push('third'), release));
    const fourth = slots.acquire('p', signal).then((release) => (order.push('fourth'), release));
    await slots.acquire('other', signal);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    expect(slots.inUse('p')).toBe(2);
    expect(slots.inUse('other')).toBe(1);

    a();
    a(); // a second release of the same slot frees nothing more
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(slots.inUse('p')).toBe(2);
  });

  it('drops a waiter whose signal aborts, without taking its turn', async () => {
    const slots = new ProviderSlots(1);
    const release = await slots.acquire('p', new AbortController().signal);
    const abort = new AbortController();
    const waiting = slots.acquire('p', abort.signal);
    abort.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    release();
    expect(slots.inUse('p')).toBe(0);
    const next = await slots.acquire('p', new AbortController().signal);
    expect(slots.inUse('p')).toBe(1);
    next();
  });
});
