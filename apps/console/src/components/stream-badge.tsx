import type { StreamState } from '../api/event-stream.js';

const LABELS: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost: reconnecting…',
  ended: 'Ended',
  failed: 'Not following',
};

/**
 * Says whether a page is following its live stream (and why not, when it cannot); `inline` is the
 * bare badge, for a heading.
 */
export function StreamBadge({ state, error = null, inline = false }: { state: StreamState; error?: Error | null; inline?: boolean }) {
  if (inline) {
    return (
      <span class={`badge stream-${state}`} data-testid="stream-state" data-state={state}>
        {LABELS[state]}
      </span>
    );
  }
  return (
    <p class="count" role="status" data-testid="stream-state" data-state={state}>
      <span class={`badge stream-${state}`}>{LABELS[state]}</span>
      {state === 'failed' && error && <span class="error-text"> {error.message}</span>}
    </p>
  );
}
