import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule, CoreModule, type AppConfig, type SecretBox } from '@hybridforms/core';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { JobQueueLifecycle, JobsModule, jobsOptionsOf } from '@hybridforms/jobs';
import { ObservabilityModule, PrometheusController } from '@hybridforms/observability';
import { PersistenceModule } from '@hybridforms/persistence';
import { AzureProviderModule } from '@hybridforms/providers/azure';
import { HyperVProviderModule } from '@hybridforms/providers/hyperv';
// From the API app: its readiness probe (the same checks; the @Public mark matters to the API's
// guard only), and the automation rules fired by the events a process catches.
import { RuleTriggerModule } from '../../api/src/automation/rule-trigger.module.js';
import { HealthController } from '../../api/src/health/health.controller.js';

/**
 * A worker process: the same modules as the API's, without its routes — it runs the jobs of every
 * kind and fires the schedules (once per cluster). Its small HTTP port serves /health and /metrics.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, secretBox: SecretBox): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config, secretBox, true),
        CoreModule,
        PersistenceModule.forRoot({ databaseUrl: config.database.url, dataDir: config.database.dataDir }),
        JobsModule.forRoot(jobsOptionsOf(config)),
        ObservabilityModule.forRoot(),
        InventoryDiscoveryModule,
        AutomationModule,
        RuleTriggerModule,
        AzureProviderModule,
        HyperVProviderModule,
      ],
      controllers: [HealthController, PrometheusController],
      providers: [JobQueueLifecycle],
    };
  }
}
