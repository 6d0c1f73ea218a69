import type { Page } from '../api/api-types.js';
import { ACTIVE_RUN_STATUSES, RUN_STATUSES, type PlaybookRun } from '../api/automation-types.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { Empty, Loaded } from '../components/state-views.js';
import { formatDateTime } from '../format.js';
import { href, navigate, type Route } from '../router.js';
import type { Session } from '../session.js';
import { usePolling, useResource } from '../use-resource.js';

const PAGE_SIZE = 50;
const POLL_MS = 2000;

export function RunsPage({ session, route }: { session: Session; route: Route }) {
  const status = route.params.get('status') ?? '';
  return (
    <main id="main">
      <h1>Playbook runs</h1>
      <form class="filters panel" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => navigate('/runs', new URLSearchParams(e.currentTarget.value ? { status: e.currentTarget.value } : {}))}>
            <option value="">Any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <p class="hint wide">
          To start a run, pick VMs in the <a href={href('/inventory')}>inventory</a> (or filter it) and choose “Run a playbook”.
        </p>
      </form>
      <RunTable key={status} session={session} status={status} />
    </main>
  );
}

function RunTable({ session, status }: { session: Session; status: string }) {
  const pages = useCursorPages();
  const pageIndex = pages.index;
  const page = useResource(() => session.api.get<Page<PlaybookRun>>('/playbook-runs', { status: status || undefined, limit: PAGE_SIZE, cursor: pages.cursor }), [pageIndex]);
  // Statuses move while runs are queued or running: the page is read again until none is.
  usePolling(page.reload, POLL_MS, page.state === 'ready' && page.data.items.some((run) => ACTIVE_RUN_STATUSES.includes(run.status)));
  return (
    <section aria-labelledby="run-list-title">
      <h2 id="run-list-title">Newest first</h2>
      <Loaded resource={page} what="playbook runs">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No playbook run {status ? `is ${status}` : 'yet'}.</Empty>
          ) : (
            <>
              <div class="table-scroll">
                <table class="run-table">
                  <thead>
                    <tr>
                      <th scope="col">Playbook</th>
                      <th scope="col">Status</th>
                      <th scope="col">Hosts</th>
                      <th scope="col">Skipped</th>
                      <th scope="col">Trigger</th>
                      <th scope="col">Requested</th>
                      <th scope="col">Duration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((run) => (
                      <tr key={run.id} data-run-id={run.id}>
                        <td>
                          <a href={href(`/runs/${run.id}`)}>{run.playbook}</a>
                        </td>
                        <td>
                          <span class={`badge status-${run.status}`}>{run.status}</span>
                        </td>
                        <td>{run.hosts.length}</td>
                        <td>{run.skipped.length}</td>
                        <td>{run.trigger}</td>
                        <td>{formatDateTime(run.requestedAt)}</td>
                        <td>{formatDuration(run.durationMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager pages={pages} nextCursor={data.nextCursor} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
