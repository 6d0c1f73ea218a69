import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ACTIVE_OPERATION_STATUSES, roleAtLeast, type Page } from '../api/api-types.js';
import { OPERATION_KINDS, OPERATION_STATUSES, type OperationView } from '../api/provisioning-types.js';
import type { StreamFrame } from '../api/event-stream.js';
import { ResumeButton, Time } from '../components/operation-steps.js';
import { StreamBadge } from '../components/stream-badge.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { Empty, Loaded } from '../components/state-views.js';
import { filtersOf, href, navigate, paramsOf, type Route } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';

/** The /operations filters: status and kind as controls, vm from the link (a VM's operations). */
const FILTERS = ['status', 'kind', 'vm'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const PAGE_SIZE = 50;

export function OperationsPage({ session, route }: { session: Session; route: Route }) {
  const applied = filtersOf(route.params, FILTERS);
  const key = paramsOf(applied, FILTERS).toString();
  return (
    <main id="main">
      <h1>Operations</h1>
      <FilterForm key={key} applied={applied} />
      <OperationTable key={key} session={session} applied={applied} />
    </main>
  );
}

function FilterForm({ applied }: { applied: Filters }) {
  const [draft, setDraft] = useState(applied);
  const select = (name: 'status' | 'kind', label: string, values: readonly string[]) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} name={name} value={draft[name]} onChange={(event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLSelectElement).value })}>
        <option value="">Any</option>
        {values.map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters panel"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        navigate('/operations', paramsOf(draft, FILTERS));
      }}
    >
      {select('status', 'Status', OPERATION_STATUSES)}
      {select('kind', 'Kind', OPERATION_KINDS)}
      {applied.vm && (
        <p class="field filter-note">
          Only the operations of VM <a href={href(`/vms/${applied.vm}`)}>{applied.vm.slice(0, 8)}…</a>
        </p>
      )}
      <div class="button-row filter-buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate('/operations')}>
          Clear
        </button>
      </div>
    </form>
  );
}

function OperationTable({ session, applied }: { session: Session; applied: Filters }) {
  const pages = useCursorPages();
  const pageIndex = pages.index;
  const page = useResource(
    () => session.api.get<Page<OperationView>>('/operations', { status: applied.status, kind: applied.kind, vm: applied.vm, limit: PAGE_SIZE, cursor: pages.cursor }),
    [pageIndex],
  );
  // The rows as shown: the page as read, then each change the event stream reports merged in by id.
  // A new read of the page replaces what was merged before it.
  const data = page.state === 'ready' ? page.data : null;
  const shownPage = useRef(data);
  shownPage.current = data;
  const [merged, setMerged] = useState<{ of: Page<OperationView> | null; rows: OperationView[] }>({ of: null, rows: [] });
  const rows = data ? (merged.of === data ? merged.rows : data.items) : null;
  const merge = useCallback((changed: OperationView) => {
    setMerged((previous) => {
      const of = shownPage.current;
      if (!of) return previous;
      const base = previous.of === of ? previous.rows : of.items;
      return { of, rows: base.map((row) => (row.id === changed.id ? changed : row)) };
    });
  }, []);

  const following = (rows ?? []).some((row) => ACTIVE_OPERATION_STATUSES.includes(row.status));
  const stream = useStream(
    session,
    following ? '/events/stream' : null,
    undefined,
    useCallback(
      (frame: StreamFrame) => {
        if (frame.type === 'operation') merge(frame.data as OperationView);
      },
      [merge],
    ),
  );
  // What changed between the page's read and the stream's start is read again once it is live.
  useEffect(() => {
    if (following && stream.state === 'live') page.reload();
  }, [following && stream.state === 'live']);

  const mayResume = roleAtLeast(session.role, 'operator');
  return (
    <section aria-labelledby="operation-list-title">
      <div class="list-header">
        <h2 id="operation-list-title">
          Operations {following && <StreamBadge inline state={stream.state} />}
        </h2>
        {page.state === 'ready' && rows && rows.length > 0 && (
          <p class="count" role="status">
            Showing {(pageIndex * PAGE_SIZE + 1).toLocaleString()}–{(pageIndex * PAGE_SIZE + rows.length).toLocaleString()}, newest first
          </p>
        )}
      </div>
      <Loaded resource={page} what="operations">
        {(data) =>
          !rows || rows.length === 0 ? (
            <Empty>No operation matches these filters.</Empty>
          ) : (
            <>
              <div class="table-scroll">
                <table class="operation-table">
                  <thead>
                    <tr>
                      <th scope="col">Operation</th>
                      <th scope="col">VM</th>
                      <th scope="col">Status</th>
                      <th scope="col">Requested</th>
                      <th scope="col">Finished</th>
                      <th scope="col">Error</th>
                      {mayResume && <th scope="col">Actions</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((operation) => (
                      <tr key={operation.id} data-operation-id={operation.id} data-status={operation.status}>
                        <td>
                          <a href={href(`/operations/${operation.id}`)}>
                            {operation.kind}
                            {operation.action ? ` · ${operation.action}` : ''}
                          </a>
                          <div class="muted small">by {operation.requestedBy}</div>
                        </td>
                        <td>{operation.vmId ? <a href={href(`/vms/${operation.vmId}`)}>{operation.vmName}</a> : operation.vmName}</td>
                        <td>
                          <span class={`badge status-${operation.status}`}>{operation.status}</span>
                        </td>
                        <td>
                          <Time iso={operation.requestedAt} />
                        </td>
                        <td>
                          <Time iso={operation.finishedAt} />
                        </td>
                        <td class="wrap error-cell">
                          {operation.errorCode && <code>{operation.errorCode}</code>} {operation.error ?? (operation.errorCode ? '' : '—')}
                        </td>
                        {mayResume && <td>{operation.status === 'failed' && <ResumeButton session={session} operation={operation} onResumed={merge} />}</td>}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager pages={pages} nextCursor={data.nextCursor} labels={['Newer', 'Older']} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}
