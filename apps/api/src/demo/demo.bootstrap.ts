import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Logger, type INestApplication } from '@nestjs/common';
import ssh2 from 'ssh2';
import { MachineCredentialsService, StartPlaybookRun } from '@hybridforms/automation';
import type { AppConfig } from '@hybridforms/core';
import { VmQueryRepository } from '@hybridforms/persistence';
import { ProvidersService, RefreshService, TelemetryScheduler } from '@hybridforms/discovery';
import { AzureSimulator, HyperVHostSimulator, SIM_LIBRARY_PATH, startLoopbackSshd, type LoopbackSshd } from '@hybridforms/testing';
import { DemoScenario } from './demo.scenario.js';

const DEMO_AZURE = 'demo-azure';
const DEMO_HYPERV = 'demo-hyperv';
const DEMO_CREDENTIAL = 'demo-ssh';
const DEMO_RESOURCE_GROUP = 'rg-demo';
const SSHD = '/usr/sbin/sshd';

/**
 * The demo's configuration. Its SSH target is started before the app so its config can point at
 * it: simulated VMs have no real addresses, so every VM address maps to an OpenSSH server on a
 * loopback port, when the machine has one (Debian's openssh-server). Without it, runs end with the
 * hosts unreachable. Logs are readable lines unless LOG_FORMAT says otherwise. `generatedToken` is
 * the admin token the demo made, to be shown; null when the operator gave HYBRIDFORMS_ADMIN_TOKEN.
 */
export async function prepareDemoConfig(
  loaded: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: AppConfig; sshd: LoopbackSshd | null; generatedToken: string | null }> {
  // The API needs a token; the demo makes an admin one (printed at start) unless one is given.
  const generatedToken = loaded.auth.adminToken ? null : `hf_demo_${randomBytes(32).toString('base64url')}`;
  const config: AppConfig = {
    ...loaded,
    auth: { ...loaded.auth, adminToken: loaded.auth.adminToken ?? generatedToken },
    log: { ...loaded.log, format: env.LOG_FORMAT ? loaded.log.format : 'pretty' },
  };
  if (!existsSync(SSHD)) return { config, sshd: null, generatedToken };
  const sshd = await startLoopbackSshd();
  return { config: { ...config, automation: { ...config.automation, sshTarget: { host: '127.0.0.1', port: sshd.port } } }, sshd, generatedToken };
}

/**
 * `npm run demo`: a simulated Azure tenant (HTTPS) and a simulated Hyper-V host (SSH) served in
 * this process, registered as providers through the same path an operator's would take, and a
 * first full refresh of each done before the API starts listening. Their events and metrics are
 * caught once at start (then on the usual schedule), and a scenario keeps changing VMs.
 */
