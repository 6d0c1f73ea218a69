import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { AUDIT_ACTION } from '../auth/access.decorators.js';

/** The audit name of a route: its @Audited action, else `<controller>.<handler>`. */
export function auditActionOf(reflector: Reflector, context: ExecutionContext): { action: string; targetType: string | null } {
  const declared = reflector.get<{ action: string; target: string | null } | undefined>(AUDIT_ACTION, context.getHandler());
  if (declared) return { action: declared.action, targetType: declared.target };
  const controller = context.getClass().name.replace(/Controller$/, '');
  return { action: `${controller}.${context.getHandler().name}`, targetType: null };
}
