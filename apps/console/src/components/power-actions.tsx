import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import { ACTIVE_OPERATION_STATUSES, type Operation, type VmDetail } from '../api/api-types.js';
import type { Session } from '../session.js';
import { formatDateTime } from '../format.js';
import { usePolling } from '../use-resource.js';

/** The power actions each provider type has (README, Lifecycle operations); the API refuses others with a 400. */
const ACTIONS_BY_PROVIDER_TYPE: Record<string, readonly string[]> = {
  azure: ['start', 'stop', 'deallocate', 'restart'],
  hyperv: ['start', 'stop', 'restart', 'suspend', 'resume'],
};

const ACTION_LABELS: Record<string, string> = {
  start: 'Start',
  stop: 'Stop',
  deallocate: 'Deallocate',
  restart: 'Restart',
  suspend: 'Suspend',
  resume: 'Resume',
};

/** Which actions the VM's power state allows, so the buttons that would only earn a 409 are disabled. */
function allowedNow(action: string, powerState: string): boolean {
  switch (action) {
    case 'start':
      return ['stopped', 'deallocated', 'unknown'].includes(powerState);
    case 'stop':
    case 'restart':
    case 'suspend':
      return powerState === 'running';
    case 'deallocate':
      return ['running', 'stopped'].includes(powerState);
    case 'resume':
      return powerState === 'suspended';
    default:
      return false;
  }
}

const POLL_MS = 1000;

/** The power action buttons of a VM (operators and admins only) and the progress of the operation they start. */
export function PowerActions({ session, vm, providerType, onSettled }: { session: Session; vm: VmDetail; providerType: string; onSettled: () => void }) {
  const [operation, setOperation] = useState<Operation | null>(null);
  const [followedId, setFollowedId] = useState<string | null>(vm.activeOperation?.id ?? null);
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const actions = ACTIONS_BY_PROVIDER_TYPE[providerType] ?? [];
  const running = followedId !== null && (operation === null || ACTIVE_OPERATION_STATUSES.includes(operation.status));

  usePolling(
    () => {
      if (!followedId) return;
      session.api.get<Operation>(`/operations/${followedId}`).then(
        (latest) => {
          setOperation(latest);
          if (!ACTIVE_OPERATION_STATUSES.includes(latest.status)) onSettled();
        },
        (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
      );
    },
    POLL_MS,
    running,
  );

  async function act(action: string) {
    setError(null);
    setAsking(true);
    try {
      const started = await session.api.post<Operation>(`/vms/${vm.id}/actions`, { action });
      setOperation(started);
      setFollowedId(started.id);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setAsking(false);
    }
  }

  if (actions.length === 0 || vm.archivedAt) return null;
  return (
    <section class="panel" aria-labelledby="power-actions-title">
      <h2 id="power-actions-title">Power</h2>
      <div class="button-row" role="group" aria-label="Power actions">
        {actions.map((action) => (
          <button key={action} type="button" data-action={action} disabled={asking || running || !allowedNow(action, vm.powerState)} onClick={() => act(action)}>
            {ACTION_LABELS[action] ?? action}
          </button>
        ))}
      </div>
      {providerType === 'azure' && <p class="hint">Stop powers the VM off but keeps it allocated (still billed); Deallocate stops compute billing.</p>}
      {error && (
        <p class="state state-error" role="alert">
          {error}
        </p>
      )}
      {operation && (
        <div class="operation" role="status" aria-live="polite">
          <p>
            <strong>{operation.action ?? operation.kind}</strong>: <span class={`badge status-${operation.status}`}>{operation.status}</span>
            {operation.error && <span class="operation-error"> — {operation.error}</span>}
          </p>
          <ol class="steps">
            {operation.steps.map((step) => (
              <li key={step.name}>
                {step.name}: {step.status}
                {step.finishedAt && <span class="muted"> ({formatDateTime(step.finishedAt)})</span>}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
