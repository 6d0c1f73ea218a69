import { createScratchDatabase } from '../../support/postgres.js';
import { buildService, startService, type ServiceProcess } from './service-process.js';

/** Schedules out of the way: the scenario says when a refresh runs; events coalesce for a second. */
export const QUIET_SCHEDULES = {
  HYBRIDFORMS_EVENT_POLL_SECONDS: '3600',
  HYBRIDFORMS_METRIC_CAPTURE_SECONDS: '3600',
  HYBRIDFORMS_METRIC_ROLLUP_SECONDS: '3600',
  HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: '1',
};

export type Cleanup = () => Promise<unknown> | unknown;

export interface KilledServiceScenarios {
  /** Run after each test, last first (a failing one is logged, not thrown). */
  cleanups: Cleanup[];
  /** The test body, with the tail of the service's output appended to a failure's message. */
  withOutput(body: () => Promise<void>): () => Promise<void>;
  /** The service on its own scratch database (PostgreSQL) or data dir (SQLite), cleaned up after the test. */
  start(env: Record<string, string>, scratchPrefix: string): Promise<{ svc: ServiceProcess; databaseUrl: string | null }>;
}

/**
 * What the scenarios of a describe block that SIGKILLs the real service share: the build once,
 * the service started on the block's database, cleanups after each test, and its output on failure.
 */
export function killedServiceScenarios(driver: 'sqlite' | 'postgresql'): KilledServiceScenarios {
  const cleanups: Cleanup[] = [];
  let current: ServiceProcess | null = null;

  beforeAll(async () => {
    await buildService(); // the first suite of a fresh clone builds (~20 s); later ones reuse it
  }, 180_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch((error: Error) => console.warn(`cleanup: ${error.message}`));
    current = null;
  }, 60_000);

  return {
    cleanups,
    withOutput: (body) => async () => {
      try {
        await body();
      } catch (error) {
        // (Errors of node's own modules are not instances of the test realm's Error.)
        if (error && typeof error === 'object' && 'message' in error && current) {
          (error as { message: string }).message += `\n----- service output (tail) -----\n${current.output().slice(-8000)}`;
        }
        throw error;
      }
    },
    async start(env, scratchPrefix) {
      let databaseUrl: string | null = null;
      if (driver === 'postgresql') {
        const scratch = await createScratchDatabase(scratchPrefix);
        cleanups.push(() => scratch.drop());
        databaseUrl = scratch.url;
      }
      const svc = await startService({ env: { ...env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } });
      current = svc;
      cleanups.push(() => svc.cleanup());
      return { svc, databaseUrl };
    },
  };
}
