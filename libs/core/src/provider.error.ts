/** The few ways a provider can fail, whatever cloud it talks to (translated at the collector edge). */
export enum ProviderErrorCode {
  InvalidConfig = 'invalid_config',
  InvalidCredentials = 'invalid_credentials',
  Forbidden = 'forbidden',
  Unreachable = 'unreachable',
  Throttled = 'throttled',
  NotFound = 'not_found',
  /** The provider refused because of the resource's state (wrong power state, still in use). */
  Conflict = 'conflict',
  Temporary = 'temporary',
  MalformedResponse = 'malformed_response',
  Timeout = 'timeout',
  Unknown = 'unknown',
}

/**
 * A domain error raised by a provider plugin. Messages must never contain secrets: they are
 * stored on refreshes and returned by the API.
 */
export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** Retrying later may help (throttling, 5xx, network). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  static is(error: unknown): error is ProviderError {
    return error instanceof ProviderError;
  }
}
