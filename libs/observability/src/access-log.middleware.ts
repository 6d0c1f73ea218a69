import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestIdOf } from './request-id.middleware.js';

/**
 * One access line per answered request (pino-http): method, URL, status and time in the message;
 * `req` (headers redacted, see LOG_REDACT_PATHS), `res`, `responseTime` and the request id as fields.
 * Goes after requestIdMiddleware, whose id it takes; 5xx answers are logged as errors.
 */
export function accessLogMiddleware(logger: Logger): (req: Request, res: Response, next: NextFunction) => void {
  const log = pinoHttp({
    logger: logger.child({ context: 'HTTP' }),
    genReqId: (req) => req.id ?? requestIdOf(undefined),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res, time) => `${req.method} ${req.url} ${res.statusCode} ${time} ms`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    customSuccessObject: (req, _res, value: Record<string, unknown>) => ({ ...value, requestId: req.id }),
    customErrorObject: (req, _res, _error, value: Record<string, unknown>) => ({ ...value, requestId: req.id }),
  });
  return (req, res, next) => log(req, res, next);
}
