import { Logger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { LOG_LEVELS, loadConfiguredSecretBox, type AppConfig, type SecretBox } from '@hybridforms/core';
import { WorkerModule } from './worker.module.js';

/**
 * Builds a worker process, initialised (its jobs start at once; `listen` opens its health port).
 * Signals are main's business: see `stopOnSignals`.
 */
export async function createWorker(config: AppConfig, options: { secretBox?: SecretBox; logger?: false } = {}): Promise<NestExpressApplication> {
  const secretBox = options.secretBox ?? loadConfiguredSecretBox(config, (message) => new Logger('Secrets').warn(message));
  const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(config, secretBox), {
    logger: options.logger === false ? false : (LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.log.level) + 1) as NestLogLevel[]),
  });
  app.disable('x-powered-by');
  await app.init();
  return app;
}
