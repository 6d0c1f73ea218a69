import { Logger, type INestApplication } from '@nestjs/common';
import { InProcessRefreshDispatcher, ProvidersService, RefreshService } from '@hybridforms/discovery';
import { AzureSimulator } from '@hybridforms/testing';

const DEMO_PROVIDER = 'demo-azure';

/**
 * `npm run demo`: a simulated Azure subscription served in this process over HTTPS, registered
 * as a provider through the same path an operator's would take, and a first full refresh done
 * before the API starts listening.
 */
export async function startDemo(app: INestApplication): Promise<void> {
  const logger = new Logger('Demo');
  const vmCount = Number(process.env.DEMO_VM_COUNT ?? 48);
  const simulator = await AzureSimulator.start({
    vmCount,
    subscriptionIds: ['6b1d4c3e-8f2a-4d5b-9c7e-1a2b3c4d5e6f', '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f'],
  });
  app.enableShutdownHooks();
  process.once('exit', () => void simulator.stop());
  logger.log(`demo: Azure simulator at ${simulator.url} (${simulator.subscriptionIds.length} subscriptions, ${vmCount} VMs each)`);

  await app.init();
  const providers = app.get(ProvidersService);
  const refreshes = app.get(RefreshService);
  const config = {
    tenantId: simulator.tenantId,
    clientId: simulator.clientId,
    subscriptionIds: simulator.subscriptionIds,
    resourceManagerUrl: simulator.url,
    authorityHost: simulator.url,
    // The simulator makes a new CA each start, so the provider's config follows it.
    caCertificate: simulator.caCertificate,
  };
  const credentials = { clientSecret: simulator.clientSecret };
  const existing = await providers.findByName(DEMO_PROVIDER);
  const provider = existing
    ? await providers.update(existing.id, { config, credentials })
    : await providers.create({ name: DEMO_PROVIDER, type: 'azure', config, credentials });
  const { refresh } = await refreshes.request(provider.id, { trigger: 'demo' });
  await app.get(InProcessRefreshDispatcher).idle();
  const done = await refreshes.get(refresh.id);
  logger.log(`demo: first refresh ${done.status}: ${JSON.stringify(done.progress)}`);
  logger.log(`demo: provider ${DEMO_PROVIDER} (${provider.id}) registered and refreshed`);
}
