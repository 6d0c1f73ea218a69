import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { InventoryDiscoveryModule } from '@hybridforms/discovery';
import { HybridformsMetrics } from './hybridforms.metrics.js';

export interface ObservabilityModuleOptions {
  /** Modules that export JOB_QUEUE, unless a global module provides it already. */
  imports?: ModuleMetadata['imports'];
}

/**
 * The process's metrics (HybridformsMetrics). Registers no route: an app adds PrometheusController,
 * or a subclass of it carrying its own access metadata, to its controllers.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions = {}): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [InventoryDiscoveryModule, ...(options.imports ?? [])],
      providers: [HybridformsMetrics],
      exports: [HybridformsMetrics],
    };
  }
}
