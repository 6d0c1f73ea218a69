import { abortableSleep } from './abortable-sleep.js';

describe('abortableSleep', () => {
  it('resolves after the wait when nothing aborts', async () => {
    const started = Date.now();
    await abortableSleep(30, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("rejects with the signal's reason at once, whether it aborts before or during the wait", async () => {
    const during = new AbortController();
    const waiting = abortableSleep(60_000, during.signal);
    during.abort(new Error('handed back'));
    await expect(waiting).rejects.toThrow('handed back');
    await expect(abortableSleep(60_000, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
