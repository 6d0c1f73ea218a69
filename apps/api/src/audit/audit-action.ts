import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { AUDIT_ACTION } from '../auth/access.decorators.js';
import { clientAddress, requestPath, type AuthenticatedRequest } from '../auth/request-context.js';
import type { AuditRecord } from '@hybridforms/access';

/** The audit name of a route: its @Audited action, else `<controller>.<handler>`. */
export function auditActionOf(reflector: Reflector, context: ExecutionContext): { action: string; targetType: string | null } {
  const declared = reflector.get<{ action: string; target: string | null } | undefined>(AUDIT_ACTION, context.getHandler());
  if (declared) return { action: declared.action, targetType: declared.target };
  const controller = context.getClass().name.replace(/Controller$/, '');
  return { action: `${controller}.${context.getHandler().name}`, targetType: null };
}

/** What every audit record of a request says whatever its outcome: who, what, on which id, from where. */
export function auditBaseOf(reflector: Reflector, context: ExecutionContext, request: AuthenticatedRequest): Omit<AuditRecord, 'outcome' | 'statusCode'> {
  const { action, targetType } = auditActionOf(reflector, context);
  return {
    principal: request.principal ?? null,
    action,
    targetType,
    targetId: typeof request.params?.id === 'string' ? request.params.id : null,
    method: request.method,
    path: requestPath(request),
    clientIp: clientAddress(request),
  };
}
