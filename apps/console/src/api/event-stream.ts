import { ApiError, queryString, type Query } from './api-client.js';

// Server-sent events read with fetch rather than EventSource: EventSource cannot send the
// Authorization header, and the token must never travel in a URL. Frames are parsed as the SSE
// format defines them (fields per line, a blank line ends a frame, `:` lines are comments).

export interface StreamFrame {
  id: string | null;
  type: string;
  data: unknown;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface StreamHandlers {
  onFrame: (frame: StreamFrame) => void;
  onState?: (state: StreamState, error?: Error) => void;
  /** Frame types after which the server closes the stream for good (a run's `end`): no reconnect. */
  endOn?: readonly string[];
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15_000;

/**
 * Follows `path` until `close()` (or an end frame). A dropped connection is opened again after a
 * growing pause, with `Last-Event-ID` so the server replays what was missed; a 4xx answer (no such
 * thing, not allowed, token refused) is final.
 */
export function openStream(token: string, path: string, query: Query | undefined, handlers: StreamHandlers, onUnauthorized: () => void): { close: () => void } {
  const abort = new AbortController();
  let lastId: string | null = null;
  let retryMs = RETRY_FIRST_MS;
  let ended = false;

  const state = (next: StreamState, error?: Error) => {
    if (!abort.signal.aborted) handlers.onState?.(next, error);
  };

  async function connect(): Promise<void> {
    const response = await fetch(`/api/v1${path}${queryString(query)}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      cache: 'no-store',
      signal: abort.signal,
    });
    if (!response.ok || !response.body) {
      if (response.status === 401) onUnauthorized();
      const payload = (await response.json().catch(() => null)) as { message?: unknown } | null;
      throw new ApiError(response.status, typeof payload?.message === 'string' ? payload.message : `${response.status} ${response.statusText}`);
    }
    state('live');
    retryMs = RETRY_FIRST_MS;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = parseFrame(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (!frame) continue;
        if (frame.id !== null) lastId = frame.id;
        handlers.onFrame(frame);
        if (handlers.endOn?.includes(frame.type)) {
          ended = true;
          await reader.cancel();
          return;
        }
      }
    }
  }

  async function follow(): Promise<void> {
    state('connecting');
    while (!abort.signal.aborted) {
      try {
        await connect();
        if (ended) return state('ended');
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return state('failed', error);
      }
      state('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  }

  void follow();
  return { close: () => abort.abort() };
}

function parseFrame(text: string): StreamFrame | null {
  let id: string | null = null;
  let type = 'message';
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  try {
    return { id, type, data: JSON.parse(data.join('\n')) };
  } catch {
    return { id, type, data: data.join('\n') };
  }
}
