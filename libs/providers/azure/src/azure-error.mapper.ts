import { ProviderError, ProviderErrorCode, redactSecrets } from '@hybridforms/core';

/** Where an error happened, for a message an operator can act on. */
export interface AzureErrorContext {
  /** What was being done, e.g. `listing virtual machines`. */
  operation: string;
  subscriptionId?: string;
  /** Values that must never appear in the message (the client secret). */
  secrets?: readonly unknown[];
  /** `write` for actions and deletions: a 403 then names a role that may change things, not Reader. */
  access?: 'read' | 'write';
}

/** The fields of an SDK or identity error we read (RestError, AuthenticationError, Node system errors). */
interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errorResponse?: { error?: string; errorDescription?: string };
  cause?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH/;
const NETWORK_TEXT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up|network_error|network error/i;
const TLS_TEXT = /self[- ]signed certificate|unable to verify|certificate has expired|unable to get (local )?issuer|altnames|ERR_TLS|SSL routines/i;
const MALFORMED_TEXT = /Couldn't paginate response|Body Property .* should be|Unexpected token|is not valid JSON|Unexpected end of JSON/i;

/** Entra ID (AADSTS) errors a service principal's owner can fix, in plain words. */
const AADSTS_REASONS: Record<string, string> = {
  '7000215': 'the client secret is not valid for this application',
  '7000222': 'the client secret has expired',
  '700016': 'no application with this client id exists in the tenant',
  '700023': 'the application is not allowed in this tenant',
  '90002': 'the tenant was not found',
  '900023': 'the tenant id is not valid',
  '90072': 'the application is not registered in this tenant',
  '7000112': 'the application is disabled',
};

const MAX_DETAIL = 300;
// A refusal's or a failed operation's message is what the operator acts on; it names resources, so it runs longer.
const MAX_AZURE_REASON = 800;

// core-lro (2 and 3) turns a `Failed` status body into a plain Error with this text; the code and
// message of the body's `error` follow when it had them.
const LRO_FAILED = /^The long-running operation has failed(?:\. ([A-Za-z0-9_.]+?)\. ([\s\S]*))?$/;
// Async failure codes after which the same request may well succeed later.
const RETRYABLE_OPERATION_CODES = new Set(['AllocationFailed', 'ZonalAllocationFailed', 'InternalExecutionError', 'InternalOperationError', 'RetryableError']);

/**
 * Translates an SDK, identity or network error into a {@link ProviderError} at the collector
 * edge. The message names the operation and the subscription and never any secret; the SDK's
 * own text is kept short (it can echo a whole response body).
 */
export function toProviderError(error: unknown, context: AzureErrorContext): ProviderError {
  if (ProviderError.is(error)) return error;
  const e: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: String(error) };
  const where = `${context.operation}${context.subscriptionId ? ` in subscription ${context.subscriptionId}` : ''}`;
  const make = (code: ProviderErrorCode, reason: string, retryable: boolean) =>
    new ProviderError(code, redactSecrets(`${where} failed: ${reason}`, context.secrets ?? []), retryable);

  if (e.name === 'AbortError') return make(ProviderErrorCode.Timeout, 'canceled (the refresh timed out or was stopped)', true);

  const operationFailure = asyncOperationFailure(e);
  if (operationFailure) return make(operationFailure.code, operationFailure.reason, operationFailure.retryable);

  const identity = identityFailure(e);
  if (identity) return make(identity.code, identity.reason, identity.retryable);

  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const detail = describe(e, status);
  if (status !== undefined) {
    if (status === 401) return make(ProviderErrorCode.InvalidCredentials, `ARM did not accept the token (${detail})`, false);
    if (status === 403 && context.access === 'write') {
      return make(ProviderErrorCode.Forbidden, `the service principal may not do this (${detail}); grant it a role that may, e.g. Virtual Machine Contributor`, false);
    }
    if (status === 403) return make(ProviderErrorCode.Forbidden, `the service principal may not read this (${detail}); grant it the Reader role`, false);
    if (status === 404) {
      const what = e.code === 'SubscriptionNotFound' ? 'the subscription was not found' : 'not found';
      return make(ProviderErrorCode.NotFound, `${what} (${detail})`, false);
    }
    if (status === 429) return make(ProviderErrorCode.Throttled, `ARM throttled the requests and retries ran out (${detail})`, true);
    if (status === 408 || status === 504) return make(ProviderErrorCode.Timeout, `the request timed out (${detail})`, true);
    if (status >= 500) return make(ProviderErrorCode.Temporary, `ARM answered with a server error and retries ran out (${detail})`, true);
    if (e.code === 'PARSE_ERROR') return make(ProviderErrorCode.MalformedResponse, 'the response was not valid JSON', false);
    // A synchronous refusal (wrong state, in use, invalid): Azure's code and whole message say why.
    if ((status === 400 || status === 409) && e.code) {
      return make(status === 409 ? ProviderErrorCode.Conflict : ProviderErrorCode.Unknown, `Azure refused the request (HTTP ${status} ${e.code}: ${short(firstLine(e.message), MAX_AZURE_REASON)})`, false);
    }
  }
  if (e.code === 'PARSE_ERROR' || e.name === 'SyntaxError' || MALFORMED_TEXT.test(e.message ?? '')) {
    return make(ProviderErrorCode.MalformedResponse, `the response could not be read (${short(firstLine(e.message))})`, false);
  }
  const transport = transportFailure(e);
  if (transport) return make(transport.code, transport.reason, transport.retryable);
  // Deserializers meet a shape they did not expect (a list that is not a list, say).
  if (e.name === 'TypeError') return make(ProviderErrorCode.MalformedResponse, `the response had an unexpected shape (${short(e.message)})`, false);
  if (status !== undefined) return make(ProviderErrorCode.Unknown, `ARM refused the request (${detail})`, false);
  return make(ProviderErrorCode.Unknown, short(firstLine(e.message)) || 'unknown error', false);
}

