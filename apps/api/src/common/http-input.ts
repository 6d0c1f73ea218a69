import type { NextFunction, Request, Response } from 'express';
import { reasonOf } from './domain-exception.filter.js';

/**
 * What every request's input must be before a route sees it, whatever the route: a body is JSON
 * (415 otherwise) and well formed (400), no larger than the cap (413), not nested absurdly deep, free
 * of the keys JavaScript treats specially and of strings a database refuses (NUL, lone surrogates).
 * The routes' DTOs then check meaning; these checks keep malformed input from reaching code that
 * would answer it with a 500 (a stack overflow in class-transformer, a PostgreSQL encoding error).
 */

/** The deepest JSON a body may be: far above any DTO (provider config, extra vars allow 10). */
export const MAX_BODY_DEPTH = 32;
/** Query values are flat (`a=1&a=2` is the deepest the query parser makes). */
const MAX_QUERY_DEPTH = 3;

/** Keys that mean something to JavaScript objects: never data, refused anywhere in a body or query. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

// A lone UTF-16 surrogate (JSON may carry one as \ud800): PostgreSQL's JSON and text refuse it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Media types a body may have: JSON, or a structured +json type. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export function sendProblem(res: Response, status: number, message: string | string[]): void {
  if (res.headersSent) return;
  res.status(status).json({ statusCode: status, error: reasonOf(status), message });
}

/** 415 for a body that is not JSON (before anything reads it). Requests without a body pass. */
export function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (!hasBody(req) || isJsonMediaType(req.headers['content-type'])) return next();
  const given = req.headers['content-type'] ? `Content-Type ${JSON.stringify(req.headers['content-type'].slice(0, 100))}` : 'no Content-Type';
  // The unread body is drained so the answer reaches the client before the connection closes.
  req.resume();
  sendProblem(res, 415, `request body must be JSON (Content-Type: application/json), got ${given}`);
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
  body?: string;
  charset?: string;
}

/** Turns body-parser's failures into our error shape, with a message a client can act on. */
export function bodyParserErrors(maxBodyBytes: number) {
  return (error: BodyParserError, _req: Request, res: Response, next: NextFunction): void => {
    switch (error?.type) {
      case 'entity.too.large':
        return sendProblem(res, 413, `request body larger than ${maxBodyBytes} bytes`);
      case 'entity.parse.failed': {
        const start = (error.body ?? '').trimStart()[0];
        if (start !== undefined && start !== '{' && start !== '[') return sendProblem(res, 400, 'request body must be a JSON object');
        return sendProblem(res, 400, `malformed JSON in the request body: ${error.message}`);
      }
      case 'charset.unsupported':
        return sendProblem(res, 415, `request body charset ${JSON.stringify(String(error.charset).slice(0, 40))} is not supported: send UTF-8`);
      case 'encoding.unsupported':
        return sendProblem(res, 415, 'request body Content-Encoding is not supported: send it uncompressed (identity), gzip or deflate');
      case 'request.aborted':
      case 'request.size.invalid':
      case 'stream.encoding.set':
      case 'stream.not.readable':
        return sendProblem(res, 400, 'request body could not be read');
      default:
        if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) return sendProblem(res, error.status, error.message);
        return next(error);
    }
  };
}

/**
 * The first problem of a parsed JSON value, or null: nesting, forbidden keys, strings a database
 * refuses. Iterative, so a hostile document cannot overflow the stack.
 */
export function jsonInputProblem(value: unknown, maxDepth: number, where: string): string | null {
  const stack: { node: unknown; path: string; depth: number }[] = [{ node: value, path: where, depth: 0 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (typeof node === 'string') {
      const problem = stringProblem(node);
      if (problem) return `${path}: ${problem}`;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return `${where}: nested deeper than ${maxDepth} levels`;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(node)) {
      const keyPath = `${path}.${key.length > 40 ? `${key.slice(0, 40)}…` : key}`;
      if (FORBIDDEN_KEYS.has(key)) return `${keyPath}: the key ${key} is not allowed`;
      const problem = stringProblem(key);
      if (problem) return `${path}: a key ${problem}`;
      stack.push({ node: (node as Record<string, unknown>)[key], path: keyPath, depth: depth + 1 });
    }
  }
  return null;
}

function stringProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (a lone surrogate)';
  return null;
}

/** 400 for a body or query that fails `jsonInputProblem`; a body must be a JSON object. */
export function checkParsedInput(req: Request, res: Response, next: NextFunction): void {
  const body: unknown = req.body;
  if (body !== undefined && hasBody(req)) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return sendProblem(res, 400, 'request body must be a JSON object');
    const problem = jsonInputProblem(body, MAX_BODY_DEPTH, 'body');
    if (problem) return sendProblem(res, 400, problem);
  }
  const query: unknown = req.query;
  if (query && typeof query === 'object' && Object.keys(query).length > 0) {
    const problem = jsonInputProblem(query, MAX_QUERY_DEPTH, 'query');
    if (problem) return sendProblem(res, 400, problem);
  }
  next();
}

/** Paths no route answers (outside /api/v1 too, where Nest's own handler does not reach): our 404, not Express's HTML page. */
export function notFoundInOurShape(req: Request, res: Response): void {
  sendProblem(res, 404, `Cannot ${req.method} ${req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path}`);
}

/** Errors that reach Express itself (static files, URL decoding outside a route): our shape, never a stack trace page. */
export function lastResortErrors(log: (message: string) => void) {
  return (error: { status?: unknown; statusCode?: unknown; message?: unknown; stack?: unknown }, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const status = Number(error?.status ?? error?.statusCode);
    if (status >= 400 && status < 500) return sendProblem(res, status, String(error?.message ?? reasonOf(status)));
    log(`unhandled error: ${String(error?.stack ?? error?.message ?? error)}`);
    sendProblem(res, 500, 'internal error');
  };
}
