import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { BadInputError, ConflictError, NotFoundError, ProviderError } from '@hybridforms/core';
import { isDatabaseUnavailable } from '@hybridforms/persistence';

/** Seconds a client is asked to wait when the database is away (a restart takes a few). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The status of a domain error, or null for one that is not (a 500). A provider that failed to
 * answer while a request waited on it is a 502 with its message (provider messages are kept free
 * of secrets: they are stored on refreshes and shown too).
 */
export function domainStatusOf(error: unknown): number | null {
  if (error instanceof BadInputError) return HttpStatus.BAD_REQUEST;
  if (error instanceof NotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof ConflictError) return HttpStatus.CONFLICT;
  if (ProviderError.is(error)) return HttpStatus.BAD_GATEWAY;
  return null;
}

/**
 * The one place domain errors become HTTP answers: `{ statusCode, error, message }`. A 500 gets
 * an error id that the log carries too, and never the internals of the failure. A database that
 * is away (restarting, connection cut, SQLite lock held) is a 503 with Retry-After, not a 500.
 */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, message] = this.translate(exception);
    const body: Record<string, unknown> = { statusCode: status, error: reasonOf(status), message };
    if (status >= 500) {
      const errorId = randomUUID();
      body.errorId = errorId;
      this.logger.error(`error ${errorId}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    }
    // A stream already under way cannot change its status: it ends (the log has the error).
    if (response.headersSent) {
      response.end();
      return;
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE && isDatabaseUnavailable(exception)) response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    // Explicitly JSON: a route may have set another type (text/plain for stdout) before it failed.
    response.status(status).type('application/json').json(body);
  }

  private translate(exception: unknown): [number, string | string[]] {
    if (exception instanceof BadInputError) return [HttpStatus.BAD_REQUEST, exception.problems.length > 1 ? exception.problems : exception.message];
    const status = domainStatusOf(exception);
    if (status !== null) return [status, (exception as Error).message];
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const message = typeof response === 'object' && response && 'message' in response ? (response as { message: string | string[] }).message : exception.message;
      return [exception.getStatus(), message];
    }
    if (isDatabaseUnavailable(exception)) return [HttpStatus.SERVICE_UNAVAILABLE, 'the database is unavailable; retry shortly'];
    return [HttpStatus.INTERNAL_SERVER_ERROR, 'internal error'];
  }
}

export function reasonOf(status: number): string {
  const names: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return names[status] ?? 'Error';
}
