import { setFlagsFromString } from 'node:v8';
import type { AppConfig } from './app-config.js';

/** The V8 flag for memory.heapGrowthPercent; null for 0 (V8's own choice). */
export function heapGrowthFlag(percent: number): string | null {
  return percent > 0 ? `--heap-growing-percent=${percent}` : null;
}

/**
 * Sets V8's heap growing factor for this process (memory.heapGrowthPercent). V8 reads the flag
 * at each full collection when it sizes the next heap limit, so setting it at start-up, before
 * the work that allocates, is enough. It bounds growth, not the heap: a larger estate means more
 * collections, never an out-of-memory crash as a fixed --max-old-space-size could.
 */
export function applyHeapGrowth(config: Pick<AppConfig, 'memory'>): void {
  const flag = heapGrowthFlag(config.memory.heapGrowthPercent);
  if (flag) setFlagsFromString(flag);
}
