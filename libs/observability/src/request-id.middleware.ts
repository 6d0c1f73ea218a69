import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithLogFields } from '@hybridforms/core';

/** The header a request id is accepted from and echoed in. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

// A caller's id goes into every line of the request: a short token, nothing that could forge a line.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type WithId = Request & { id?: string };

/** The caller's X-Request-Id when it is a sane token (1–128 of A-Z a-z 0-9 . _ : -), else a new UUID. */
export function requestIdOf(header: unknown): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * First of the middleware: gives the request its id (`req.id`), echoes it in the response, and runs
 * the rest of the request in a log context carrying it.
 */
export function requestIdMiddleware() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER.toLowerCase()]);
    (req as WithId).id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    runWithLogFields({ requestId: id }, next);
  };
}

/**
 * Enters the request's log context again. The body parser calls on from the socket's stream events,
 * outside the context the first middleware opened: placed after it, this gives the rest its id back.
 */
export function requestLogContextMiddleware() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const id = (req as WithId).id;
    if (id) runWithLogFields({ requestId: id }, next);
    else next();
  };
}
