import { useState } from 'preact/hooks';
import type { Page, Provider } from '../api/api-types.js';
import { PROVISION_REQUEST_STATUSES, type ProvisionRequest } from '../api/provisioning-types.js';
import { Time } from '../components/operation-steps.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { Empty, ErrorNotice, Loaded } from '../components/state-views.js';
import { filtersOf, href, navigate, paramsOf, type Route } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';

const FILTERS = ['status', 'provider'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const PAGE_SIZE = 50;

export function ProvisionRequestsPage({ session, route }: { session: Session; route: Route }) {
  const applied = filtersOf(route.params, FILTERS);
  const key = paramsOf(applied, FILTERS).toString();
  const providers = useResource(() => session.api.get<Page<Provider>>('/providers'), []);
  const providerNames = new Map(providers.state === 'ready' ? providers.data.items.map((p) => [p.id, p.name] as const) : []);
  return (
    <main id="main">
      <h1>Provisioning</h1>
      <FilterForm key={key} applied={applied} providerNames={providerNames} providersError={providers.state === 'error' ? providers : null} />
      <RequestTable key={key} session={session} applied={applied} providerNames={providerNames} />
    </main>
  );
}

function FilterForm({ applied, providerNames, providersError }: { applied: Filters; providerNames: Map<string, string>; providersError: { error: Error; reload: () => void } | null }) {
  const [draft, setDraft] = useState(applied);
  const select = (name: keyof Filters, label: string, options: readonly (readonly [string, string])[]) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} name={name} value={draft[name]} onChange={(event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLSelectElement).value })}>
        <option value="">Any</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
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
        navigate('/provision-requests', paramsOf(draft, FILTERS));
      }}
    >
      {select('status', 'Status', PROVISION_REQUEST_STATUSES.map((status) => [status, status] as const))}
      {select('provider', 'Provider', [...providerNames])}
      <div class="button-row filter-buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate('/provision-requests')}>
          Clear
        </button>
      </div>
      {providersError && <ErrorNotice error={providersError.error} retry={providersError.reload} />}
    </form>
  );
}

function RequestTable({ session, applied, providerNames }: { session: Session; applied: Filters; providerNames: Map<string, string> }) {
  const pages = useCursorPages();
  const pageIndex = pages.index;
  const page = useResource(
    () => session.api.get<Page<ProvisionRequest>>('/provision-requests', { status: applied.status, provider: applied.provider, limit: PAGE_SIZE, cursor: pages.cursor }),
    [pageIndex],
  );
  return (
    <section aria-labelledby="request-list-title">
      <div class="list-header">
        <h2 id="request-list-title">Provision requests</h2>
        {page.state === 'ready' && page.data.items.length > 0 && (
          <p class="count" role="status">
            Showing {(pageIndex * PAGE_SIZE + 1).toLocaleString()}–{(pageIndex * PAGE_SIZE + page.data.items.length).toLocaleString()}, newest first
          </p>
        )}
      </div>
      <Loaded resource={page} what="provision requests">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No provision request matches these filters.</Empty>
          ) : (
            <>
              <div class="table-scroll">
                <table class="request-table">
                  <thead>
                    <tr>
                      <th scope="col">Request</th>
                      <th scope="col">Status</th>
                      <th scope="col">Requester</th>
                      <th scope="col">Provider</th>
                      <th scope="col">Source</th>
                      <th scope="col">VMs</th>
                      <th scope="col">Requested</th>
                      <th scope="col">Finished</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((request) => (
                      <tr key={request.id} data-request-id={request.id} data-status={request.status}>
                        <td>
                          <a href={href(`/provision-requests/${request.id}`)}>{namesOf(request)}</a>
                        </td>
                        <td>
                          <span class={`badge status-${request.status}`}>{request.status}</span>
                        </td>
                        <td>{request.requestedBy}</td>
                        <td>{providerNames.get(request.providerId) ?? request.providerId.slice(0, 8)}</td>
                        <td class="nowrap">{sourceName(request)}</td>
                        <td>{request.count}</td>
                        <td>
                          <Time iso={request.requestedAt} />
                        </td>
                        <td>
                          <Time iso={request.finishedAt} />
                        </td>
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

/** The first names of a request, enough to tell it apart in a list. */
export function namesOf(request: ProvisionRequest): string {
  const shown = request.names.slice(0, 3).join(', ');
  return request.names.length > 3 ? `${shown} +${request.names.length - 3}` : shown || request.id.slice(0, 8);
}

export function sourceName(request: ProvisionRequest): string {
  const { name, ref, kind } = request.source ?? {};
  return [name ?? ref ?? '—', kind ? `(${kind})` : ''].filter(Boolean).join(' ');
}
