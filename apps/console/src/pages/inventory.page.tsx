import { useState } from 'preact/hooks';
import { LICENSE_MODELS, OS_FAMILIES, POWER_STATES, roleAtLeast, type Page, type Provider, type Vm } from '../api/api-types.js';
import type { RunTargets } from '../api/automation-types.js';
import type { Query } from '../api/api-client.js';
import { StartRunForm } from '../components/start-run.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { Empty, ErrorNotice, Loaded } from '../components/state-views.js';
import { formatOs } from '../format.js';
import { filtersOf, href, navigate, paramsOf, type Route } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';

/** The /vms filters the page offers, each bound to the query parameter of the same name. */
const FILTERS = ['provider', 'osFamily', 'osVersion', 'licenseModel', 'powerState', 'location', 'tag', 'q'] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Record<FilterName, string>;

const PAGE_SIZE = 50;

export function InventoryPage({ session, route }: { session: Session; route: Route }) {
  const applied = filtersOf(route.params, FILTERS);
  const key = paramsOf(applied, FILTERS).toString();
  // The form is re-created (key) when the applied filters change, e.g. by the back button.
  return (
    <main id="main">
      <h1>Inventory</h1>
      <FilterForm key={key} session={session} applied={applied} />
      <VmTable key={key} session={session} applied={applied} />
    </main>
  );
}

function FilterForm({ session, applied }: { session: Session; applied: Filters }) {
  const [draft, setDraft] = useState(applied);
  const providers = useResource(() => session.api.get<Page<Provider>>('/providers'), []);
  const set = (name: FilterName) => (event: Event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const select = (name: FilterName, label: string, options: readonly (readonly [string, string])[]) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} name={name} value={draft[name]} onChange={set(name)}>
        <option value="">Any</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
  const text = (name: FilterName, label: string, placeholder: string) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <input id={`filter-${name}`} name={name} type="search" placeholder={placeholder} value={draft[name]} onInput={set(name)} />
    </div>
  );
  const providerOptions = providers.state === 'ready' ? providers.data.items.map((p) => [p.id, `${p.name} (${p.type})`] as const) : [];
  const pairs = (values: readonly string[]) => values.map((v) => [v, v] as const);
  return (
    <form
      class="filters panel"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        navigate('/inventory', paramsOf(draft, FILTERS));
      }}
    >
      {select('provider', 'Provider', providerOptions)}
      {select('osFamily', 'OS family', pairs(OS_FAMILIES))}
      {text('osVersion', 'OS version', '9 or 9.4')}
      {select('licenseModel', 'License', pairs(LICENSE_MODELS))}
      {select('powerState', 'Power state', pairs(POWER_STATES))}
      {text('location', 'Location', 'eastus')}
      {text('tag', 'Tag', 'key or key=value')}
      {text('q', 'Search', 'name, id or IP')}
      <div class="button-row filter-buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate('/inventory')}>
          Clear
        </button>
      </div>
      {providers.state === 'error' && <ErrorNotice error={providers.error} retry={providers.reload} />}
    </form>
  );
}

