import type { StreamState } from '../api/event-stream.js';

const LABELS: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost: reconnecting…',
  ended: 'Ended',
  failed: 'Not following',
};

/** Says whether a page is following its live stream (and why not, when it cannot). */
export function StreamBadge({ state, error }: { state: StreamState; error: Error | null }) {
  return (
    <p class="count" role="status" data-testid="stream-state" data-state={state}>
      <span class={`badge stream-${state}`}>{LABELS[state]}</span>
      {state === 'failed' && error && <span class="error-text"> {error.message}</span>}
    </p>
  );
}
