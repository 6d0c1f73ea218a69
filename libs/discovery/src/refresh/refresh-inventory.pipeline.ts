import { Injectable } from '@nestjs/common';
import { BoundedChannel, type InventoryChunk, type InventoryScope, type PartError, type ProviderContext, type ProviderPlugin } from '@hybridforms/core';
import { InventoryPersister, type PersistStats } from '@hybridforms/persistence';
import type { RefreshProgressReporter } from './refresh-progress.reporter.js';

// Chunks collected ahead of the database: the bound on what a slow save lets pile up.
const CHUNK_BUFFER = 4;

const COUNTED = ['vms', 'nics', 'disks', 'images', 'hosts', 'networks'] as const;

/** What a refresh collected and saved. */
export interface CollectedInventory {
  /** Distinct records, whatever way the plugin chunked them (a stream may repeat an image or a subnet). */
  counts: Record<(typeof COUNTED)[number], number>;
  partErrors: PartError[];
  stats: PersistStats;
  collectMs: number;
}

/** One refresh's collection and save, in the plugin's order. */
export interface InventoryRun {
  providerId: string;
  refreshId: string;
  plugin: ProviderPlugin;
  ctx: ProviderContext;
  scope: InventoryScope;
  /** The run's end (timeout, hand-back): stops collection and saving. */
  signal: AbortSignal;
  progress: RefreshProgressReporter;
  /** Targeted: the operations behind the targets (see RefreshEntity.causes). */
  causes?: Record<string, string> | null;
}

/**
 * The inventory side of one refresh: the plugin's chunks handed to a persister session as they
 * arrive, collection running ahead by at most CHUNK_BUFFER chunks, then the session's finish
 * (the archives, only when no part failed). A failure or an abort before the end archives nothing.
 */
@Injectable()
export class RefreshInventoryPipeline {
  constructor(private readonly persister: InventoryPersister) {}

  async run({ providerId, refreshId, plugin, ctx, scope, signal, progress, causes }: InventoryRun): Promise<CollectedInventory> {
    const started = Date.now();
    const stream = plugin.collectInventory(ctx, scope);
    const session = this.persister.open(providerId, refreshId, scope, causes ? { causes } : {});
    const partErrors: PartError[] = [];
    let collectMs = 0;
    let chunks = 0;
    const channel = new BoundedChannel<InventoryChunk>(CHUNK_BUFFER);
    const pump = (async () => {
      try {
        for await (const chunk of stream) {
          if (signal.aborted) break;
          if (!(await channel.push(chunk))) break; // the saving side stopped
        }
        collectMs = Date.now() - started;
        channel.close();
      } catch (error) {
        channel.fail(error);
      }
    })();
    try {
      for (;;) {
        const chunk = await abortable(channel.pull(), signal);
        if (chunk === undefined) break;
        partErrors.push(...(chunk.partErrors ?? []));
        await session.apply(chunk);
        const saved = session.stats.collections.vms;
        progress.report({ savedVms: saved.created + saved.updated + saved.unchanged + saved.restored, savedChunks: ++chunks });
      }
      throwIfAborted(signal);
    } catch (error) {
      // Releases a push waiting for room; the run's abort (in its finally) stops the plugin.
      channel.stop();
      throw error;
    }
    await pump;
    await progress.flush();
    const stats = await session.finish();
    const counts = Object.fromEntries(
      COUNTED.map((name) => {
        const c = stats.collections[name];
        return [name, c.created + c.updated + c.unchanged + c.restored];
      }),
    ) as CollectedInventory['counts'];
    return { counts, partErrors, stats, collectMs };
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
