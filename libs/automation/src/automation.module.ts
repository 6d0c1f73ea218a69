import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import {
  DiskEntity,
  HostEntity,
  ImageEntity,
  MachineCredentialEntity,
  NicEntity,
  PlaybookRunEntity,
  PlaybookRunEventEntity,
  ProviderEntity,
  VmChangeEntity,
  VmEntity,
  VmQueryRepository,
} from '@hybridforms/persistence';
import { PlaybookCatalog } from './catalog/playbook.catalog.js';
import { MachineCredentialsService } from './credentials/machine-credentials.service.js';
import { AnsibleRunner } from './runner/ansible-runner.js';
import { PlaybookRunService } from './runs/playbook-run.service.js';
import { RunEventStream } from './runs/run-event.stream.js';

/** Playbook catalog, machine credentials and playbook runs through ansible-runner. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      MachineCredentialEntity,
      PlaybookRunEntity,
      PlaybookRunEventEntity,
      ProviderEntity,
      VmEntity,
      NicEntity,
      DiskEntity,
      HostEntity,
      ImageEntity,
      VmChangeEntity,
    ]),
  ],
  providers: [
    { provide: PlaybookCatalog, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PlaybookCatalog(config.automation.playbookDirs) },
    {
      provide: AnsibleRunner,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new AnsibleRunner({ baseDir: config.automation.workDir, binary: config.automation.runnerPath, cancelGraceMs: config.automation.cancelGraceSeconds * 1000 }),
    },
    MachineCredentialsService,
    PlaybookRunService,
    RunEventStream,
    VmQueryRepository,
  ],
  exports: [PlaybookCatalog, AnsibleRunner, MachineCredentialsService, PlaybookRunService, RunEventStream],
})
export class AutomationModule {}
