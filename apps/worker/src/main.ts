import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { applyHeapGrowth, ConfigError, loadAppConfig } from '@hybridforms/core';
import { createWorker } from './worker.factory.js';

/** `npm run start:worker`: one worker of a cluster (REDIS_URL and DATABASE_URL required). */
async function main(): Promise<void> {
  const config = loadAppConfig();
  applyHeapGrowth(config);
  if (config.queue.redisUrl === null) {
    throw new ConfigError(['queue.redisUrl (REDIS_URL): a worker process serves a cluster: set REDIS_URL (and DATABASE_URL); for one process run `npm start` instead']);
  }
  const worker = await createWorker(config);
  await worker.listen(config.queue.workerPort, config.http.host);
  const logger = new Logger('Hybridforms');
  const address = worker.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.queue.workerPort;
  logger.log(`worker ${process.pid} running jobs; /health and /metrics on port ${port}`);
  // SIGTERM/SIGINT: stop taking jobs, let running ones finish within the grace, hand back the rest
  // (the app's shutdown hooks), then exit 0. Nest's own signal hooks would end the process by the
  // signal re-raised, which a supervisor reads as a crash.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: worker ${process.pid} stops taking jobs (grace ${config.queue.shutdownGraceSeconds} s)`);
    worker.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`worker shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`hybridforms worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
