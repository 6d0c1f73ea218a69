import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig, SecretBox } from '@hybridforms/core';
import { HealthController, PrometheusController } from '@hybridforms/observability';
import { RuntimeModule } from '@hybridforms/runtime';

/**
 * A worker process: the runtime without the API's routes — it runs the jobs of every kind and
 * fires the schedules (once per cluster). Its small HTTP port serves /health and /metrics.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, secretBox: SecretBox): DynamicModule {
    return {
      module: WorkerModule,
      imports: [RuntimeModule.forRoot(config, secretBox, true)],
      controllers: [HealthController, PrometheusController],
    };
  }
}
