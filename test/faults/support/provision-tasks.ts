import type { DbAccess } from './invariants.js';
import type { ServiceProcess } from './service-process.js';

/** The steps of a request's (first) task as stored, read straight from the database (the API may be down). */
export async function stepsOf<S>(db: DbAccess, requestId: string): Promise<S[]> {
  const rows = await db.query<{ steps: string }>('SELECT steps FROM operations WHERE provision_request_id = $1', [requestId]);
  return rows[0] ? (JSON.parse(rows[0].steps) as S[]) : [];
}

async function requestOf<R>(svc: ServiceProcess, id: string): Promise<R> {
  return (await svc.api<R>('GET', `/api/v1/provision-requests/${id}`)).body;
}

/** The request once it has ended (a final status and its end time), else null: for waitFor. */
export async function endedRequest<R extends { status: string; finishedAt: string | null }>(svc: ServiceProcess, id: string): Promise<R | null> {
  const request = await requestOf<R>(svc, id);
  return ['succeeded', 'failed', 'canceled'].includes(request.status) && request.finishedAt !== null ? request : null;
}
