import { DynamicModule, Global, Module } from '@nestjs/common';
import { AccessModule } from '@hybridforms/access';
import { AutomationModule, RuleTriggerModule } from '@hybridforms/automation';
import { AppConfigModule, CoreModule, STORED_EVENTS, type AppConfig, type SecretBox } from '@hybridforms/core';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { JOB_SCHEDULES, JobQueueLifecycle, JobsModule, jobsOptionsOf } from '@hybridforms/jobs';
import { ObservabilityModule } from '@hybridforms/observability';
import { OperationsModule } from '@hybridforms/operations';
import { PersistenceModule } from '@hybridforms/persistence';
import { ProvisioningModule } from '@hybridforms/provisioning';
import { AzureProviderModule } from '@hybridforms/providers/azure';
import { HyperVProviderModule } from '@hybridforms/providers/hyperv';
import { EventStream, TelemetryModule } from '@hybridforms/telemetry';
import { JOB_SCHEDULE_TABLE } from './job-schedules.js';

/** Binds the ports of libs/core to the libraries that implement them. */
@Global()
@Module({
  imports: [TelemetryModule],
  providers: [{ provide: STORED_EVENTS, useExisting: EventStream }],
  exports: [STORED_EVENTS],
})
class PortsModule {}

/**
 * Everything a Hybridforms process runs but its routes: configuration, the database, the job
 * queue, discovery, telemetry, automation, operations, access, observability and the provider plugins. The API
 * and the worker each import it once and add only their controllers.
 */
@Module({})
export class RuntimeModule {
  /** `runsJobs`: this process runs the background jobs (embedded mode, workers); a cluster's API process only enqueues. */
  static forRoot(config: AppConfig, secretBox: SecretBox, runsJobs: boolean): DynamicModule {
    const shared = [AccessModule, InventoryDiscoveryModule, TelemetryModule, AutomationModule, OperationsModule, ProvisioningModule];
    const observability = ObservabilityModule.forRoot();
    return {
      module: RuntimeModule,
      imports: [
        AppConfigModule.forRoot(config, secretBox, runsJobs),
        CoreModule,
        PersistenceModule.forRoot({ databaseUrl: config.database.url, dataDir: config.database.dataDir }),
        JobsModule.forRoot(jobsOptionsOf(config)),
        observability,
        PortsModule,
        ...shared,
        RuleTriggerModule,
        // Provider plugins: one import each; the registry discovers them.
        AzureProviderModule,
        HyperVProviderModule,
      ],
      providers: [{ provide: JOB_SCHEDULES, useValue: JOB_SCHEDULE_TABLE }, JobQueueLifecycle],
      exports: [...shared, observability],
    };
  }
}
