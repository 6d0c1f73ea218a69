import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadAppConfig } from '@hybridforms/core';
import { createApp } from './app.factory.js';
import { prepareDemoConfig, startDemo } from './demo/demo.bootstrap.js';

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  const loaded = loadAppConfig();
  const { config, sshd } = demo ? await prepareDemoConfig(loaded) : { config: loaded, sshd: null };
  const app = await createApp(config);
  const logger = new Logger('Hybridforms');
  if (demo) await startDemo(app, sshd);
  await app.listen(config.http.port, config.http.host);
  logger.log(`API listening on http://localhost:${config.http.port}/api/v1 (OpenAPI at /docs, health at /health)`);
  if (demo) {
    logger.log(`try: curl 'localhost:${config.http.port}/api/v1/vms?osFamily=rhel'`);
    logger.log(`     curl 'localhost:${config.http.port}/api/v1/events?limit=20'   (live: curl -N localhost:${config.http.port}/api/v1/events/stream)`);
    logger.log(`     curl 'localhost:${config.http.port}/api/v1/metrics/summary?osFamily=rhel'`);
    logger.log(`     curl 'localhost:${config.http.port}/api/v1/playbook-runs'   (then /playbook-runs/<id>/events, /stdout)`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`hybridforms failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
