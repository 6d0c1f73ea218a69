import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfiguredSecretBox, type AppConfig, type SecretBox } from '@hybridforms/core';
import { createLoggerService, type LogDestination } from '@hybridforms/observability';
import { WorkerModule } from './worker.module.js';

/**
 * Builds a worker process, initialised (its jobs start at once; `listen` opens its health port).
 * Signals are main's business: see `stopOnSignals`.
 */
export async function createWorker(
  config: AppConfig,
  options: { secretBox?: SecretBox; logger?: false; logDestination?: LogDestination } = {},
): Promise<NestExpressApplication> {
  // The API's logger: JSON lines (or pretty), each job's lines carrying its kind and ids.
  const logger = options.logger === false ? null : createLoggerService({ ...config.log, destination: options.logDestination });
  const secretBox = options.secretBox ?? loadConfiguredSecretBox(config, (message) => (logger ? logger.warn(message, 'Secrets') : new Logger('Secrets').warn(message)));
  const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(config, secretBox), { logger: logger ?? false });
  app.disable('x-powered-by');
  await app.init();
  return app;
}
