import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { PlaybookCatalog } from './catalog/playbook.catalog.js';
import { MachineCredentialsService } from './credentials/machine-credentials.service.js';
import { AnsibleRunner } from './runner/ansible-runner.js';
import { runnerWorkDir } from './runner/worker-dirs.js';
import { AutomationRuleEngine } from './rules/automation-rule.engine.js';
import { AutomationRulesService } from './rules/automation-rules.service.js';
import { CancelPlaybookRun } from './runs/cancel-playbook-run.usecase.js';
import { ExecutePlaybookRun } from './runs/execute-playbook-run.usecase.js';
import { PlaybookRunQueries } from './runs/playbook-run.queries.js';
import { RunEventStream } from './runs/run-event.stream.js';
import { StartPlaybookRun } from './runs/start-playbook-run.usecase.js';

/** A playbook run's use-cases: request, execute as a job, cancel, and the API's reads. */
const RUN_USE_CASES = [StartPlaybookRun, ExecutePlaybookRun, CancelPlaybookRun, PlaybookRunQueries];

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
    ...RUN_USE_CASES,
    RunEventStream,
    AutomationRulesService,
    AutomationRuleEngine,
  ],
  exports: [PlaybookCatalog, AnsibleRunner, MachineCredentialsService, ...RUN_USE_CASES, RunEventStream, AutomationRulesService, AutomationRuleEngine],
})
export class AutomationModule {}
