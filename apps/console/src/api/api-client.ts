import { openStream, type StreamHandlers } from './event-stream.js';

// The one way the console talks to the API: same origin, the Bearer token in a header (never in a
// URL or a cookie), errors in the API's { statusCode, error, message } shape turned into ApiError.

export type Query = Record<string, string | number | string[] | undefined | null>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class ApiClient {
  constructor(
    private readonly token: string,
    /** Called when the API refuses the token (revoked or expired while the page was open). */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', `${path}${queryString(query)}`);
  }

  post<T>(path: string, body: object = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** Follows a server-sent-events route with this token (api/event-stream.ts). */
  stream(path: string, query: Query | undefined, handlers: StreamHandlers): { close: () => void } {
    return openStream(this.token, path, query, handlers, this.onUnauthorized);
  }

  private async request<T>(method: string, path: string, body?: object): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'the API cannot be reached');
    }
    const payload: unknown = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.ok) return payload as T;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiError(response.status, messageOf(payload) ?? `${response.status} ${response.statusText}`);
  }
}

function messageOf(payload: unknown): string | null {
  if (!payload || typeof payload !== 'object' || !('message' in payload)) return null;
  const { message } = payload as { message: unknown };
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : null;
}
