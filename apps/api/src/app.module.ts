import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule, CoreModule, type AppConfig, type SecretBox } from '@hybridforms/core';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { JobQueueLifecycle, JobsModule, jobsOptionsOf } from '@hybridforms/jobs';
import { ObservabilityModule } from '@hybridforms/observability';
import { PersistenceModule } from '@hybridforms/persistence';
import { AzureProviderModule } from '@hybridforms/providers/azure';
import { HyperVProviderModule } from '@hybridforms/providers/hyperv';
import { AuditModule } from './audit/audit.module.js';
import { AccessModule } from './auth/access.module.js';
import { AutomationRulesController } from './automation/automation-rules.controller.js';
import { MachineCredentialsController } from './automation/machine-credentials.controller.js';
import { PlaybookRunsController } from './automation/playbook-runs.controller.js';
import { PlaybooksController } from './automation/playbooks.controller.js';
import { RuleTriggerModule } from './automation/rule-trigger.module.js';
import { HealthController } from './health/health.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { MetricsEndpointController } from './observability/metrics-endpoint.controller.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { VmsController } from './inventory/vms.controller.js';
import { ProvidersController } from './providers/providers.controller.js';
import { RefreshesController } from './refreshes/refreshes.controller.js';
import { EventsController } from './telemetry/events.controller.js';
import { MetricsController } from './telemetry/metrics.controller.js';

@Module({})
export class AppModule {
  /** `runsJobs`: this process also runs the background jobs (embedded mode); a cluster's API process only enqueues. */
  static forRoot(config: AppConfig, secretBox: SecretBox, runsJobs: boolean): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config, secretBox, runsJobs),
        CoreModule,
        PersistenceModule.forRoot({ databaseUrl: config.database.url, dataDir: config.database.dataDir }),
        JobsModule.forRoot(jobsOptionsOf(config)),
        ObservabilityModule.forRoot(),
        AccessModule,
        AuditModule,
        InventoryDiscoveryModule,
        AutomationModule,
        RuleTriggerModule,
        // Provider plugins: one import each; the registry discovers them.
        AzureProviderModule,
        HyperVProviderModule,
      ],
      controllers: [HealthController, MetricsEndpointController, JobsController, ProvidersController, RefreshesController, VmsController, InventoryController, EventsController, MetricsController, PlaybooksController, MachineCredentialsController, PlaybookRunsController, AutomationRulesController],
      providers: [JobQueueLifecycle],
    };
  }
}
