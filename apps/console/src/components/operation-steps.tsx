import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import type { OperationStepView, OperationView } from '../api/provisioning-types.js';
import { formatDateTime } from '../format.js';
import type { Session } from '../session.js';

/** An operation's steps with their times and how each ended; wide, so it scrolls inside its box. */
export function OperationSteps({ steps, caption }: { steps: OperationStepView[]; caption: string }) {
  if (steps.length === 0) return <p class="muted">No step recorded yet.</p>;
  return (
    <div class="table-scroll">
      <table class="steps-table">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step, i) => (
            <tr key={`${i}-${step.name}`} data-step={step.name} data-step-status={step.status}>
              <td>{step.name}</td>
              <td class="nowrap">{step.target ? `${step.target.kind} ${step.target.name}` : '—'}</td>
              <td>
                <span class={`badge step-${step.status}`}>{step.status}</span>
              </td>
              <td>
                <Time iso={step.startedAt} />
              </td>
              <td>
                <Time iso={step.finishedAt} />
              </td>
              <td class="wrap">
                {step.errorCode && <code>{step.errorCode}</code>} {step.detail ?? (step.errorCode ? '' : '—')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Time({ iso }: { iso: string | null | undefined }) {
  return iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <span class="muted">—</span>;
}

/**
 * Resume for a failed operation (the caller offers it to operators and admins only); `onResumed`
 * gets the operation as the API answered (queued again). A refusal is shown, not thrown.
 */
export function ResumeButton({ session, operation, onResumed }: { session: Session; operation: OperationView; onResumed: (operation: OperationView) => void }) {
  const [asking, setAsking] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  async function resume() {
    setAsking(true);
    setRefused(null);
    try {
      onResumed(await session.api.post<OperationView>(`/operations/${operation.id}/resume`));
    } catch (failure) {
      setRefused(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setAsking(false);
    }
  }
  return (
    <>
      <button type="button" data-action="resume" disabled={asking} onClick={resume} aria-label={`Resume ${operation.action ?? operation.kind} of ${operation.vmName}`}>
        {asking ? 'Resuming…' : 'Resume'}
      </button>
      {refused && (
        <p class="state state-error" role="alert">
          {refused}
        </p>
      )}
    </>
  );
}
