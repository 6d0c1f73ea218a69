import type { HyperVLogBookmarks } from './hyperv-events.script.js';

/**
 * The events checkpoint of a Hyper-V provider: opaque to the host, a JSON object with the last
 * RecordId read per log, per host (RecordIds are per log and per host):
 * `{ "hyperv:hv01": { "Microsoft-Windows-Hyper-V-VMMS-Admin": 118, "Microsoft-Windows-Hyper-V-Worker-Admin": 2044 } }`.
 * A host or log without an entry is read by time (the initial look-back).
 */
export type HyperVEventsCheckpoint = Record<string, HyperVLogBookmarks>;

/** The checkpoint's bookmarks; null when `text` is not one (the caller logs it and starts over by time). */
export function parseHyperVEventsCheckpoint(text: string | null): HyperVEventsCheckpoint | null {
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  const checkpoint: HyperVEventsCheckpoint = {};
  for (const [host, logs] of Object.entries(value)) {
    if (!isObject(logs)) return null;
    const bookmarks: HyperVLogBookmarks = {};
    for (const [log, id] of Object.entries(logs)) {
      if (!(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) return null;
      bookmarks[log] = id;
    }
    checkpoint[host] = bookmarks;
  }
  return checkpoint;
}

/** The checkpoint text, hosts and logs in a stable order. */
export function formatHyperVEventsCheckpoint(checkpoint: HyperVEventsCheckpoint): string {
  const sorted: HyperVEventsCheckpoint = {};
  for (const host of Object.keys(checkpoint).sort()) {
    const logs: HyperVLogBookmarks = {};
    for (const log of Object.keys(checkpoint[host]).sort()) logs[log] = checkpoint[host][log];
    sorted[host] = logs;
  }
  return JSON.stringify(sorted);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
