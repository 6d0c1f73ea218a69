import { CanActivate, ExecutionContext, ForbiddenException, HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { ApiTokenService, AuditLogService, AUTH_FAILURE_COUNTER, type AuthFailureCounter } from '@hybridforms/access';
import { roleAtLeast, type Role } from '@hybridforms/core';
import { auditBaseOf } from '../audit/audit-action.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './access.decorators.js';
import { clientAddress, isRead, type AuthenticatedRequest } from './request-context.js';

// RFC 6750 token68: what a Bearer credential may be made of; anything else is not worth a lookup.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]{16,512}=*)$/;

/**
 * The one gate of every route (registered globally, so a new controller cannot forget it): a
 * Bearer token, then the route's role. Reads need viewer, everything else admin unless the route
 * says otherwise. Refusals of changes are audited; failures are rate-limited per client address.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenService,
    private readonly audit: AuditLogService,
    @Inject(AUTH_FAILURE_COUNTER) private readonly limiter: AuthFailureCounter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const client = clientAddress(request);

    const wait = await this.limiter.retryAfterSeconds(client);
    if (wait > 0) {
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(wait));
      throw new HttpException('too many failed authentications from this address; retry later', HttpStatus.TOO_MANY_REQUESTS);
    }

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const principal = match ? await this.tokens.authenticate(match[1]) : null;
    if (!principal) {
      await this.limiter.recordFailure(client);
      await this.refuse(context, request, 401, header ? 'invalid, expired or revoked token' : 'missing bearer token');
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="hybridforms"');
      throw new UnauthorizedException(header ? 'invalid, expired or revoked token' : 'a Bearer API token is required (Authorization: Bearer <token>)');
    }
    request.principal = principal;

    const required = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (isRead(request.method) ? 'viewer' : 'admin');
    if (!roleAtLeast(principal.role, required)) {
      const message = `role ${principal.role} may not do this: it needs ${required}`;
      await this.refuse(context, request, 403, message);
      throw new ForbiddenException(message);
    }
    return true;
  }

  /** Reads refused are not worth a row each; refused changes are. */
  private async refuse(context: ExecutionContext, request: AuthenticatedRequest, statusCode: number, message: string) {
    if (isRead(request.method)) return;
    await this.audit.record({ ...auditBaseOf(this.reflector, context, request), outcome: 'denied', statusCode, message });
  }
}
