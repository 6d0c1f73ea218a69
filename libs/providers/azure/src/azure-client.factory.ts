import { rootCertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { MonitorClient } from '@azure/arm-monitor';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import { MetricsClient } from '@azure/monitor-query-metrics';
import { ArmThrottlingPolicy } from './arm-throttling.policy.js';
import { AZURE_PUBLIC_AUTHORITY, metricsEndpointFor, type ResolvedAzureConfig } from './azure-provider.config.js';

/** The SDK operation groups the collector uses, for one subscription. */
export interface AzureSubscriptionClients {
  subscriptionId: string;
  compute: Pick<ComputeManagementClient, 'virtualMachines' | 'disks' | 'virtualMachineSizes'>;
  network: Pick<NetworkManagementClient, 'networkInterfaces' | 'publicIPAddresses'>;
  resources: Pick<ResourceManagementClient, 'resourceGroups'>;
}

/**
 * The whole compute and network clients of a subscription, for the lifecycle duties: restoring a
 * poller needs the client itself (arm-compute's `restorePoller`), not only its operation groups.
 */
export interface AzureLifecycleClients {
  subscriptionId: string;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  /** The resource groups a request places VMs in (checked before anything is made). */
  resources: Pick<ResourceManagementClient, 'resourceGroups'>;
}

/** The Activity Log operations of a subscription (arm-monitor 7). */
export type AzureActivityLogClient = Pick<MonitorClient, 'activityLogs'>;
/** A metrics data-plane client of one region (monitor-query-metrics, metrics:getBatch). */
export type AzureMetricsClient = Pick<MetricsClient, 'queryResources'>;

/**
 * What the collector needs from the SDK: a token, and the clients of a subscription. The event
 * catcher and the metrics capture also need the Azure Monitor clients (optional for fakes that
 * only serve the inventory).
 */
export interface AzureClientSource {
  getToken(signal?: AbortSignal): Promise<AccessToken>;
  forSubscription(subscriptionId: string): AzureSubscriptionClients;
  activityLogFor?(subscriptionId: string): AzureActivityLogClient;
  metricsFor?(location: string): AzureMetricsClient;
  /** Absent = the source can only read (the plugin then refuses to act). */
  lifecycleFor?(subscriptionId: string): AzureLifecycleClients;
}

/** Token scope of the metrics data plane (monitor-query-metrics would otherwise ask for an ARM token). */
export const METRICS_SCOPE = 'https://metrics.monitor.azure.com/.default';

// Authorities of Microsoft's clouds: MSAL's instance discovery knows them, and only them.
const MICROSOFT_AUTHORITIES = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

// Token audience per ARM endpoint. A private endpoint (a proxy, the simulator) fronts the
// public cloud's ARM, so its tokens are for management.azure.com like arm-compute's default.
const ARM_AUDIENCES: Record<string, string> = {
  'management.azure.com': 'https://management.azure.com/.default',
  'management.usgovcloudapi.net': 'https://management.usgovcloudapi.net/.default',
  'management.chinacloudapi.cn': 'https://management.chinacloudapi.cn/.default',
};

/**
 * Builds the credential and the ARM clients of a provider: one ClientSecretCredential (its token
 * cache shared by every client), and per subscription one compute, network and resources client
 * sharing one {@link ArmThrottlingPolicy}, so that pacing sees the subscription's whole traffic.
 */
export class AzureClientFactory implements AzureClientSource {
  readonly credential: TokenCredential;
  readonly scope: string;
  private readonly tlsOptions: { ca: string[] } | undefined;
  private readonly policies = new Map<string, ArmThrottlingPolicy>();
  private readonly lifecycleClients = new Map<string, AzureLifecycleClients>();

  constructor(
    private readonly config: ResolvedAzureConfig,
    clientSecret: string,
  ) {
    // The extra CA is added to Node's roots, not put in their place: an operator's corporate CA
    // must not stop the public cloud's certificates from being trusted.
    this.tlsOptions = config.caCertificate ? { ca: [...rootCertificates, config.caCertificate] } : undefined;
    this.scope = ARM_AUDIENCES[new URL(config.resourceManagerUrl).host.toLowerCase()] ?? ARM_AUDIENCES['management.azure.com'];
    this.credential = new ClientSecretCredential(config.tenantId, config.clientId, clientSecret, credentialOptions(config, this.tlsOptions));
  }

  /** Gets (and caches in the credential) the ARM token every client will use. */
  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    // enableCae as the SDK's bearer policy asks: MSAL keeps CAE tokens in a cache of their own.
    const token = await this.credential.getToken([this.scope], { abortSignal: signal, enableCae: true });
    if (!token) throw new Error('the authority returned no access token');
    return token;
  }

  /** The throttling policy of a subscription (created on first use). */
  throttlingPolicy(subscriptionId: string): ArmThrottlingPolicy {
    let policy = this.policies.get(subscriptionId);
    if (!policy) {
      policy = new ArmThrottlingPolicy({ defaultRetryAfterSeconds: this.config.defaultRetryAfterSeconds });
      this.policies.set(subscriptionId, policy);
    }
    return policy;
  }

  /** arm-monitor's client of a subscription, built like the other ARM clients (same pipeline options and throttling policy). */
  activityLogFor(subscriptionId: string): AzureActivityLogClient {
    return new MonitorClient(this.credential, subscriptionId, { ...this.armOptions(subscriptionId), credentialScopes: [this.scope] });
  }

  /**
   * The metrics:getBatch client of a region, at `metricsEndpoint` with `{location}` filled in. The
   * data plane has quotas of its own, so it gets a throttling policy of its own per region.
   */
  metricsFor(location: string): AzureMetricsClient {
    const endpoint = metricsEndpointFor(this.config.metricsEndpoint, location);
    return new MetricsClient(endpoint, this.credential, {
      tlsOptions: this.tlsOptions,
      retryOptions: { maxRetries: this.config.maxRetries },
      additionalPolicies: [{ policy: this.throttlingPolicy(`metrics:${endpoint}`), position: 'perRetry' as const }],
      userAgentOptions: { userAgentPrefix: 'hybridforms' },
      credentials: { scopes: [METRICS_SCOPE] },
    });
  }

  private armOptions(subscriptionId: string) {
    return {
      endpoint: this.config.resourceManagerUrl,
      tlsOptions: this.tlsOptions,
      retryOptions: { maxRetries: this.config.maxRetries },
      // perRetry: the policy runs after the SDK's retry policy, once per attempt.
      additionalPolicies: [{ policy: this.throttlingPolicy(subscriptionId), position: 'perRetry' as const }],
      userAgentOptions: { userAgentPrefix: 'hybridforms' },
    };
  }

  /**
   * The compute and network clients the power actions and deletions use, built like the
   * collector's (same throttling policy, so status polls count against the subscription's pacing).
   */
  /** One pair per subscription for the factory's life: lifecycle calls come by the hundred (one per operation step). */
  lifecycleFor(subscriptionId: string): AzureLifecycleClients {
    let clients = this.lifecycleClients.get(subscriptionId);
    if (!clients) {
      const common = this.armOptions(subscriptionId);
      clients = {
        subscriptionId,
        compute: new ComputeManagementClient(this.credential, subscriptionId, { ...common, credentials: { scopes: [this.scope] } }),
        network: new NetworkManagementClient(this.credential, subscriptionId, { ...common, credentialScopes: [this.scope] }),
        resources: new ResourceManagementClient(this.credential, subscriptionId, { ...common, credentialScopes: [this.scope] }),
      };
      this.lifecycleClients.set(subscriptionId, clients);
    }
    return clients;
  }

  forSubscription(subscriptionId: string): AzureSubscriptionClients {
    const common = this.armOptions(subscriptionId);
    return {
      subscriptionId,
      compute: new ComputeManagementClient(this.credential, subscriptionId, { ...common, credentials: { scopes: [this.scope] } }),
      network: new NetworkManagementClient(this.credential, subscriptionId, { ...common, credentialScopes: [this.scope] }),
      resources: new ResourceManagementClient(this.credential, subscriptionId, { ...common, credentialScopes: [this.scope] }),
    };
  }
}

/** The ClientSecretCredential options for a config (exported for the record and the tests). */
export function credentialOptions(config: ResolvedAzureConfig, tlsOptions: { ca: string[] } | undefined): ClientSecretCredentialOptions {
  const authority = new URL(config.authorityHost);
  return {
    authorityHost: config.authorityHost,
    // Instance discovery asks the public cloud about the authority: it cannot know a private one.
    disableInstanceDiscovery: config.authorityHost !== AZURE_PUBLIC_AUTHORITY && !MICROSOFT_AUTHORITIES.has(authority.host.toLowerCase()),
    // MSAL's network client is identity's own pipeline, so tlsOptions reach the token requests too.
    tlsOptions,
    retryOptions: { maxRetries: config.maxRetries },
  };
}