function VmTable({ session, applied }: { session: Session; applied: Filters }) {
  const pages = useCursorPages();
  const pageIndex = pages.index;
  const query: Query = { ...Object.fromEntries(FILTERS.map((name) => [name, applied[name].trim() || undefined])) };
  const page = useResource(() => session.api.get<Page<Vm>>('/vms', { ...query, limit: PAGE_SIZE, cursor: pages.cursor }), [pageIndex]);
  const total = useResource(() => session.api.get<{ count: number }>('/vms/count', query), []);
  // Operators pick VMs for a playbook run; the pick holds across pages (id → name).
  const canRun = roleAtLeast(session.role, 'operator');
  const [picked, setPicked] = useState<Map<string, string>>(new Map());
  const [runOn, setRunOn] = useState<{ targets: RunTargets; label: string } | null>(null);
  const pick = (vms: Vm[], on: boolean) => {
    const next = new Map(picked);
    for (const vm of vms) {
      if (on) next.set(vm.id, vm.name);
      else next.delete(vm.id);
    }
    setPicked(next);
  };
  const count = total.state === 'ready' ? total.data.count : null;

  return (
    <section aria-labelledby="vm-list-title">
      <div class="list-header">
        <h2 id="vm-list-title">Virtual machines</h2>
        <p class="count" role="status" data-testid="vm-count">
          {total.state === 'ready' ? `${total.data.count.toLocaleString()} matching` : total.state === 'loading' ? 'Counting…' : 'Count unavailable'}
          {page.state === 'ready' && page.data.items.length > 0 && ` · showing ${(pageIndex * PAGE_SIZE + 1).toLocaleString()}–${(pageIndex * PAGE_SIZE + page.data.items.length).toLocaleString()}`}
        </p>
      </div>
      {canRun && (
        <div class="button-row run-toolbar" role="group" aria-label="Playbook runs">
          <button type="button" data-action="run-picked" disabled={picked.size === 0} onClick={() => setRunOn({ targets: { vmIds: [...picked.keys()] }, label: `${picked.size} selected VM${picked.size === 1 ? '' : 's'}` })}>
            Run a playbook on {picked.size} selected
          </button>
          <button type="button" data-action="run-matching" disabled={!count} onClick={() => setRunOn({ targets: { selector: selectorOf(applied) }, label: `every VM matching these filters (${count?.toLocaleString()} now)` })}>
            Run a playbook on all {count?.toLocaleString() ?? ''} matching
          </button>
          {picked.size > 0 && (
            <button type="button" onClick={() => setPicked(new Map())}>
              Clear selection
            </button>
          )}
        </div>
      )}
      {runOn && <StartRunForm session={session} targets={runOn.targets} targetsLabel={runOn.label} onClose={() => setRunOn(null)} />}
      <Loaded resource={page} what="virtual machines">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No virtual machine matches these filters.</Empty>
          ) : (
            <>
              <div class="table-scroll">
                <table class="vm-table">
                  <thead>
                    <tr>
                      {canRun && (
                        <th scope="col" class="select-cell">
                          <input
                            type="checkbox"
                            aria-label="Select every VM on this page"
                            checked={data.items.every((vm) => picked.has(vm.id))}
                            onChange={(e) => pick(data.items, e.currentTarget.checked)}
                          />
                        </th>
                      )}
                      <th scope="col">Name</th>
                      <th scope="col">OS</th>
                      <th scope="col">License</th>
                      <th scope="col">Power</th>
                      <th scope="col">Location</th>
                      <th scope="col">Size</th>
                      <th scope="col">IP addresses</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((vm) => (
                      <tr key={vm.id} data-vm-id={vm.id}>
                        {canRun && (
                          <td class="select-cell">
                            <input type="checkbox" aria-label={`Select ${vm.name}`} checked={picked.has(vm.id)} onChange={(e) => pick([vm], e.currentTarget.checked)} />
                          </td>
                        )}
                        <td>
                          <a href={href(`/vms/${vm.id}`)}>{vm.name}</a>
                        </td>
                        <td>{formatOs(vm)}</td>
                        <td>{vm.licenseModel ?? '—'}</td>
                        <td>
                          <span class={`badge power-${vm.powerState}`}>{vm.powerState}</span>
                        </td>
                        <td>{vm.location ?? '—'}</td>
                        <td>{vm.size ?? '—'}</td>
                        <td>{vm.ipAddresses.join(', ') || '—'}</td>
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

/** The applied filters as a run's selector (the /vms filter names; tags are a list). */
function selectorOf(filters: Filters): Record<string, string | string[]> {
  const selector: Record<string, string | string[]> = {};
  for (const name of FILTERS) {
    const value = filters[name].trim();
    if (value) selector[name] = name === 'tag' ? [value] : value;
  }
  return selector;
}
