import { rootCertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import { ArmThrottlingPolicy } from './arm-throttling.policy.js';
import { AZURE_PUBLIC_AUTHORITY, type ResolvedAzureConfig } from './azure-provider.config.js';

/** The SDK operation groups the collector uses, for one subscription. */
export interface AzureSubscriptionClients {
  subscriptionId: string;
  compute: Pick<ComputeManagementClient, 'virtualMachines' | 'disks' | 'virtualMachineSizes'>;
  network: Pick<NetworkManagementClient, 'networkInterfaces' | 'publicIPAddresses'>;
  resources: Pick<ResourceManagementClient, 'resourceGroups'>;
}

/** What the collector needs from the SDK: a token, and the clients of a subscription. */
export interface AzureClientSource {
  getToken(signal?: AbortSignal): Promise<AccessToken>;
  forSubscription(subscriptionId: string): AzureSubscriptionClients;
}

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

  forSubscription(subscriptionId: string): AzureSubscriptionClients {
    const common = {
      endpoint: this.config.resourceManagerUrl,
      tlsOptions: this.tlsOptions,
      retryOptions: { maxRetries: this.config.maxRetries },
      // perRetry: the policy runs after the SDK's retry policy, once per attempt.
      additionalPolicies: [{ policy: this.throttlingPolicy(subscriptionId), position: 'perRetry' as const }],
      userAgentOptions: { userAgentPrefix: 'hybridforms' },
    };
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
