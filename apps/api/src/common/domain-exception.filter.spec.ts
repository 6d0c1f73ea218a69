import { Writable } from 'node:stream';
import { Logger, type ArgumentsHost } from '@nestjs/common';
import { ProviderError, ProviderErrorCode, runWithLogFields } from '@hybridforms/core';
import { createLoggerService } from '@hybridforms/observability';
import { DomainExceptionFilter } from './domain-exception.filter.js';

describe('DomainExceptionFilter', () => {
  it("logs a 500 with its error id on a JSON line that carries the request's id", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    Logger.overrideLogger(createLoggerService({ level: 'log', format: 'json', destination }));
    let body: Record<string, unknown> = {};
    const response = {
      headersSent: false,
      setHeader: () => response,
      status: () => response,
      type: () => response,
      json: (value: Record<string, unknown>) => (body = value),
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    try {
      runWithLogFields({ requestId: 'req-500' }, () => new DomainExceptionFilter().catch(new Error('disk on fire'), host));
    } finally {
      Logger.overrideLogger(false);
    }
    expect(body).toMatchObject({ statusCode: 500, message: 'internal error', errorId: expect.any(String) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', context: 'HTTP', requestId: 'req-500', message: expect.stringContaining(`error ${body.errorId as string}: Error: disk on fire`) });
  });

  it("answers a provider's failure as 502 with the provider's message, and a plain error as 500 without its text", () => {
    const answer = (error: Error) => {
      let status = 0;
      let body: Record<string, unknown> = {};
      const response = {
        headersSent: false,
        setHeader: () => response,
        status: (value: number) => ((status = value), response),
        type: () => response,
        json: (value: Record<string, unknown>) => (body = value),
      };
      const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
      new DomainExceptionFilter().catch(error, host);
      return { status, body };
    };
    Logger.overrideLogger(createLoggerService({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) }));
    try {
      const upstream = answer(new ProviderError(ProviderErrorCode.Temporary, 'listing RHEL images in eastus: Azure answered 503', true));
      expect(upstream).toMatchObject({ status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'listing RHEL images in eastus: Azure answered 503' } });
      expect(answer(new Error('secret internals'))).toMatchObject({ status: 500, body: { message: 'internal error' } });
    } finally {
      Logger.overrideLogger(false);
    }
  });
});
