import { useCallback, useState } from 'preact/hooks';
import { ACTIVE_OPERATION_STATUSES, roleAtLeast } from '../api/api-types.js';
import type { OperationView } from '../api/provisioning-types.js';
import type { StreamFrame } from '../api/event-stream.js';
import { OperationSteps, ResumeButton, Time } from '../components/operation-steps.js';
import { StreamBadge } from '../components/stream-badge.js';
import { Loaded } from '../components/state-views.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { useStream } from '../use-stream.js';

export function OperationDetailPage({ session, operationId }: { session: Session; operationId: string }) {
  const loaded = useResource(() => session.api.get<OperationView>(`/operations/${operationId}`), [operationId]);
  return (
    <main id="main">
      <p class="breadcrumb">
        <a href={href('/operations')}>Operations</a> /
      </p>
      <Loaded resource={loaded} what="the operation">
        {(operation) => <OperationDetail session={session} initial={operation} />}
      </Loaded>
    </main>
  );
}

function OperationDetail({ session, initial }: { session: Session; initial: OperationView }) {
  const [operation, setOperation] = useState(initial);
  const active = ACTIVE_OPERATION_STATUSES.includes(operation.status);
  // Followed while it runs (a resume starts it again): the stream's first frame is the operation now, its last `end`.
  const stream = useStream(
    session,
    active ? `/operations/${operation.id}` : null,
    undefined,
    useCallback((frame: StreamFrame) => {
      if (frame.type === 'operation' || frame.type === 'end') setOperation(frame.data as OperationView);
    }, []),
    ['end'],
  );
  const mayResume = roleAtLeast(session.role, 'operator') && operation.status === 'failed';
  return (
    <>
      <h1>
        {operation.kind}
        {operation.action ? ` · ${operation.action}` : ''} <span class={`badge status-${operation.status}`} data-testid="operation-status">{operation.status}</span>
        {active && <StreamBadge inline state={stream.state} />}
      </h1>
      <section class="panel" aria-labelledby="operation-facts-title">
        <h2 id="operation-facts-title">What and who</h2>
        <dl class="facts">
          <dt>VM</dt>
          <dd>{operation.vmId ? <a href={href(`/vms/${operation.vmId}`)}>{operation.vmName}</a> : operation.vmName}</dd>
          <dt>Requested by</dt>
          <dd>{operation.requestedBy}</dd>
          <dt>Requested</dt>
          <dd>
            <Time iso={operation.requestedAt} />
          </dd>
          <dt>Started</dt>
          <dd>
            <Time iso={operation.startedAt} />
          </dd>
          <dt>Finished</dt>
          <dd>
            <Time iso={operation.finishedAt} />
            {operation.durationMs !== null && <span class="muted"> ({(operation.durationMs / 1000).toFixed(1)} s)</span>}
          </dd>
          {operation.provisionRequestId && (
            <>
              <dt>Provision request</dt>
              <dd>
                <a href={href(`/provision-requests/${operation.provisionRequestId}`)}>{operation.provisionRequestId}</a>
              </dd>
            </>
          )}
          {(operation.errorCode || operation.error) && (
            <>
              <dt>Error</dt>
              <dd class="error-text wrap" data-testid="operation-error">
                {operation.errorCode && <code>{operation.errorCode}</code>} {operation.error}
              </dd>
            </>
          )}
        </dl>
        {mayResume && (
          <div class="button-row actions-row">
            <ResumeButton session={session} operation={operation} onResumed={setOperation} />
            <p class="hint">Taken up again at the step that failed; what is done stays done.</p>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="operation-steps-title">
        <h2 id="operation-steps-title">Steps</h2>
        <OperationSteps steps={operation.steps} caption="Steps of the operation" />
      </section>
    </>
  );
}
