import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

/**
 * Unknown input is refused everywhere, not only where a DTO whitelists it: a route that declares
 * no query DTO refuses any query parameter, and one that declares no body refuses a non-empty body
 * (an empty `{}` is allowed: some clients always send one). Read from the route's own parameter
 * decorators, so a new route is covered without doing anything.
 */
@Injectable()
export class DeclaredInputInterceptor implements NestInterceptor {
  private readonly declared = new WeakMap<object, { query: boolean; body: boolean }>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const { query, body } = this.declaredOf(context);
    const request = context.switchToHttp().getRequest<Request>();
    const problems: string[] = [];
    if (!query) for (const key of Object.keys(request.query ?? {})) problems.push(`property ${truncate(key)} should not exist (this route takes no query parameters)`);
    const content: unknown = request.body;
    if (!body && content && typeof content === 'object') {
      for (const key of Object.keys(content)) problems.push(`property ${truncate(key)} should not exist (this route takes no body)`);
    }
    if (problems.length > 0) throw new BadRequestException(problems.slice(0, 20));
    return next.handle();
  }

  private declaredOf(context: ExecutionContext): { query: boolean; body: boolean } {
    const handler = context.getHandler();
    let declared = this.declared.get(handler);
    if (!declared) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      const types = new Set(Object.keys(args).map((key) => Number(key.split(':')[0])));
      declared = { query: types.has(RouteParamtypes.QUERY), body: types.has(RouteParamtypes.BODY) };
      this.declared.set(handler, declared);
    }
    return declared;
  }
}

function truncate(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}
