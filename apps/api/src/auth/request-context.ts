import type { Request } from 'express';
import type { Principal } from '@hybridforms/access';
import type { Requester } from '@hybridforms/operations';

/** What the guard learns about a request and the audit trail reads back. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

export function clientAddress(request: Request): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}

/** The path without its query string (which may carry filters, never secrets, but is noise). */
export function requestPath(request: Request): string {
  return (request.originalUrl ?? request.url).split('?')[0];
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isRead(method: string): boolean {
  return READ_METHODS.has(method.toUpperCase());
}

/** Who asked for an operation or a provision request: the token's name and id. */
export function requesterOf(request: AuthenticatedRequest): Requester {
  return { name: request.principal?.name ?? 'unknown', tokenId: request.principal?.tokenId ?? null };
}
