/**
 * Whether an error means the database could not be reached or dropped the connection (a restart,
 * a terminated backend, a refused connection, SQLite's lock held past its busy wait) rather than
 * that the statement itself was wrong. Such a failure is transient: the API answers 503 so a
 * client knows to retry, instead of a 500 that reads as a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_TEXT.test(message)) return true;
    // TypeORM's QueryFailedError keeps the driver's error; other wrappers use `cause`.
    current = (current as { driverError?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * PostgreSQL: 57P01 admin_shutdown (pg_terminate_backend), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (starting up), 53300 too_many_connections; class 08 is "connection exception".
 * Node's socket errors, and SQLite's busy/locked codes.
 */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

/** node-postgres reports a lost or never-made connection by message only. */
const UNAVAILABLE_TEXT = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|database is locked/i;
