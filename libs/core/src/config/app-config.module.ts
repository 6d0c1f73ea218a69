import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, RUNS_JOBS, SECRET_BOX } from '../tokens.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppConfig } from './app-config.js';

/**
 * Makes the boot-time configuration, the credentials key and the process's part injectable
 * everywhere. `runsJobs`: this process runs background jobs and fires schedules (the embedded
 * process and workers); an API process of a cluster only enqueues.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, secretBox: SecretBox, runsJobs: boolean): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SECRET_BOX, useValue: secretBox },
        { provide: RUNS_JOBS, useValue: runsJobs },
      ],
      exports: [APP_CONFIG, SECRET_BOX, RUNS_JOBS],
    };
  }
}
