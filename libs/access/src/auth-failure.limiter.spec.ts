import { AuthFailureLimiter } from './auth-failure.limiter.js';

describe('AuthFailureLimiter', () => {
  it('lets a client fail up to the limit, then refuses it until its minute has passed', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
      limiter.recordFailure('10.0.0.1');
    }
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    // Another address is not punished for the first one's failures.
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 45_000;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(15);
    now += 15_000;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });
});
