import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { HybridformsMetrics } from './hybridforms.metrics.js';

/**
 * `GET /metrics` in the Prometheus text format. Deliberately without any auth decorator: the app
 * that registers it decides (the API subclasses it as a public route, the worker's small HTTP port
 * has no guard). Not in the OpenAPI document: it is for scrapers, not API clients.
 */
@ApiExcludeController()
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly metrics: HybridformsMetrics) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    const { contentType, body } = await this.metrics.exposition();
    response.setHeader('Content-Type', contentType);
    response.setHeader('Cache-Control', 'no-store');
    return body;
  }
}
