import { ApiClient } from './api/api-client.js';
import type { Whoami } from './api/api-types.js';

// sessionStorage: the token lives as long as the tab, is not sent with any request by the browser
// itself (as a cookie would be) and never appears in a URL or the history.
const TOKEN_KEY = 'hybridforms.token';

export interface Session extends Whoami {
  api: ApiClient;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Proves a token with one call (GET /whoami) and keeps it only then. */
export async function signIn(token: string, onUnauthorized: () => void): Promise<Session> {
  const api = new ApiClient(token, onUnauthorized);
  const who = await api.get<Whoami>('/whoami');
  sessionStorage.setItem(TOKEN_KEY, token);
  return { ...who, api };
}
