import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { loadConfiguredSecretBox, type AppConfig, type SecretBox } from '@hybridforms/core';
import { accessLogMiddleware, createLoggerService, REQUEST_ID_HEADER, requestIdMiddleware, requestLogContextMiddleware, type LogDestination } from '@hybridforms/observability';
import { AppModule } from './app.module.js';
import { CONSOLE_PREFIX, serveConsole } from './console/console-assets.js';
import { DeclaredInputInterceptor } from './common/declared-input.interceptor.js';
import { DomainExceptionFilter } from './common/domain-exception.filter.js';
import { bodyParserErrors, checkParsedInput, lastResortErrors, notFoundInOurShape, requireJsonBody } from './common/http-input.js';

export interface CreateAppOptions {
  /** Defaults to the key from HYBRIDFORMS_SECRET_KEY (or the development key file). */
  secretBox?: SecretBox;
  /** false silences every logger (tests). */
  logger?: false;
  /** Where the log lines go (default: stdout); tests read them. */
  logDestination?: LogDestination;
  /** Whether this process runs background jobs; default: in embedded mode only (no REDIS_URL). */
  runsJobs?: boolean;
}

/** Builds the configured HTTP application, initialised (ready to listen); `main` and the end-to-end tests share it. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  // One logger for every Nest Logger of the process, and the access log.
  const logger = options.logger === false ? null : createLoggerService({ ...config.log, destination: options.logDestination });
  const secretBox = options.secretBox ?? loadConfiguredSecretBox(config, (message) => (logger ? logger.warn(message, 'Secrets') : new Logger('Secrets').warn(message)));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, secretBox, options.runsJobs ?? config.queue.redisUrl === null), {
    bodyParser: false,
    logger: logger ?? false,
  });
  // Order matters: the request id and the access log first (every answer has both), headers, CORS
  // (answers preflights), then the body: JSON only, capped, sane.
  app.disable('x-powered-by');
  app.use(requestIdMiddleware());
  if (logger) app.use(accessLogMiddleware(logger.pino));
  app.use(securityHeaders());
  serveConsole(app);
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', REQUEST_ID_HEADER],
      exposedHeaders: ['Retry-After', REQUEST_ID_HEADER],
      credentials: false,
      maxAge: 600,
    });
  }
  app.use(requireJsonBody);
  app.useBodyParser('json', { limit: config.http.maxBodyBytes, type: ['application/json', 'application/*+json'] });
  app.use(bodyParserErrors(config.http.maxBodyBytes));
  app.use(checkParsedInput);
  app.use(requestLogContextMiddleware());
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'metrics', 'docs'] });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, transform: true, stopAtFirstError: false }));
  app.useGlobalInterceptors(new DeclaredInputInterceptor());
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
  // Initialised here so that these come after every route: what no route answered, in our shape.
  await app.init();
  app.use(notFoundInOurShape);
  app.use(lastResortErrors((message) => new Logger('HTTP').error(message)));
  return app;
}

/**
 * helmet's headers everywhere. The API answers JSON only, so its CSP forbids everything; Swagger UI
 * at /docs needs its own scripts and inline styles and data: images, nothing from elsewhere. The
 * console loads only its own files and talks only to this origin: no inline script or style at all.
 */
function securityHeaders() {
  const common = { upgradeInsecureRequests: null, formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'self'"], objectSrc: ["'none'"] };
  const api = helmet({ frameguard: { action: 'deny' }, contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], ...common } } });
  const docs = helmet({
    frameguard: { action: 'deny' },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        ...common,
      },
    },
  });
  const consolePages = helmet({
    frameguard: { action: 'deny' },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"], ...common },
    },
  });
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  return (req: Request, res: Response, next: NextFunction) => (under(req.path, '/docs') ? docs : under(req.path, CONSOLE_PREFIX) ? consolePages : api)(req, res, next);
}
