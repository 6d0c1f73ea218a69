import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import { ACTIVE_REFRESH_STATUSES, roleAtLeast, type Page, type Provider, type Refresh } from '../api/api-types.js';
import { Empty, ErrorNotice, Loaded } from '../components/state-views.js';
import { formatDateTime, formatValue } from '../format.js';
import type { Session } from '../session.js';
import { StreamBadge } from '../components/stream-badge.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';

interface ProviderTelemetry {
  events: { polledAt: string | null; lastError: string | null; eventsStored: number };
  metrics: { capturedAt: string | null; lastError: string | null; samplesStored: number };
}

export function ProvidersPage({ session }: { session: Session }) {
  const providers = useResource(() => session.api.get<Page<Provider>>('/providers'), []);
  return (
    <main id="main">
      <h1>Providers</h1>
      <Loaded resource={providers} what="providers">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No provider is registered yet (an admin adds one with POST /api/v1/providers).</Empty>
          ) : (
            <div class="cards">
              {page.items.map((provider) => (
                <ProviderCard key={provider.id} session={session} provider={provider} onRefreshed={providers.reload} />
              ))}
            </div>
          )
        }
      </Loaded>
    </main>
  );
}

function ProviderCard({ session, provider, onRefreshed }: { session: Session; provider: Provider; onRefreshed: () => void }) {
  const last = useResource(() => session.api.get<Page<Refresh>>('/refreshes', { provider: provider.id, limit: 1 }), [provider.id]);
  const telemetry = useResource(() => session.api.get<ProviderTelemetry>(`/providers/${provider.id}/telemetry`), [provider.id]);
  const [asked, setAsked] = useState<string | null>(null);
  const [followed, setFollowed] = useState<Refresh | null>(null);
  const latest = last.state === 'ready' ? (last.data.items[0] ?? null) : null;
  const refresh = followed && latest && followed.id === latest.id ? followed : latest;
  const active = refresh !== null && ACTIVE_REFRESH_STATUSES.includes(refresh.status);

  // A refresh that runs is followed live (GET /refreshes/:id as a stream); when it ends the
  // provider is read again for its last refresh time.
  const following = latest !== null && ACTIVE_REFRESH_STATUSES.includes(latest.status) ? `/refreshes/${latest.id}` : null;
  const stream = useStream(
    session,
    following,
    undefined,
    (frame) => {
      setFollowed(frame.data as Refresh);
      if (frame.type === 'end') {
        last.reload();
        onRefreshed();
      }
    },
    ['end'],
  );

  async function requestRefresh() {
    setAsked(null);
    try {
      await session.api.post<Refresh>(`/providers/${provider.id}/refresh`);
      last.reload();
    } catch (failure) {
      setAsked(failure instanceof ApiError ? failure.message : String(failure));
    }
  }

  const headingId = `provider-${provider.id}`;
  return (
    <section class="panel provider-card" aria-labelledby={headingId} data-provider-id={provider.id}>
      <div class="list-header">
        <h2 id={headingId}>
          {provider.name} <span class="muted">({provider.type})</span>
        </h2>
        {roleAtLeast(session.role, 'operator') && (
          <button type="button" class="primary" data-action="refresh" disabled={active} onClick={requestRefresh}>
            {active ? 'Refreshing…' : 'Refresh now'}
          </button>
        )}
      </div>
      {asked && (
        <p class="state state-error" role="alert">
          {asked}
        </p>
      )}
      <dl class="facts">
        <dt>Last full refresh</dt>
        <dd>{formatDateTime(provider.lastFullRefreshAt)}</dd>
        <dt>Scheduled every</dt>
        <dd>{provider.refreshIntervalSeconds ? `${Math.round(provider.refreshIntervalSeconds / 60)} min` : '—'}</dd>
      </dl>
      <h3>Latest refresh</h3>
      <Loaded resource={last} what="the latest refresh">
        {() =>
          refresh === null ? (
            <Empty>This provider has not been refreshed yet.</Empty>
          ) : (
            <div role="status" aria-live="polite">
              {active && <StreamBadge state={stream.state} error={stream.error} />}
              <p>
                <span class={`badge status-${refresh.status}`} data-testid="refresh-status">
                  {refresh.status}
                </span>{' '}
                {refresh.kind} refresh ({refresh.trigger}), requested {formatDateTime(refresh.requestedAt)}
                {refresh.finishedAt && `, finished ${formatDateTime(refresh.finishedAt)}`}
              </p>
              {Object.keys(refresh.progress).length > 0 && (
                <p class="progress">
                  {Object.entries(refresh.progress)
                    .map(([what, count]) => `${count.toLocaleString()} ${what}`)
                    .join(' · ')}
                </p>
              )}
              {refresh.errors.length > 0 && (
                <ul class="errors">
                  {refresh.errors.map((error, i) => (
                    <li key={i}>{formatValue(error)}</li>
                  ))}
                </ul>
              )}
            </div>
          )
        }
      </Loaded>
      <h3>Events and metrics</h3>
      {telemetry.state === 'error' ? (
        <ErrorNotice error={telemetry.error} retry={telemetry.reload} />
      ) : telemetry.state === 'ready' ? (
        <dl class="facts">
          <dt>Events polled</dt>
          <dd>
            {formatDateTime(telemetry.data.events.polledAt)} ({telemetry.data.events.eventsStored.toLocaleString()} stored)
          </dd>
          {telemetry.data.events.lastError && (
            <>
              <dt>Event error</dt>
              <dd class="error-text">{telemetry.data.events.lastError}</dd>
            </>
          )}
          <dt>Metrics captured</dt>
          <dd>
            {formatDateTime(telemetry.data.metrics.capturedAt)} ({telemetry.data.metrics.samplesStored.toLocaleString()} samples)
          </dd>
          {telemetry.data.metrics.lastError && (
            <>
              <dt>Metric error</dt>
              <dd class="error-text">{telemetry.data.metrics.lastError}</dd>
            </>
          )}
        </dl>
      ) : null}
    </section>
  );
}
