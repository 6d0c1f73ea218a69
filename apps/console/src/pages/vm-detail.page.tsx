import { useState } from 'preact/hooks';
import { roleAtLeast, type Page, type Provider, type ProviderEvent, type VmChange, type VmDetail, type VmMetrics } from '../api/api-types.js';
import { MetricChart } from '../components/metric-chart.js';
import { PowerActions } from '../components/power-actions.js';
import { StartRunForm } from '../components/start-run.js';
import { Empty, Loaded } from '../components/state-views.js';
import { formatDateTime, formatOs, formatValue } from '../format.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';

/** The chart's ranges and the series each reads: raw minutes for an hour, hourly rollups beyond (as the API keeps them). */
const RANGES = {
  hour: { label: 'Last hour', ms: 3_600_000, interval: 'raw' },
  day: { label: 'Last day', ms: 86_400_000, interval: 'hour' },
  week: { label: 'Last week', ms: 7 * 86_400_000, interval: 'hour' },
} as const;
type RangeName = keyof typeof RANGES;

export function VmDetailPage({ session, vmId }: { session: Session; vmId: string }) {
  const vm = useResource(() => session.api.get<VmDetail>(`/vms/${vmId}`), [vmId]);
  return (
    <main id="main">
      <p class="breadcrumb">
        <a href={href('/inventory')}>Inventory</a> /
      </p>
      <Loaded resource={vm} what="the virtual machine">
        {(detail) => <VmDetailView session={session} vm={detail} reload={vm.reload} />}
      </Loaded>
    </main>
  );
}

