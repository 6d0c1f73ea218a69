import {
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { ArmThrottlingPolicy } from './arm-throttling.policy.js';

/** A clock that stands still unless told to move; sleeps are recorded with the time they end. */
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const wakes: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      wakes.push(now + ms);
    },
    advance: (ms: number) => (now += ms),
    sleeps,
    wakes,
  };
}

function response(request: PipelineRequest, status: number, headers: Record<string, string> = {}): PipelineResponse {
  return { request, status, headers: createHttpHeaders(headers) };
}

const request = () => createPipelineRequest({ url: 'https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/virtualMachines' });

describe('ArmThrottlingPolicy', () => {
  it('gives a 429 without any Retry-After the configured default, so the SDK retries it', async () => {
    const policy = new ArmThrottlingPolicy({ defaultRetryAfterSeconds: 7, ...fakeTime() });
    const res = await policy.sendRequest(request(), async (r) => response(r, 429));
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('leaves a 429 that names its Retry-After (seconds or ms) alone', async () => {
    const policy = new ArmThrottlingPolicy({ defaultRetryAfterSeconds: 7, ...fakeTime() });
    expect((await policy.sendRequest(request(), async (r) => response(r, 429, { 'Retry-After': '0' }))).headers.get('retry-after')).toBe('0');
    const ms = await policy.sendRequest(request(), async (r) => response(r, 429, { 'retry-after-ms': '250' }));
    expect(ms.headers.get('retry-after')).toBeUndefined();
  });

  it('does not touch other statuses', async () => {
    const policy = new ArmThrottlingPolicy(fakeTime());
    expect((await policy.sendRequest(request(), async (r) => response(r, 503))).headers.get('retry-after')).toBeUndefined();
    expect((await policy.sendRequest(request(), async (r) => response(r, 200))).headers.get('retry-after')).toBeUndefined();
  });

  it('sends at once while the subscription has reads to spare', async () => {
    const time = fakeTime();
    const policy = new ArmThrottlingPolicy(time);
    for (let i = 0; i < 5; i++) await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': String(249 - i) }));
    expect(time.sleeps).toEqual([]);
  });

  it('delays the next request in proportion to how far the remaining reads fell below the watermark', async () => {
    const time = fakeTime();
    const policy = new ArmThrottlingPolicy({ ...time, lowWatermark: 10, refillPerSecond: 25 });
    await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '3' }));
    expect(policy.currentDelayMs).toBe(280); // 7 reads at 25/s
    await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '0' }));
    expect(time.sleeps).toEqual([280]);
    expect(policy.currentDelayMs).toBe(400);
  });

  it('spaces concurrent requests one refill interval apart while reads are low, and stops once they recover', async () => {
    const time = fakeTime();
    const policy = new ArmThrottlingPolicy({ ...time, lowWatermark: 10, refillPerSecond: 25 });
    await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '9' }));
    const base = time.now();
    const send = () => policy.sendRequest(request(), async (r) => response(r, 200));
    await Promise.all([send(), send(), send()]);
    // The first waits the 40 ms refill of one read; the others follow 40 ms apart.
    expect(time.wakes.map((t) => t - base)).toEqual([40, 80, 120]);
    await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '120' }));
    time.sleeps.length = 0;
    time.advance(1000);
    await Promise.all([send(), send()]);
    expect(time.sleeps).toEqual([]);
  });

  it("holds back the subscription's other requests for a 429's Retry-After", async () => {
    const time = fakeTime();
    const policy = new ArmThrottlingPolicy(time);
    await policy.sendRequest(request(), async (r) => response(r, 429, { 'retry-after': '2' }));
    await policy.sendRequest(request(), async (r) => response(r, 200));
    expect(time.sleeps).toEqual([2000]);
  });

  it('gives up waiting when the request is aborted', async () => {
    const policy = new ArmThrottlingPolicy({ lowWatermark: 10, refillPerSecond: 1 });
    await policy.sendRequest(request(), async (r) => response(r, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '0' }));
    const controller = new AbortController();
    const waiting = policy.sendRequest(createPipelineRequest({ url: 'https://management.azure.com/x', abortSignal: controller.signal }), async (r) => response(r, 200));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });

  describe('inside the real SDK pipeline (perRetry, after the retry policy)', () => {
    function pipelineWith(policy: ArmThrottlingPolicy, maxRetries: number, statuses: number[]) {
      const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries, retryDelayInMs: 1, maxRetryDelayInMs: 1 } });
      pipeline.addPolicy(policy, { afterPhase: 'Sign' });
      let calls = 0;
      const httpClient: HttpClient = {
        sendRequest: async (r) => response(r, statuses[Math.min(calls++, statuses.length - 1)]),
      };
      return { send: () => pipeline.sendRequest(httpClient, request()), calls: () => calls };
    }

    it('makes the SDK retry a 429 that had no Retry-After, and succeed', async () => {
      const { send, calls } = pipelineWith(new ArmThrottlingPolicy({ defaultRetryAfterSeconds: 0 }), 3, [429, 429, 200]);
      expect((await send()).status).toBe(200);
      expect(calls()).toBe(3);
    });

    it('retries no more than maxRetries times (no multiplied retries)', async () => {
      const { send, calls } = pipelineWith(new ArmThrottlingPolicy({ defaultRetryAfterSeconds: 0 }), 2, [429]);
      expect((await send()).status).toBe(429);
      expect(calls()).toBe(3);
    });
  });
});
