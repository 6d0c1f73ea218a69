import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';
import type { Page } from '../api/api-types.js';
import type { MachineCredential, Playbook, PlaybookRun, RunTargets } from '../api/automation-types.js';
import { navigate } from '../router.js';
import type { Session } from '../session.js';
import { useResource } from '../use-resource.js';
import { ErrorNotice } from './state-views.js';

/**
 * The form that starts a playbook run on `targets` (operators and admins; the caller decides
 * whether to show it). The API checks everything again; its 400 is shown as it says it.
 */
export function StartRunForm({ session, targets, targetsLabel, onClose }: { session: Session; targets: RunTargets; targetsLabel: string; onClose: () => void }) {
  const playbooks = useResource(() => session.api.get<Page<Playbook>>('/playbooks'), []);
  const credentials = useResource(() => session.api.get<Page<MachineCredential>>('/machine-credentials'), []);
  const [draft, setDraft] = useState({ playbook: '', credentialId: '', extraVars: '', limit: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setProblem(null);
    let extraVars: unknown;
    if (draft.extraVars.trim()) {
      try {
        extraVars = JSON.parse(draft.extraVars);
      } catch {
        return setProblem('Extra vars must be a JSON object, e.g. {"apply": true}.');
      }
      if (!extraVars || typeof extraVars !== 'object' || Array.isArray(extraVars)) return setProblem('Extra vars must be a JSON object, e.g. {"apply": true}.');
    }
    setSending(true);
    try {
      const run = await session.api.post<PlaybookRun>('/playbook-runs', {
        playbook: draft.playbook,
        credentialId: draft.credentialId,
        targets,
        ...(extraVars ? { extraVars } : {}),
        ...(draft.limit.trim() ? { limit: draft.limit.trim() } : {}),
      });
      navigate(`/runs/${run.id}`);
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.message : String(failure));
      setSending(false);
    }
  }

  const set = (name: keyof typeof draft) => (event: Event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  return (
    <form class="panel run-form" aria-labelledby="start-run-title" onSubmit={submit} data-testid="start-run">
      <h2 id="start-run-title" class="wide">
        Run a playbook on {targetsLabel}
      </h2>
      <div class="field">
        <label for="run-playbook">Playbook</label>
        <select id="run-playbook" required value={draft.playbook} onChange={set('playbook')}>
          <option value="">Choose…</option>
          {playbooks.state === 'ready' &&
            playbooks.data.items.map((p) => (
              <option key={p.id} value={p.id}>
                {p.description ? `${p.name}: ${p.description}` : p.name}
              </option>
            ))}
        </select>
      </div>
      <div class="field">
        <label for="run-credential">Machine credential</label>
        <select id="run-credential" required value={draft.credentialId} onChange={set('credentialId')}>
          <option value="">Choose…</option>
          {credentials.state === 'ready' &&
            credentials.data.items.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.username})
              </option>
            ))}
        </select>
      </div>
      <div class="field">
        <label for="run-limit">Limit (host pattern, optional)</label>
        <input id="run-limit" value={draft.limit} onInput={set('limit')} placeholder="rhel_9" />
      </div>
      <div class="field wide">
        <label for="run-extra-vars">Extra vars (JSON object, optional)</label>
        <textarea id="run-extra-vars" value={draft.extraVars} onInput={set('extraVars')} placeholder='{"apply": false}' />
      </div>
      {playbooks.state === 'error' && <ErrorNotice error={playbooks.error} retry={playbooks.reload} />}
      {credentials.state === 'error' && <ErrorNotice error={credentials.error} retry={credentials.reload} />}
      {credentials.state === 'ready' && credentials.data.items.length === 0 && (
        <p class="hint wide">No machine credential is stored yet: an admin adds one with POST /api/v1/machine-credentials.</p>
      )}
      {problem && (
        <p class="state state-error wide" role="alert">
          {problem}
        </p>
      )}
      <div class="button-row wide">
        <button type="submit" class="primary" disabled={sending}>
          {sending ? 'Starting…' : 'Start run'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
