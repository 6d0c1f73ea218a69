import { useEffect, useRef, useState } from 'preact/hooks';
import type { Query } from './api/api-client.js';
import type { StreamFrame, StreamState } from './api/event-stream.js';
import type { Session } from './session.js';

/**
 * Follows a server-sent-events route while the component is shown and `path` is set (null: not
 * now); `onFrame` gets each frame. Leaving the page closes the stream. Returns the stream's state.
 */
export function useStream(session: Session, path: string | null, query: Query | undefined, onFrame: (frame: StreamFrame) => void, endOn?: readonly string[]): { state: StreamState; error: Error | null } {
  const [status, setStatus] = useState<{ state: StreamState; error: Error | null }>({ state: 'connecting', error: null });
  const saved = useRef(onFrame);
  saved.current = onFrame;
  const key = `${path}?${JSON.stringify(query ?? {})}`;
  useEffect(() => {
    if (path === null) return;
    const stream = session.api.stream(path, query, {
      onFrame: (frame) => saved.current(frame),
      onState: (state, error) => setStatus({ state, error: error ?? null }),
      endOn,
    });
    return () => stream.close();
  }, [key]);
  return status;
}