function VmDetailView({ session, vm, reload }: { session: Session; vm: VmDetail; reload: () => void }) {
  const provider = useResource(() => session.api.get<Provider>(`/providers/${vm.providerId}`), [vm.providerId]);
  const mayAct = roleAtLeast(session.role, 'operator');
  const [runForm, setRunForm] = useState(false);
  return (
    <>
      <h1>
        {vm.name} <span class={`badge power-${vm.powerState}`}>{vm.powerState}</span>
      </h1>
      {vm.archivedAt && (
        <p class="state state-empty">
          Archived {formatDateTime(vm.archivedAt)}
          {vm.archiveReason ? ` (${vm.archiveReason})` : ''}.
        </p>
      )}
      {mayAct && provider.state === 'ready' && <PowerActions session={session} vm={vm} providerType={provider.data.type} onSettled={reload} />}
      {mayAct && !vm.archivedAt && !runForm && (
        <div class="button-row run-toolbar">
          <button type="button" data-action="run-vm" onClick={() => setRunForm(true)}>
            Run a playbook on this VM
          </button>
        </div>
      )}
      {runForm && <StartRunForm session={session} targets={{ vmIds: [vm.id] }} targetsLabel={vm.name} onClose={() => setRunForm(false)} />}
      <div class="columns">
        <section class="panel" aria-labelledby="classification-title">
          <h2 id="classification-title">Classification</h2>
          <dl class="facts">
            <dt>OS</dt>
            <dd>{formatOs(vm)}</dd>
            <dt>OS name</dt>
            <dd>{vm.osName ?? '—'}</dd>
            <dt>Decided by</dt>
            <dd data-testid="os-source">{vm.osSource ?? '—'}</dd>
            <dt>License model</dt>
            <dd>{vm.licenseModel ?? '—'}</dd>
            <dt>License type</dt>
            <dd>{vm.licenseType ?? '—'}</dd>
            <dt>Guest agent</dt>
            <dd>{vm.guestAgentVersion ?? '—'}</dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="placement-title">
          <h2 id="placement-title">Placement</h2>
          <dl class="facts">
            <dt>Provider</dt>
            <dd>{provider.state === 'ready' ? `${provider.data.name} (${provider.data.type})` : '…'}</dd>
            <dt>Location</dt>
            <dd>{vm.location ?? '—'}</dd>
            <dt>Resource group</dt>
            <dd>{vm.resourceGroup ?? '—'}</dd>
            <dt>Size</dt>
            <dd>
              {vm.size ?? '—'}
              {vm.cpuCount ? ` · ${vm.cpuCount} vCPU` : ''}
              {vm.memoryMb ? ` · ${(vm.memoryMb / 1024).toFixed(1)} GiB` : ''}
            </dd>
            <dt>Host</dt>
            <dd>{vm.host ? `${vm.host.name} (${vm.host.kind})` : '—'}</dd>
            <dt>Image</dt>
            <dd>{vm.image ? [vm.image.publisher, vm.image.offer, vm.image.sku, vm.image.version].filter(Boolean).join(' / ') || vm.image.name : '—'}</dd>
            <dt>Native id</dt>
            <dd class="wrap">{vm.nativeId}</dd>
          </dl>
        </section>
      </div>
      <CpuChart session={session} vmId={vm.id} />
      <section class="panel" aria-labelledby="nics-title">
        <h2 id="nics-title">Network interfaces</h2>
        {vm.nics.length === 0 ? (
          <Empty>No network interface.</Empty>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">MAC</th>
                  <th scope="col">Private IPs</th>
                  <th scope="col">Public IPs</th>
                </tr>
              </thead>
              <tbody>
                {vm.nics.map((nic) => (
                  <tr key={nic.id}>
                    <td>
                      {nic.name}
                      {nic.primary ? ' (primary)' : ''}
                    </td>
                    <td>{nic.macAddress ?? '—'}</td>
                    <td>{nic.privateIps.join(', ') || '—'}</td>
                    <td>{nic.publicIps.join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="disks-title">
        <h2 id="disks-title">Disks</h2>
        {vm.disks.length === 0 ? (
          <Empty>No disk.</Empty>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Size</th>
                  <th scope="col">Storage</th>
                </tr>
              </thead>
              <tbody>
                {vm.disks.map((disk) => (
                  <tr key={disk.id}>
                    <td>{disk.name}</td>
                    <td>{disk.role}</td>
                    <td>{disk.sizeGb !== null ? `${disk.sizeGb} GB` : '—'}</td>
                    <td>{disk.storageType ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <div class="columns">
        <ChangeTimeline session={session} vmId={vm.id} updatedAt={vm.updatedAt} />
        <VmEvents session={session} vmId={vm.id} />
      </div>
    </>
  );
}

function CpuChart({ session, vmId }: { session: Session; vmId: string }) {
  const [range, setRange] = useState<RangeName>('hour');
  const metrics = useResource(() => {
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range].ms);
    return session.api.get<VmMetrics>(`/vms/${vmId}/metrics`, { name: 'cpu_percent', from: from.toISOString(), to: to.toISOString(), interval: RANGES[range].interval });
  }, [vmId, range]);
  return (
    <section class="panel" aria-labelledby="cpu-title">
      <div class="list-header">
        <h2 id="cpu-title">CPU</h2>
        <div class="button-row" role="group" aria-label="Time range">
          {(Object.keys(RANGES) as RangeName[]).map((name) => (
            <button key={name} type="button" aria-pressed={range === name} class={range === name ? 'selected' : ''} onClick={() => setRange(name)}>
              {RANGES[name].label}
            </button>
          ))}
        </div>
      </div>
      <Loaded resource={metrics} what="CPU samples">
        {(data) => {
          const cpu = data.series.find((s) => s.name === 'cpu_percent');
          if (!cpu || cpu.points.length === 0) return <Empty>No CPU samples in this range (a stopped VM has none).</Empty>;
          return <MetricChart series={cpu} from={new Date(data.from)} to={new Date(data.to)} label={`CPU percent, ${RANGES[range].label.toLowerCase()}`} />;
        }}
      </Loaded>
    </section>
  );
}

function ChangeTimeline({ session, vmId, updatedAt }: { session: Session; vmId: string; updatedAt: string }) {
  const changes = useResource(() => session.api.get<Page<VmChange>>(`/vms/${vmId}/changes`, { limit: 50 }), [vmId, updatedAt]);
  return (
    <section class="panel" aria-labelledby="changes-title">
      <h2 id="changes-title">Changes</h2>
      <Loaded resource={changes} what="changes">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No change recorded since the VM was first inventoried.</Empty>
          ) : (
            <ol class="timeline">
              {page.items.map((change) => (
                <li key={change.id}>
                  <time dateTime={change.changedAt}>{formatDateTime(change.changedAt)}</time>
                  <span>
                    <strong>{change.field}</strong>: {formatValue(change.from)} → {formatValue(change.to)}
                    {change.operationId && <span class="muted"> (operation)</span>}
                  </span>
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </section>
  );
}

function VmEvents({ session, vmId }: { session: Session; vmId: string }) {
  const events = useResource(() => session.api.get<Page<ProviderEvent>>(`/vms/${vmId}/events`, { limit: 20 }), [vmId]);
  return (
    <section class="panel" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <Loaded resource={events} what="events">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No event from the provider about this VM.</Empty>
          ) : (
            <ol class="timeline">
              {page.items.map((event) => (
                <li key={event.id}>
                  <time dateTime={event.occurredAt}>{formatDateTime(event.occurredAt)}</time>
                  <span>
                    <strong>{event.type}</strong>
                    {event.status ? ` (${event.status})` : ''}
                    {event.message ? `: ${event.message}` : ''}
                    {event.actor && <span class="muted"> by {event.actor}</span>}
                  </span>
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </section>
  );
}
