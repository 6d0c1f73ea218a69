import type { LoggerService } from '@nestjs/common';
import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Level, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { currentLogFields, maskSensitiveFields, type LogFormat, type LogLevel } from '@hybridforms/core';

/** Where log lines go (default: the process's stdout); tests pass a stream of their own. */
export type LogDestination = DestinationStream | NodeJS.WritableStream;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  destination?: LogDestination;
}

/** Our configuration's level names (Nest's) as pino's. */
const PINO_LEVEL: Record<LogLevel | 'fatal', Level> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Credentials that can reach a line as structured fields: HTTP headers of the access line
 * (pino-http's req/res) and the usual credential names at the top and one level down. Data handed
 * to a Nest logger has every value under a secret-like name masked (maskSensitiveFields); secrets
 * inside message texts are masked by their callers (redactSecrets, SecretMasker).
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...['password', 'clientSecret', 'privateKey', 'passphrase', 'token', 'credentials'].flatMap((name) => [name, `*.${name}`]),
];

/**
 * The process's one pino logger. JSON: one object a line with `level` (a name), `time` (ISO 8601),
 * `message`, `context` (the Nest logger's name), the unit of work's fields (requestId, jobKind,
 * jobId, providerId, refreshId, runId) and pino's pid/hostname. Pretty: one readable line each.
 */
export function createPinoLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const stream =
    options.format === 'pretty'
      ? PinoPretty({
          destination: destination as NodeJS.WritableStream,
          messageKey: 'message',
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,context,req,res',
          singleLine: true,
          messageFormat: (log, messageKey) => (typeof log.context === 'string' ? `[${log.context}] ${String(log[messageKey])}` : String(log[messageKey])),
        })
      : (destination as DestinationStream);
  return pino(
    {
      level: PINO_LEVEL[options.level],
      messageKey: 'message',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The caller's own fields win over the context's (an access line names its own request).
      mixin: () => ({ ...currentLogFields() }),
      redact: { paths: LOG_REDACT_PATHS, censor: '***' },
      serializers: { err: stdSerializers.err },
    },
    stream,
  );
}

/**
 * Nest's LoggerService over pino: every `new Logger(context).log(...)` of the process goes through
 * it (NestFactory.create's `logger` option). Nest passes the context last and, for errors, the
 * stack before it.
 */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params, false);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params, false);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params, false);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params, false);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  private write(level: Level, message: unknown, params: unknown[], withStack: boolean): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const fields: Record<string, unknown> = {};
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') fields.context = rest.pop();
    if (withStack && rest.length > 0 && (typeof rest[0] === 'string' || rest[0] === undefined)) {
      const stack = rest.shift();
      if (stack) fields.stack = stack;
    }
    // Data, not text: masked by name (pino's serializers only see its own req/res/err objects).
    if (rest.length > 0) fields.details = maskSensitiveFields(rest.length === 1 ? rest[0] : rest);
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') this.pino[level]({ ...fields, details: maskSensitiveFields(message) });
    else this.pino[level](fields, String(message));
  }
}

/** The logger a process hands to NestFactory.create. */
export function createLoggerService(options: LoggerOptions): PinoLoggerService {
  return new PinoLoggerService(createPinoLogger(options));
}
