import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A request as the routers see it: path collapsed and split, query decoded. */
export interface SimIncoming {
  method: string;
  /** The path as received, without the query string. */
  rawPath: string;
  /** Decoded path segments, `//` collapsed, original casing. */
  segments: string[];
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A response built in full before it is written, so faults can alter it (truncate, replace). */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function parseIncoming(method: string, url: string, headers: IncomingHttpHeaders, body: string): SimIncoming {
  const queryStart = url.indexOf('?');
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const segments = rawPath
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1))) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { method, rawPath, segments, query, headers, body };
}

/**
 * The first value of a query parameter, its name compared case-insensitively as ARM does.
 * SDKs may append a parameter the nextLink already carries (api-version, $filter): first wins.
 */
export function queryParam(query: SimIncoming['query'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(query)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = query[key];
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...headers },
    body: JSON.stringify(body),
  };
}

/** ARM's error envelope `{"error":{"code","message"}}`. */
export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return jsonResponse(status, { error: { code, message } }, headers);
}

/** The body ARM gives a 5xx, by status. */
export function armServerError(status: number): SimResponse {
  const codes: Record<number, [string, string]> = {
    500: ['InternalServerError', 'Encountered internal server error. Please try again later.'],
    502: ['BadGateway', 'The gateway did not receive a response from the resource provider in time.'],
    503: ['ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.'],
    504: ['GatewayTimeout', 'The gateway did not receive a response from the resource provider within the specified time period.'],
  };
  const [code, message] = codes[status] ?? [status >= 500 ? 'InternalServerError' : 'BadRequest', `The request failed with status ${status}.`];
  return armError(status, code, `${message} Tracking id '${randomUUID()}'.`);
}

export function armThrottled(retryAfterSeconds: number | null): SimResponse {
  const headers: Record<string, string> = retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) };
  return armError(
    429,
    'TooManyRequests',
    'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. ' +
      'For more information, see - https://aka.ms/armthrottling',
    headers,
  );
}
