import { useState } from 'preact/hooks';
import type { Query } from '../api/api-client.js';
import { EVENT_TYPES, type Page, type Provider, type ProviderEvent } from '../api/api-types.js';
import type { StreamFrame } from '../api/event-stream.js';
import { Empty, ErrorNotice, Loaded } from '../components/state-views.js';
import { StreamBadge } from '../components/stream-badge.js';
import { formatDateTime } from '../format.js';
import { href, navigate, type Route } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';

const PAGE_SIZE = 50;
// Live events are added on top; past this many the oldest shown are let go (the API keeps them all).
const MAX_SHOWN = 500;

export function EventsPage({ session, route }: { session: Session; route: Route }) {
  const provider = route.params.get('provider') ?? '';
  const type = route.params.get('type') ?? '';
  const key = `${provider}|${type}`;
  return (
    <main id="main">
      <h1>Events</h1>
      <EventFilters key={key} session={session} provider={provider} type={type} />
      <EventList key={key} session={session} query={{ provider: provider || undefined, type: type || undefined }} />
    </main>
  );
}

function EventFilters({ session, provider, type }: { session: Session; provider: string; type: string }) {
  const [draft, setDraft] = useState({ provider, type });
  const providers = useResource(() => session.api.get<Page<Provider>>('/providers'), []);
  const apply = (event: Event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (draft.provider) params.set('provider', draft.provider);
    if (draft.type) params.set('type', draft.type);
    navigate('/events', params);
  };
  return (
    <form class="filters panel" aria-label="Filters" onSubmit={apply}>
      <div class="field">
        <label for="filter-provider">Provider</label>
        <select id="filter-provider" value={draft.provider} onChange={(e) => setDraft({ ...draft, provider: e.currentTarget.value })}>
          <option value="">Any</option>
          {providers.state === 'ready' &&
            providers.data.items.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.type})
              </option>
            ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-type">Type</label>
        <select id="filter-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
          <option value="">Any</option>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div class="button-row filter-buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate('/events')}>
          Clear
        </button>
      </div>
      {providers.state === 'error' && <ErrorNotice error={providers.error} retry={providers.reload} />}
    </form>
  );
}

function EventList({ session, query }: { session: Session; query: Query }) {
  const first = useResource(() => session.api.get<Page<ProviderEvent>>('/events', { ...query, limit: PAGE_SIZE }), []);
  // Events that arrived live (newest first) and older pages asked for, around the first page.
  const [live, setLive] = useState<ProviderEvent[]>([]);
  const [older, setOlder] = useState<{ items: ProviderEvent[]; nextCursor: string | null; loading: boolean; error: Error | null } | null>(null);

  const stream = useStream(session, '/events/stream', query, (frame: StreamFrame) => {
    if (frame.type !== 'event') return;
    const event = frame.data as ProviderEvent;
    setLive((shown) => (shown.some((e) => e.id === event.id) ? shown : [event, ...shown].slice(0, MAX_SHOWN)));
  });

  async function loadOlder(cursor: string) {
    setOlder((o) => ({ items: o?.items ?? [], nextCursor: cursor, loading: true, error: null }));
    try {
      const page = await session.api.get<Page<ProviderEvent>>('/events', { ...query, limit: PAGE_SIZE, cursor });
      setOlder((o) => ({ items: [...(o?.items ?? []), ...page.items], nextCursor: page.nextCursor, loading: false, error: null }));
    } catch (error) {
      setOlder((o) => ({ items: o?.items ?? [], nextCursor: cursor, loading: false, error: error instanceof Error ? error : new Error(String(error)) }));
    }
  }

  return (
    <section aria-labelledby="event-list-title">
      <div class="list-header">
        <h2 id="event-list-title">Newest first</h2>
        <StreamBadge state={stream.state} error={stream.error} />
      </div>
      <Loaded resource={first} what="events">
        {(page) => {
          const seen = new Set<string>();
          const rows = [...live, ...page.items, ...(older?.items ?? [])].filter((e) => !seen.has(e.id) && seen.add(e.id));
          const cursor = older ? older.nextCursor : page.nextCursor;
          if (rows.length === 0) return <Empty>No event matches these filters yet. New ones appear here as they are stored.</Empty>;
          return (
            <>
              <div class="table-scroll">
                <table class="event-table">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Type</th>
                      <th scope="col">VM</th>
                      <th scope="col">Status</th>
                      <th scope="col">By</th>
                      <th scope="col">Message</th>
                    </tr>
                  </thead>
                  <tbody aria-live="polite" aria-relevant="additions">
                    {rows.map((event) => (
                      <tr key={event.id} data-event-id={event.id}>
                        <td data-label="When">
                          <time dateTime={event.occurredAt}>{formatDateTime(event.occurredAt)}</time>
                        </td>
                        <td data-label="Type">
                          <span class="badge">{event.type}</span>
                        </td>
                        <td data-label="VM">{event.vmId ? <a href={href(`/vms/${event.vmId}`)}>{event.vmName ?? event.vmId}</a> : (event.vmName ?? '—')}</td>
                        <td data-label="Status">{event.status ?? '—'}</td>
                        <td data-label="By" class="wrap">{event.actor ?? '—'}</td>
                        <td data-label="Message" class="wrap">{event.message ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {older?.error && <ErrorNotice error={older.error} retry={() => cursor && loadOlder(cursor)} />}
              <nav class="pager" aria-label="Pages">
                <button type="button" disabled={!cursor || older?.loading} onClick={() => cursor && loadOlder(cursor)}>
                  {older?.loading ? 'Loading…' : cursor ? 'Older events' : 'No older events'}
                </button>
              </nav>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