/** A long-running operation that ended `Failed` or `Canceled` on its status URL (core-lro's errors). */
function asyncOperationFailure(e: ErrorLike): { code: ProviderErrorCode; reason: string; retryable: boolean } | null {
  if (e.name !== 'Error' || typeof e.message !== 'string') return null;
  if (e.message === 'Operation was canceled') return { code: ProviderErrorCode.Unknown, reason: 'Azure canceled the operation (status Canceled)', retryable: false };
  const match = LRO_FAILED.exec(e.message);
  if (!match) return null;
  const [, azureCode, azureMessage] = match;
  if (!azureCode) return { code: ProviderErrorCode.Unknown, reason: 'Azure reported the operation Failed without saying why', retryable: false };
  const retryable = RETRYABLE_OPERATION_CODES.has(azureCode);
  return {
    code: retryable ? ProviderErrorCode.Temporary : ProviderErrorCode.Unknown,
    reason: `Azure reported the operation Failed: ${azureCode}: ${short(azureMessage, MAX_AZURE_REASON)}`,
    retryable,
  };
}

function identityFailure(e: ErrorLike): { code: ProviderErrorCode; reason: string; retryable: boolean } | null {
  const identityNames = ['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError', 'ServerError', 'ClientAuthError'];
  if (!identityNames.includes(e.name ?? '')) return null;
  const text = `${e.errorResponse?.error ?? ''} ${e.errorResponse?.errorDescription ?? ''} ${e.message ?? ''}`;
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  if (aadsts) {
    const reason = AADSTS_REASONS[aadsts] ?? 'Entra ID refused the service principal';
    return { code: ProviderErrorCode.InvalidCredentials, reason: `${reason} (AADSTS${aadsts})`, retryable: false };
  }
  if (/endpoints_resolution_error/.test(text)) {
    // MSAL hides the cause (refused, DNS, untrusted certificate) behind this one code.
    return {
      code: ProviderErrorCode.Unreachable,
      reason: "the authority's OpenID configuration could not be read (endpoints_resolution_error); check authorityHost, the network and caCertificate",
      retryable: true,
    };
  }
  const transport = transportFailure({ ...e, message: text });
  if (transport) return { ...transport, reason: `could not reach the authority: ${transport.reason}` };
  if (typeof e.statusCode === 'number' && e.statusCode >= 500) {
    return { code: ProviderErrorCode.Temporary, reason: `the authority answered ${e.statusCode}`, retryable: true };
  }
  if (/invalid_client|unauthorized_client|invalid_request|invalid_grant/.test(text) || (e.statusCode ?? 0) >= 400) {
    return { code: ProviderErrorCode.InvalidCredentials, reason: `Entra ID refused the service principal (${short(firstLine(e.errorResponse?.error ?? e.message))})`, retryable: false };
  }
  return { code: ProviderErrorCode.InvalidCredentials, reason: `no token could be obtained (${short(firstLine(e.message))})`, retryable: false };
}

function transportFailure(e: ErrorLike): { code: ProviderErrorCode; reason: string; retryable: boolean } | null {
  const codes = [e.code, (e.cause as ErrorLike | undefined)?.code].filter((c): c is string => typeof c === 'string');
  const text = e.message ?? '';
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return { code: ProviderErrorCode.Timeout, reason: `the connection timed out (${codes.join(', ')})`, retryable: true };
  if (codes.some((c) => TLS_CODE.test(c)) || TLS_TEXT.test(text)) {
    return { code: ProviderErrorCode.Unreachable, reason: `the TLS certificate was not trusted (${codes.find((c) => TLS_CODE.test(c)) ?? short(firstLine(text))}); check caCertificate`, retryable: false };
  }
  const network = codes.find((c) => NETWORK_CODES.has(c)) ?? NETWORK_TEXT.exec(text)?.[0];
  if (network) return { code: ProviderErrorCode.Unreachable, reason: `the endpoint could not be reached (${network})`, retryable: true };
  if (e.code === 'REQUEST_SEND_ERROR') return { code: ProviderErrorCode.Unreachable, reason: `the request could not be sent (${short(firstLine(text))})`, retryable: true };
  return null;
}

function describe(e: ErrorLike, status: number | undefined): string {
  const parts = [status !== undefined ? `HTTP ${status}` : null, e.code && e.code !== String(status) ? e.code : null].filter(Boolean);
  const message = short(firstLine(e.message));
  return [parts.join(' '), message].filter(Boolean).join(': ');
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].trim();
}

function short(text: string | undefined, max = MAX_DETAIL): string {
  const t = (text ?? '').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
