import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadAppConfig } from '@hybridforms/core';
import { createWorker } from './worker.factory.js';

/** `npm run start:worker`: one worker of a cluster (REDIS_URL and DATABASE_URL required). */
async function main(): Promise<void> {
  const config = loadAppConfig();
  if (config.queue.redisUrl === null) {
    throw new ConfigError(['queue.redisUrl (REDIS_URL): a worker process serves a cluster: set REDIS_URL (and DATABASE_URL); for one process run `npm start` instead']);
  }
  const worker = await createWorker(config);
  await worker.listen(config.queue.workerPort, config.http.host);
  new Logger('Hybridforms').log(`worker ${process.pid} running jobs; /health and /metrics on port ${config.queue.workerPort}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`hybridforms worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
