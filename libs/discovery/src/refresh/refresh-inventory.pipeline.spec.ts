import type { InventoryChunk, InventoryScope, ProviderContext, ProviderPlugin } from '@hybridforms/core';
import type { InventoryPersister, InventorySession, PersistStats } from '@hybridforms/persistence';
import { RefreshInventoryPipeline } from './refresh-inventory.pipeline.js';
import { RefreshProgressReporter } from './refresh-progress.reporter.js';

const vm = (nativeId: string) => ({ nativeId }) as NonNullable<InventoryChunk['vms']>[number];

function stats(vms = 0): PersistStats {
  const zero = { created: 0, updated: 0, unchanged: 0, archived: 0, restored: 0 };
  return {
    collections: { resourceGroups: zero, networks: zero, hosts: zero, images: zero, vms: { ...zero, created: vms }, nics: zero, disks: zero },
    changes: 0,
    rowsWritten: vms,
  };
}

function setup(chunks: () => AsyncGenerator<InventoryChunk>) {
  const applied: InventoryChunk[] = [];
  let finished = 0;
  const session: InventorySession = {
    stats: stats(),
    apply: async (chunk) => {
      applied.push(chunk);
      return stats();
    },
    finish: async () => {
      finished++;
      return stats(applied.flatMap((c) => c.vms ?? []).length);
    },
  };
  const scopes: InventoryScope[] = [];
  const persister = { open: (_p: string, _r: string, scope: InventoryScope) => (scopes.push(scope), session) } as unknown as InventoryPersister;
  const plugin = { collectInventory: () => chunks() } as unknown as ProviderPlugin;
  const pipeline = new RefreshInventoryPipeline(persister);
  const run = (scope: InventoryScope, signal = new AbortController().signal) =>
    pipeline.run({ providerId: 'p', refreshId: 'r', plugin, ctx: {} as ProviderContext, scope, signal, progress: new RefreshProgressReporter(async () => undefined) });
  return { run, applied, scopes, finished: () => finished };
}

describe('RefreshInventoryPipeline', () => {
  it('hands every chunk to one session of the refresh scope, in order, then finishes it once', async () => {
    const { run, applied, scopes, finished } = setup(async function* () {
      yield { vms: [vm('a')] };
      yield { vms: [vm('b')], partErrors: [{ scope: 'subscription s', code: 'forbidden', message: 'no' }] };
    });
    const collected = await run({ kind: 'full' });
    expect(scopes).toEqual([{ kind: 'full' }]);
    expect(applied.map((c) => c.vms?.map((v) => v.nativeId))).toEqual([['a'], ['b']]);
    expect(finished()).toBe(1);
    expect(collected.partErrors).toEqual([{ scope: 'subscription s', code: 'forbidden', message: 'no' }]);
    expect(collected.counts.vms).toBe(2);
  });

  it('does not finish (so archives nothing) when the collection fails', async () => {
    const { run, finished } = setup(async function* () {
      yield { vms: [vm('a')] };
      throw new Error('ARM is down');
    });
    await expect(run({ kind: 'targeted', nativeIds: ['a'] })).rejects.toThrow('ARM is down');
    expect(finished()).toBe(0);
  });

  it('stops, without finishing, when the run is aborted', async () => {
    const abort = new AbortController();
    const { run, finished } = setup(async function* () {
      yield { vms: [vm('a')] };
      abort.abort(new Error('timed out'));
      yield { vms: [vm('b')] };
    });
    await expect(run({ kind: 'full' }, abort.signal)).rejects.toThrow('timed out');
    expect(finished()).toBe(0);
  });
});
