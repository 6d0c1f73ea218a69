import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@hybridforms/observability';
import { Public } from '../auth/access.decorators.js';

/**
 * `GET /metrics` of the API: the library's controller, public like /health (scrapers carry no
 * token; the exposition holds no secret, labels are provider names and job kinds). Served outside
 * the api/v1 prefix.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsEndpointController extends PrometheusController {}
