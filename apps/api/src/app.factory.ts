import { Logger, ValidationPipe, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LOG_LEVELS, loadSecretBox, type AppConfig, type SecretBox } from '@hybridforms/core';
import { AppModule } from './app.module.js';
import { DomainExceptionFilter } from './common/domain-exception.filter.js';

export interface CreateAppOptions {
  /** Defaults to the key from HYBRIDFORMS_SECRET_KEY (or the development key file). */
  secretBox?: SecretBox;
  /** false silences Nest's logger (tests). */
  logger?: false;
}

/** Builds the configured HTTP application; `main` and the end-to-end tests share it. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const secretBox =
    options.secretBox ??
    loadSecretBox({
      encodedKey: process.env.HYBRIDFORMS_SECRET_KEY,
      dataDir: config.database.dataDir,
      production: config.production,
      warn: (message) => new Logger('Secrets').warn(message),
    });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, secretBox), {
    bodyParser: false,
    logger: options.logger === false ? false : levelsUpTo(config.log.level),
  });
  app.useBodyParser('json', { limit: config.http.maxBodyBytes });
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'docs'] });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }));
  app.useGlobalFilters(new DomainExceptionFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Hybridforms API')
      .setDescription('Inventory, refresh and automation of RHEL fleets on Azure and Hyper-V')
      .setVersion('1')
      .addBearerAuth()
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

function levelsUpTo(level: AppConfig['log']['level']): NestLogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) as NestLogLevel[];
}