export async function startDemo(app: INestApplication, sshd: LoopbackSshd | null): Promise<void> {
  const logger = new Logger('Demo');
  const vmCount = Number(process.env.DEMO_VM_COUNT ?? 48);
  const simulator = await AzureSimulator.start({
    vmCount,
    subscriptionIds: ['6b1d4c3e-8f2a-4d5b-9c7e-1a2b3c4d5e6f', '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f'],
  });
  logger.log(`demo: Azure simulator at ${simulator.url} (${simulator.subscriptionIds.length} subscriptions, ${vmCount} VMs each)`);
  // Somewhere to provision into (README, "Provisioning"): a resource group with a subnet, and the
  // Cloud Access plan's terms accepted, as an operator would have them.
  const demoSubnet = simulator.addSubnet(simulator.subscriptionIds[0], DEMO_RESOURCE_GROUP, 'vnet-demo');
  simulator.setMarketplaceTerms({ publisher: 'redhat', offer: 'rhel-byos', plan: 'rhel-lvm9' }, true);
  logger.log(`demo: provision into resource group ${DEMO_RESOURCE_GROUP}, subnet ${demoSubnet}`);
  // Both simulators live as long as the process; the app's shutdown hooks end it on SIGINT/SIGTERM.
  const hyperv = await HyperVHostSimulator.start({ vmCount: Number(process.env.DEMO_HYPERV_VM_COUNT ?? 24), hostName: 'HV-DEMO01', templateVm: true });
  logger.log(`demo: Hyper-V host simulator at ssh://${hyperv.host}:${hyperv.port}`);

  await app.init();
  const providers = app.get(ProvidersService);
  const refreshes = app.get(RefreshService);
  // The simulators make new keys and certificates each start, so the providers' configs follow.
  const demoProviders = [
    {
      name: DEMO_AZURE,
      type: 'azure',
      config: {
        tenantId: simulator.tenantId,
        clientId: simulator.clientId,
        subscriptionIds: simulator.subscriptionIds,
        resourceManagerUrl: simulator.url,
        authorityHost: simulator.url,
        caCertificate: simulator.caCertificate,
        metricsEndpoint: simulator.metricsEndpointTemplate,
        // Where marketplace images are offered as provisioning sources (GET /provisioning/sources).
        locations: ['eastus', 'westeurope'],
      },
      credentials: { clientSecret: simulator.clientSecret },
    },
    {
      name: DEMO_HYPERV,
      type: 'hyperv',
      config: { username: hyperv.username, hosts: [{ host: hyperv.host, port: hyperv.port, hostKeyFingerprint: hyperv.hostKeyFingerprint, libraryPaths: [SIM_LIBRARY_PATH] }] },
      credentials: { password: hyperv.password },
    },
  ];
  for (const demo of demoProviders) {
    const existing = await providers.findByName(demo.name);
    const provider = existing
      ? await providers.update(existing.id, { config: demo.config, credentials: demo.credentials })
      : await providers.create(demo);
    const { refresh } = await refreshes.request(provider.id, { trigger: 'demo' });
    await refreshes.idle();
    const done = await refreshes.get(refresh.id);
    logger.log(`demo: provider ${demo.name} (${provider.id}) registered; first refresh ${done.status}: ${JSON.stringify(done.progress)}`);
  }
  const telemetry = app.get(TelemetryScheduler);
  await telemetry.pollEvents();
  await telemetry.captureMetrics();
  logger.log('demo: events and metrics caught once; polled every minute from now on');
  await startDemoRun(app, sshd, logger);
  const churnSeconds = Number(process.env.DEMO_CHURN_SECONDS ?? 15);
  if (churnSeconds > 0) {
    new DemoScenario(simulator, hyperv).start(churnSeconds);
    logger.log(`demo: a scenario changes a simulated VM every ${churnSeconds} s (DEMO_CHURN_SECONDS=0 turns it off)`);
  }
}

/** A machine credential for the simulated VMs, and one real run of the shipped gather-facts playbook. */
async function startDemoRun(app: INestApplication, sshd: LoopbackSshd | null, logger: Logger): Promise<void> {
  const credentials = app.get(MachineCredentialsService);
  // Without an SSH server, a key nobody accepts: the run shows the hosts unreachable in its events.
  const key = sshd?.clientPrivateKey ?? ssh2.utils.generateKeyPairSync('ed25519').private;
  const input = { name: DEMO_CREDENTIAL, username: sshd?.user ?? 'cloud-user', privateKey: key, knownHosts: sshd?.knownHostsLine ?? null };
  const existing = (await credentials.list()).find((credential) => credential.name === DEMO_CREDENTIAL);
  const credential = existing ? await credentials.update(existing.id, input) : await credentials.create(input);
  const targets = (await app.get(VmQueryRepository).select({ osFamily: ['rhel'], powerState: ['running'] })).slice(0, 3);
  try {
    const run = await app.get(StartPlaybookRun).request({
      playbook: 'playbooks/rhel/gather-facts.yml',
      targets: { vmIds: targets.map((vm) => vm.id) },
      credentialId: credential.id,
      timeoutSeconds: 300,
    });
    logger.log(
      `demo: playbook run ${run.id} (gather-facts on ${run.hosts.length} RHEL VMs) queued; ` +
        (sshd ? `their SSH target is an OpenSSH server on 127.0.0.1:${sshd.port}` : 'no OpenSSH server on this machine (apt-get install openssh-server): its hosts will be unreachable'),
    );
  } catch (error) {
    logger.warn(`demo: the playbook run could not start: ${(error as Error).message}`);
  }
}
