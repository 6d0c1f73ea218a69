import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AutomationModule } from '@hybridforms/automation';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { HealthService } from './health.service.js';
import { HybridformsMetrics } from './hybridforms.metrics.js';

export interface ObservabilityModuleOptions {
  /** Modules that export JOB_QUEUE, unless a global module provides it already. */
  imports?: ModuleMetadata['imports'];
}

/**
 * The process's metrics (HybridformsMetrics) and health checks (HealthService). Registers no
 * route: an app adds PrometheusController and HealthController, or subclasses of them carrying
 * its own access metadata, to its controllers.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions = {}): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [InventoryDiscoveryModule, AutomationModule, ...(options.imports ?? [])],
      providers: [HybridformsMetrics, HealthService],
      exports: [HybridformsMetrics, HealthService],
    };
  }
}
