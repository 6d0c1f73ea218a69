import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client.js';

/** The token is typed once here; `onSubmit` proves it with one API call before anything keeps it. */
export function LoginPage({ onSubmit, notice }: { onSubmit: (token: string) => Promise<void>; notice: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(token.trim());
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'This token was refused: it is invalid, expired or revoked.' : failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <main class="login" id="main">
      <form class="panel login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Hybridforms console</h1>
        <p>
          Sign in with an API token (<code>npm run token:create</code>, or the one the demo printed). It is kept in this tab only.
        </p>
        {notice && <p class="state state-empty">{notice}</p>}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        {error && (
          <p class="state state-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || token.trim().length === 0}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
