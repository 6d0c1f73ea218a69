import { currentLogFields, jobLogFields, runWithLogFields, withLogFields } from './log-context.js';

describe('log context', () => {
  it('is empty outside any unit of work', () => {
    expect(currentLogFields()).toEqual({});
  });

  it('follows async work started inside a unit, and ends with it', async () => {
    const seen = await runWithLogFields({ requestId: 'r-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentLogFields();
    });
    expect(seen).toEqual({ requestId: 'r-1' });
    expect(currentLogFields()).toEqual({});
  });

  it('keeps concurrent units apart', async () => {
    const one = runWithLogFields({ requestId: 'a' }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return currentLogFields().requestId;
    });
    const two = runWithLogFields({ requestId: 'b' }, async () => currentLogFields().requestId);
    expect(await Promise.all([one, two])).toEqual(['a', 'b']);
  });

  it('adds fields with withLogFields and replaces them with runWithLogFields', () => {
    runWithLogFields({ requestId: 'r' }, () => {
      expect(withLogFields({ runId: 'x' }, currentLogFields)).toEqual({ requestId: 'r', runId: 'x' });
      expect(runWithLogFields({ jobId: 'j' }, currentLogFields)).toEqual({ jobId: 'j' });
    });
  });

  it("takes a job's kind, id and the ids of its payload, nothing else", () => {
    expect(jobLogFields({ id: '7', kind: 'refresh', payload: { refreshId: 'r1', providerId: 'p1', password: 'x', runId: { nested: 1 } } })).toEqual({
      jobKind: 'refresh',
      jobId: '7',
      refreshId: 'r1',
      providerId: 'p1',
    });
    expect(jobLogFields({ id: '8', kind: 'tick', payload: null })).toEqual({ jobKind: 'tick', jobId: '8' });
  });
});
