import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig, SecretBox } from '@hybridforms/core';
import { RuntimeModule } from '@hybridforms/runtime';
import { AuditHttpModule } from './audit/audit-http.module.js';
import { AccessHttpModule } from './auth/access-http.module.js';
import { AutomationRulesController } from './automation/automation-rules.controller.js';
import { MachineCredentialsController } from './automation/machine-credentials.controller.js';
import { PlaybookRunsController } from './automation/playbook-runs.controller.js';
import { PlaybooksController } from './automation/playbooks.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { HealthEndpointController } from './observability/health-endpoint.controller.js';
import { MetricsEndpointController } from './observability/metrics-endpoint.controller.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { VmsController } from './inventory/vms.controller.js';
import { OperationsController } from './operations/operations.controller.js';
import { ProvidersController } from './providers/providers.controller.js';
import { ProvisioningController } from './provisioning/provisioning.controller.js';
import { RefreshesController } from './refreshes/refreshes.controller.js';
import { EventsController } from './telemetry/events.controller.js';
import { MetricsController } from './telemetry/metrics.controller.js';

/** The API process: the runtime, the access guard and audit interceptor, and the routes. */
@Module({})
export class AppModule {
  /** `runsJobs`: this process also runs the background jobs (embedded mode); a cluster's API process only enqueues. */
  static forRoot(config: AppConfig, secretBox: SecretBox, runsJobs: boolean): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(config, secretBox, runsJobs), AccessHttpModule, AuditHttpModule],
      controllers: [
        HealthEndpointController,
        MetricsEndpointController,
        JobsController,
        ProvidersController,
        RefreshesController,
        VmsController,
        InventoryController,
        EventsController,
        MetricsController,
        PlaybooksController,
        MachineCredentialsController,
        PlaybookRunsController,
        AutomationRulesController,
        OperationsController,
        ProvisioningController,
      ],
    };
  }
}
