import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthController } from '@hybridforms/observability';
import { Public } from '../auth/access.decorators.js';

/** `GET /health` of the API: the library's controller, public (probes carry no token). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthEndpointController extends HealthController {}
