import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { applyHeapGrowth, ConfigError, loadAppConfig } from '@hybridforms/core';
import { createApp } from './app.factory.js';
import { prepareDemoConfig, startDemo } from './demo/demo.bootstrap.js';

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  const loaded = loadAppConfig();
  applyHeapGrowth(loaded);
  const { config, sshd, generatedToken } = demo ? await prepareDemoConfig(loaded) : { config: loaded, sshd: null, generatedToken: null };
  const app = await createApp(config);
  const logger = new Logger('Hybridforms');
  if (demo) await startDemo(app, sshd);
  await app.listen(config.http.port, config.http.host);
  logger.log(`API listening on http://localhost:${config.http.port}/api/v1 (OpenAPI at /docs, health at /health)`);
  if (demo) {
    // The demo's whole point is to be tried: it shows the admin token it made itself. A token the
    // operator supplied is never printed (a real deployment never logs one).
    const base = `localhost:${config.http.port}/api/v1`;
    if (generatedToken) {
      logger.log('demo: every /api/v1 call needs a Bearer token; this run made the admin token below (set HYBRIDFORMS_ADMIN_TOKEN to choose your own)');
      logger.log(`try: export HF_TOKEN=${generatedToken}`);
    } else {
      logger.log('demo: every /api/v1 call needs a Bearer token; this run uses the one in HYBRIDFORMS_ADMIN_TOKEN (not printed)');
      logger.log('try: export HF_TOKEN="$HYBRIDFORMS_ADMIN_TOKEN"');
    }
    logger.log(`     curl -H "Authorization: Bearer $HF_TOKEN" '${base}/vms?osFamily=rhel'`);
    logger.log(`     curl -H "Authorization: Bearer $HF_TOKEN" '${base}/events?limit=20'   (live: curl -N -H "Authorization: Bearer $HF_TOKEN" ${base}/events/stream)`);
    logger.log(`     curl -H "Authorization: Bearer $HF_TOKEN" '${base}/metrics/summary?osFamily=rhel'`);
    logger.log(`     curl -H "Authorization: Bearer $HF_TOKEN" '${base}/playbook-runs'   (then /playbook-runs/<id>/events, /stdout)`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`hybridforms failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
