import { SetMetadata } from '@nestjs/common';
import type { Role } from '@hybridforms/core';

export const PUBLIC_ROUTE = 'hybridforms:public';
export const REQUIRED_ROLE = 'hybridforms:required-role';
export const AUDIT_ACTION = 'hybridforms:audit-action';

/** No token needed (health only). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The least role a route needs. Without it, reads (GET) need `viewer` and every other method
 * `admin`: a new route that forgets this decorator is closed, not open.
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** The audit log's name for what a changing route does, e.g. `provider.create`; `target` names the kind of its `:id`. */
export const Audited = (action: string, target?: string) => SetMetadata(AUDIT_ACTION, { action, target: target ?? null });
