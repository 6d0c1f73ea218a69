import { nonOverlapping } from './non-overlapping.js';

describe('nonOverlapping', () => {
  it('skips ticks while the previous run is still going, and runs again once it ends', async () => {
    let release!: () => void;
    let runs = 0;
    const tick = nonOverlapping(
      () => {
        runs++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      () => undefined,
    );
    tick();
    tick();
    tick();
    expect(runs).toBe(1);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    tick();
    expect(runs).toBe(2);
  });

  it('reports a failure and keeps ticking', async () => {
    const errors: string[] = [];
    let runs = 0;
    const tick = nonOverlapping(
      async () => {
        runs++;
        throw new Error(`boom ${runs}`);
      },
      (error) => errors.push(error.message),
    );
    tick();
    await new Promise((resolve) => setImmediate(resolve));
    tick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['boom 1', 'boom 2']);
  });
});
