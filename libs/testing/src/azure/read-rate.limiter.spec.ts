import { ReadRateLimiter } from './read-rate.limiter.js';

describe('ReadRateLimiter', () => {
  it('drains the bucket, asks to retry after the refill time, and refills', () => {
    let now = 0;
    const limiter = new ReadRateLimiter({ bucket: 2, refillPerSecond: 0.5 }, () => now);
    expect(limiter.take('s')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take('s')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('s')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
    expect(limiter.take('other')).toMatchObject({ allowed: true });
    now = 2000;
    expect(limiter.take('s')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('never limits when disabled', () => {
    const limiter = new ReadRateLimiter(false);
    for (let i = 0; i < 1000; i++) expect(limiter.take('s').allowed).toBe(true);
  });
});
