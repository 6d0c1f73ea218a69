import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import { roleAtLeast } from '../api/api-types.js';
import { ACTIVE_RUN_STATUSES, type PlaybookRun, type RunEvent } from '../api/automation-types.js';
import type { StreamFrame } from '../api/event-stream.js';
import { Empty, Loaded } from '../components/state-views.js';
import { StreamBadge } from '../components/stream-badge.js';
import { formatDateTime, formatValue } from '../format.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';
import { formatDuration } from './runs.page.js';

// Ansible colours its output; the console shows it as plain text (and never interprets it as markup).
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
// The output kept on the page; a longer run's whole output stays at GET …/stdout.
const MAX_OUTPUT_CHARS = 2_000_000;

function outputOf(chunks: Map<number, string>): string {
  const text = [...chunks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, chunk]) => chunk)
    .join('');
  return text.length > MAX_OUTPUT_CHARS ? text.slice(-MAX_OUTPUT_CHARS) : text;
}

export function RunDetailPage({ session, runId }: { session: Session; runId: string }) {
  const loaded = useResource(() => session.api.get<PlaybookRun>(`/playbook-runs/${runId}`), [runId]);
  return (
    <main id="main">
      <p class="breadcrumb">
        <a href={href('/runs')}>Playbook runs</a>
      </p>
      <Loaded resource={loaded} what="the run">
        {(run) => <RunView session={session} initial={run} />}
      </Loaded>
    </main>
  );
}

function RunView({ session, initial }: { session: Session; initial: PlaybookRun }) {
  const [run, setRun] = useState(initial);
  // Output chunks by event counter: live events can arrive out of the run's order, and a stream
  // that reconnects replays from the last id it saw.
  const chunks = useRef(new Map<number, string>());
  const [output, setOutput] = useState('');
  const [cancel, setCancel] = useState<{ asking: boolean; error: string | null }>({ asking: false, error: null });
  const active = ACTIVE_RUN_STATUSES.includes(run.status);

  // The stream replays the stored events from the start, then follows until the run ends (`end` carries the run).
  const stream = useStream(
    session,
    `/playbook-runs/${initial.id}/events`,
    undefined,
    (frame: StreamFrame) => {
      if (frame.type === 'event') {
        const event = frame.data as RunEvent;
        if (event.stdout && !chunks.current.has(event.counter)) {
          chunks.current.set(event.counter, event.stdout.replace(ANSI, '') + '\n');
          setOutput(outputOf(chunks.current));
        }
        if (event.event === 'playbook_on_start') setRun((r) => (r.status === 'queued' ? { ...r, status: 'running' } : r));
      } else if (frame.type === 'end') setRun(frame.data as PlaybookRun);
    },
    ['end'],
  );

  // New output scrolls into view unless the reader has scrolled up to read.
  const box = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    if (box.current && pinned.current) box.current.scrollTop = box.current.scrollHeight;
  }, [output]);

  async function requestCancel() {
    setCancel({ asking: true, error: null });
    try {
      setRun(await session.api.post<PlaybookRun>(`/playbook-runs/${run.id}/cancel`));
      setCancel({ asking: false, error: null });
    } catch (failure) {
      setCancel({ asking: false, error: failure instanceof ApiError ? failure.message : String(failure) });
    }
  }

  return (
    <>
      <h1>
        {run.playbook}{' '}
        <span class={`badge status-${run.status}`} data-testid="run-status">
          {run.status}
        </span>
      </h1>
      {roleAtLeast(session.role, 'operator') && active && (
        <div class="button-row">
          <button type="button" data-action="cancel-run" disabled={cancel.asking} onClick={requestCancel}>
            {cancel.asking ? 'Canceling…' : 'Cancel run'}
          </button>
        </div>
      )}
      {cancel.error && (
        <p class="state state-error" role="alert">
          {cancel.error}
        </p>
      )}
      {run.reason && <p class={run.status === 'successful' ? 'muted' : 'error-text'}>{run.reason}</p>}
      <div class="columns">
        <section class="panel" aria-labelledby="run-facts-title">
          <h2 id="run-facts-title">Run</h2>
          <dl class="facts">
            <dt>Requested</dt>
            <dd>{formatDateTime(run.requestedAt)}</dd>
            <dt>Started</dt>
            <dd>{formatDateTime(run.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDateTime(run.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(run.durationMs)}</dd>
            <dt>Trigger</dt>
            <dd>{run.trigger}</dd>
            <dt>Limit</dt>
            <dd>{run.limit ?? '—'}</dd>
            <dt>Extra vars</dt>
            <dd class="wrap">{Object.keys(run.extraVars).length ? formatValue(run.extraVars) : '—'}</dd>
            <dt>Exit code</dt>
            <dd>{run.rc ?? '—'}</dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="run-hosts-title">
          <h2 id="run-hosts-title">Hosts</h2>
          {run.hosts.length === 0 ? (
            <Empty>No host was given to Ansible.</Empty>
          ) : (
            <div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">ok</th>
                    <th scope="col">changed</th>
                    <th scope="col">failed</th>
                    <th scope="col">unreachable</th>
                  </tr>
                </thead>
                <tbody>
                  {run.hosts.map((host) => (
                    <tr key={host.vmId} data-host-vm-id={host.vmId}>
                      <td>
                        <a href={href(`/vms/${host.vmId}`)}>{host.inventoryName}</a>
                      </td>
                      <td>{host.summary?.ok ?? '—'}</td>
                      <td>{host.summary?.changed ?? '—'}</td>
                      <td>{host.summary?.failed ?? '—'}</td>
                      <td>{host.summary?.unreachable ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {run.skipped.length > 0 && (
            <>
              <h3>Left out</h3>
              <ul>
                {run.skipped.map((skip) => (
                  <li key={skip.vmId}>
                    <a href={href(`/vms/${skip.vmId}`)}>{skip.name}</a>: {skip.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
      <section class="panel" aria-labelledby="run-output-title">
        <div class="list-header">
          <h2 id="run-output-title">Output</h2>
          <StreamBadge state={stream.state} error={stream.error} />
        </div>
        {output === '' ? (
          <Empty>{active ? 'Waiting for output…' : 'This run wrote no output.'}</Empty>
        ) : (
          <pre
            class="run-output"
            ref={box}
            tabIndex={0}
            aria-label="Run output"
            data-testid="run-output"
            onScroll={(e) => {
              const el = e.currentTarget;
              pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
            }}
          >
            {output}
          </pre>
        )}
      </section>
    </>
  );
}
