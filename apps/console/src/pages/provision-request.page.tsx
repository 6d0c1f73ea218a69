import { useCallback, useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import { roleAtLeast, type Provider } from '../api/api-types.js';
import { CANCELABLE_REQUEST_STATUSES, type OperationView, type ProvisionRequest } from '../api/provisioning-types.js';
import type { StreamFrame, StreamState } from '../api/event-stream.js';
import { OperationSteps, Time } from '../components/operation-steps.js';
import { StreamBadge } from '../components/stream-badge.js';
import { ErrorNotice, Loading } from '../components/state-views.js';
import { formatValue } from '../format.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';
import { namesOf, sourceName } from './provision-requests.page.js';

export function ProvisionRequestPage({ session, requestId }: { session: Session; requestId: string }) {
  // A stream that failed (a 404, the API gone) is opened again by a new follower.
  const [attempt, setAttempt] = useState(0);
  return (
    <main id="main">
      <p class="breadcrumb">
        <a href={href('/provision-requests')}>Provisioning</a> /
      </p>
      <RequestFollower key={attempt} session={session} requestId={requestId} retry={() => setAttempt((n) => n + 1)} />
    </main>
  );
}

function RequestFollower({ session, requestId, retry }: { session: Session; requestId: string; retry: () => void }) {
  const [view, setView] = useState<ProvisionRequest | null>(null);
  // The stream's first frame is the request now; `request` at each change, `end` once it has ended.
  const stream = useStream(
    session,
    `/provision-requests/${requestId}`,
    undefined,
    useCallback((frame: StreamFrame) => {
      if (frame.type === 'request' || frame.type === 'end') setView(frame.data as ProvisionRequest);
    }, []),
    ['end'],
  );
  if (!view) return stream.state === 'failed' && stream.error ? <ErrorNotice error={stream.error} retry={retry} /> : <Loading what="the provision request" />;
  // An action's answer is the request without its tasks: the tasks shown stay until the stream's next frame.
  const changed = (next: ProvisionRequest) => setView((previous) => ({ ...next, tasks: next.tasks ?? previous?.tasks }));
  return <RequestView session={session} request={view} streamState={stream.state} onChanged={changed} />;
}

function RequestView({ session, request, streamState, onChanged }: { session: Session; request: ProvisionRequest; streamState: StreamState; onChanged: (request: ProvisionRequest) => void }) {
  const provider = useResource(() => session.api.get<Provider>(`/providers/${request.providerId}`), [request.providerId]);
  const tasks = request.tasks ?? [];
  return (
    <>
      <h1>
        {namesOf(request)}{' '}
        <span class={`badge status-${request.status}`} data-testid="request-status">
          {request.status}
        </span>
        <StreamBadge inline state={streamState} />
      </h1>
      <RequestActions session={session} request={request} onChanged={onChanged} />
      <div class="columns">
        <section class="panel" aria-labelledby="request-what-title">
          <h2 id="request-what-title">What</h2>
          <dl class="facts">
            <dt>Provider</dt>
            <dd>{provider.state === 'ready' ? `${provider.data.name} (${provider.data.type})` : request.providerId}</dd>
            <dt>Source</dt>
            <dd class="wrap">
              {sourceName(request)}
              {request.source?.ref && request.source.ref !== request.source.name && <div class="muted small">{request.source.ref}</div>}
            </dd>
            <dt>Count</dt>
            <dd>
              {request.count} VM(s), {request.vcpus} vCPU
            </dd>
            <dt>Names</dt>
            <dd class="wrap">{request.names.join(', ')}</dd>
            <dt>Size</dt>
            <dd class="wrap">{pairsOf(request.size)}</dd>
            <dt>Placement</dt>
            <dd class="wrap">{pairsOf(request.placement)}</dd>
            {request.admin && (
              <>
                <dt>Admin user</dt>
                <dd>{request.admin.username}</dd>
              </>
            )}
            <dt>User data</dt>
            <dd class="wrap" data-testid="user-data">
              {request.userData ? `${request.userData.bytes ?? '?'} bytes, sha256 ${request.userData.sha256 ?? '?'}` : 'none'}
            </dd>
            {request.postProvision && (
              <>
                <dt>After provisioning</dt>
                <dd class="wrap">{request.postProvision.playbook}</dd>
              </>
            )}
            {request.retiresAt && (
              <>
                <dt>Retires</dt>
                <dd>
                  <Time iso={request.retiresAt} />
                </dd>
              </>
            )}
          </dl>
        </section>
        <section class="panel" aria-labelledby="request-who-title">
          <h2 id="request-who-title">Who and when</h2>
          <dl class="facts">
            <dt>Requested by</dt>
            <dd>{request.requestedBy}</dd>
            <dt>Requested</dt>
            <dd>
              <Time iso={request.requestedAt} />
            </dd>
            <dt>Decided by</dt>
            <dd data-testid="decided-by">{request.decidedBy ?? '—'}</dd>
            <dt>Decided</dt>
            <dd>
              <Time iso={request.decidedAt} />
            </dd>
            <dt>Reason</dt>
            <dd class="wrap" data-testid="request-reason">
              {request.reason ?? '—'}
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time iso={request.finishedAt} />
            </dd>
          </dl>
        </section>
      </div>
      <section aria-labelledby="request-tasks-title">
        <h2 id="request-tasks-title">Tasks</h2>
        {tasks.length === 0 ? (
          <p class="state state-empty">{request.status === 'pending_approval' ? 'No task yet: the request waits for an admin.' : ['approved', 'running'].includes(request.status) ? 'Its tasks are starting…' : 'No task: nothing was made.'}</p>
        ) : (
          tasks.map((task) => <TaskCard key={task.id} task={task} />)
        )}
      </section>
    </>
  );
}

function TaskCard({ task }: { task: OperationView }) {
  const headingId = `task-${task.id}`;
  return (
    <section class="panel task" aria-labelledby={headingId} data-task-id={task.id} data-status={task.status}>
      <div class="list-header">
        <h3 id={headingId}>
          {task.vmId ? (
            <a href={href(`/vms/${task.vmId}`)} data-testid="task-vm">
              {task.vmName}
            </a>
          ) : (
            task.vmName
          )}{' '}
          <span class={`badge status-${task.status}`}>{task.status}</span>
        </h3>
        <a href={href(`/operations/${task.id}`)} class="small">
          Task details
        </a>
      </div>
      {(task.errorCode || task.error) && (
        <p class="error-text wrap">
          {task.errorCode && <code>{task.errorCode}</code>} {task.error}
        </p>
      )}
      <OperationSteps steps={task.steps} caption={`Steps of ${task.vmName}`} />
    </section>
  );
}

/** Approve and Deny (admins, while it waits), Cancel (operators and admins, while it can still be); nothing otherwise. */
function RequestActions({ session, request, onChanged }: { session: Session; request: ProvisionRequest; onChanged: (request: ProvisionRequest) => void }) {
  const [asking, setAsking] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const mayDecide = roleAtLeast(session.role, 'admin') && request.status === 'pending_approval';
  const mayCancel = roleAtLeast(session.role, 'operator') && CANCELABLE_REQUEST_STATUSES.includes(request.status);
  if (!mayDecide && !mayCancel && !refused) return null;

  async function ask(action: 'approve' | 'deny' | 'cancel', body: object = {}) {
    setAsking(true);
    setRefused(null);
    try {
      onChanged(await session.api.post<ProvisionRequest>(`/provision-requests/${request.id}/${action}`, body));
    } catch (failure) {
      setRefused(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setAsking(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="request-actions-title">
      <h2 id="request-actions-title">Actions</h2>
      {mayDecide && (
        <form
          class="decide-form"
          aria-label="Approve or deny"
          onSubmit={(event) => {
            event.preventDefault();
            void ask('deny', { reason: reason.trim() });
          }}
        >
          <button type="button" class="primary" data-action="approve" disabled={asking} onClick={() => ask('approve')}>
            Approve
          </button>
          <div class="field deny-reason">
            <label for="deny-reason">Reason to deny (the requester reads it)</label>
            <input id="deny-reason" name="reason" type="text" maxLength={1024} required value={reason} onInput={(event) => setReason((event.currentTarget as HTMLInputElement).value)} />
          </div>
          <button type="submit" data-action="deny" disabled={asking || reason.trim() === ''}>
            Deny
          </button>
        </form>
      )}
      {mayCancel && (
        <div class="button-row actions-row">
          <button type="button" data-action="cancel" disabled={asking} onClick={() => ask('cancel')}>
            Cancel request
          </button>
          {request.status === 'running' && <p class="hint">Each task stops before its next step and deletes what it made.</p>}
        </div>
      )}
      {refused && (
        <p class="state state-error" role="alert">
          {refused}
        </p>
      )}
    </section>
  );
}

function pairsOf(value: Record<string, unknown> | null | undefined): string {
  if (!value) return '—';
  const pairs = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  return pairs.length === 0 ? '—' : pairs.map(([k, v]) => `${k}: ${formatValue(v)}`).join(' · ');
}
