import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { PlaybookCatalog } from './catalog/playbook.catalog.js';
import { MachineCredentialsService } from './credentials/machine-credentials.service.js';
import { AnsibleRunner } from './runner/ansible-runner.js';
import { runnerWorkDir } from './runner/worker-dirs.js';
import { PlaybookRunService } from './runs/playbook-run.service.js';
import { AutomationRuleEngine } from './rules/automation-rule.engine.js';
import { AutomationRulesService } from './rules/automation-rules.service.js';
import { RunEventStream } from './runs/run-event.stream.js';

/** Playbook catalog, machine credentials, playbook runs through ansible-runner, and the rules that start runs on events (their repositories come from the global PersistenceModule). */
@Module({
  providers: [
    { provide: PlaybookCatalog, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PlaybookCatalog(config.automation.playbookDirs) },
    {
      provide: AnsibleRunner,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new AnsibleRunner({ baseDir: runnerWorkDir(config.automation.workDir, config.queue.redisUrl !== null), binary: config.automation.runnerPath, cancelGraceMs: config.automation.cancelGraceSeconds * 1000 }),
    },
    MachineCredentialsService,
    PlaybookRunService,
    RunEventStream,
    AutomationRulesService,
    AutomationRuleEngine,
  ],
  exports: [PlaybookCatalog, AnsibleRunner, MachineCredentialsService, PlaybookRunService, RunEventStream, AutomationRulesService, AutomationRuleEngine],
})
export class AutomationModule {}
