import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { isRead, type AuthenticatedRequest } from '../auth/request-context.js';
import { domainStatusOf } from '../common/domain-exception.filter.js';
import { auditBaseOf } from './audit-action.js';
import { AuditLogService } from '@hybridforms/access';

// What of a response is worth keeping with its audit entry: names and states, never secrets
// (responses carry none; the one-time token of POST /tokens is deliberately not among these).
const DETAIL_FIELDS = ['name', 'type', 'role', 'status', 'playbook', 'trigger'] as const;

/**
 * Records every change asked of the API (any method but GET/HEAD/OPTIONS), after it has been
 * answered: who, what, on which id, from where, and whether it succeeded. Reads are not audited.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditLogService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (isRead(request.method)) return next.handle();
    const base = auditBaseOf(this.reflector, context, request);
    return next.handle().pipe(
      mergeMap((body: unknown) =>
        from(
          this.audit
            .record({
              ...base,
              targetId: base.targetId ?? idOf(body),
              outcome: 'success',
              statusCode: context.switchToHttp().getResponse<{ statusCode: number }>().statusCode,
              detail: detailOf(body),
            })
            .then(() => body),
        ),
      ),
      catchError((error: unknown) =>
        from(this.audit.record({ ...base, outcome: 'failure', statusCode: statusOf(error), message: messageOf(error) })).pipe(
          mergeMap(() => throwError(() => error)),
        ),
      ),
    );
  }
}

function idOf(body: unknown): string | null {
  const id = body && typeof body === 'object' ? (body as Record<string, unknown>).id : undefined;
  return typeof id === 'string' ? id : null;
}

function detailOf(body: unknown): Record<string, unknown> | null {
  if (!body || typeof body !== 'object') return null;
  const detail: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') detail[field] = value;
  }
  return Object.keys(detail).length > 0 ? detail : null;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  return domainStatusOf(error) ?? 500;
}

function messageOf(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : error.message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  // A 500's internals stay in the server log under its error id, not in the audit row.
  return statusOf(error) === 500 ? 'internal error' : (error as Error).message;
}
