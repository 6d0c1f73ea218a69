import { BoundedChannel } from './bounded-channel.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedChannel', () => {
  it('hands items over in order and ends after close once drained', async () => {
    const channel = new BoundedChannel<number>(2);
    await channel.push(1);
    await channel.push(2);
    channel.close();
    expect([await channel.pull(), await channel.pull(), await channel.pull()]).toEqual([1, 2, undefined]);
  });

  it('holds a push while full, until the consumer makes room', async () => {
    const channel = new BoundedChannel<number>(1);
    await channel.push(1);
    let pushed = false;
    const second = channel.push(2).then((ok) => (pushed = ok));
    await tick();
    expect(pushed).toBe(false);
    expect(await channel.pull()).toBe(1);
    await second;
    expect(pushed).toBe(true);
    expect(await channel.pull()).toBe(2);
  });

  it('wakes a waiting pull when an item arrives', async () => {
    const channel = new BoundedChannel<string>(1);
    const pulled = channel.pull();
    await channel.push('a');
    expect(await pulled).toBe('a');
  });

  it('releases every waiting push of many producers with false on stop', async () => {
    const channel = new BoundedChannel<number>(1);
    await channel.push(0);
    const waiting = [channel.push(1), channel.push(2)];
    channel.stop();
    expect(await Promise.all(waiting)).toEqual([false, false]);
    expect(await channel.pull()).toBeUndefined();
    expect(await channel.push(3)).toBe(false);
  });

  it('throws a failure from pull once what was buffered is drained', async () => {
    const channel = new BoundedChannel<number>(2);
    await channel.push(1);
    channel.fail(new Error('boom'));
    expect(await channel.pull()).toBe(1);
    await expect(channel.pull()).rejects.toThrow('boom');
  });
});
