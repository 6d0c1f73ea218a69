import { X509Certificate } from 'node:crypto';
import { DEFAULT_TARGETED_LIST_THRESHOLD } from './azure-targeted-read.planner.js';

/** Non-secret settings of an Azure provider (stored as given; defaults applied when used). */
export interface AzureProviderConfig {
  /** Entra ID tenant (directory) id, a GUID. */
  tenantId: string;
  /** Application (client) id of the service principal, a GUID. */
  clientId: string;
  /** Subscriptions to inventory, one or many GUIDs. */
  subscriptionIds: string[];
  /** ARM endpoint; default https://management.azure.com. */
  resourceManagerUrl?: string;
  /** Entra ID authority; default https://login.microsoftonline.com. */
  authorityHost?: string;
  /** PEM of an extra CA to trust for ARM and the authority (a private cloud or the simulator). */
  caCertificate?: string;
  /** Retries of one request by the SDK pipeline (429 with Retry-After, 5xx, network); 0..10, default 3. */
  maxRetries?: number;
  /** Subscriptions collected at the same time; 1..16, default 4. */
  subscriptionConcurrency?: number;
  /** Retry-After given to a 429 that carries none, in seconds; 0..60, default 5. */
  defaultRetryAfterSeconds?: number;
  /**
   * Azure Monitor metrics data plane (metrics:getBatch), an https URL template where `{location}`
   * stands for the VMs' region; default https://{location}.metrics.monitor.azure.com.
   */
  metricsEndpoint?: string;
  /** metrics:getBatch calls in flight at once; 1..16, default 4. */
  metricsConcurrency?: number;
  /** Minutes of the Activity Log re-read before the checkpoint on each poll (it is eventually consistent); 0..120, default 10. */
  eventsOverlapMinutes?: number;
  /** Minutes back the first event poll starts; 1..10080 (7 days), default 60. */
  eventsInitialLookbackMinutes?: number;
  /**
   * Targets of one subscription a targeted refresh reads by single GETs (about 4.5 requests
   * each); above it the subscription's status list is read and the cheaper of single GETs and
   * lists chosen by request count; 0..10000, default 1 (see DEFAULT_TARGETED_LIST_THRESHOLD: a
   * higher value saves the status list in large subscriptions but lets small ones pay more than
   * their full listing).
   */
  targetedListThreshold?: number;
  /**
   * Regions offered for provisioning (e.g. `eastus`, `westeurope`): the marketplace RHEL images
   * are listed in each; default none (no marketplace sources are offered until some are set).
   */
  locations?: string[];
}

/** Secrets of an Azure provider. */
export interface AzureCredentials {
  /** Client secret of the service principal. Never logged, never in an error message. */
  clientSecret: string;
}

/** A config with every default applied. */
export type ResolvedAzureConfig = Required<Omit<AzureProviderConfig, 'caCertificate'>> & Pick<AzureProviderConfig, 'caCertificate'>;

/** ARM endpoint of the public cloud (the default `resourceManagerUrl`). */
export const AZURE_PUBLIC_RESOURCE_MANAGER = 'https://management.azure.com';
/** Metrics data plane of the public cloud (the default `metricsEndpoint`). */
export const AZURE_PUBLIC_METRICS_ENDPOINT = 'https://{location}.metrics.monitor.azure.com';
/** Entra ID authority of the public cloud (the default `authorityHost`). */
export const AZURE_PUBLIC_AUTHORITY = 'https://login.microsoftonline.com';

const DEFAULTS = {
  resourceManagerUrl: AZURE_PUBLIC_RESOURCE_MANAGER,
  authorityHost: AZURE_PUBLIC_AUTHORITY,
  maxRetries: 3,
  subscriptionConcurrency: 4,
  defaultRetryAfterSeconds: 5,
  metricsEndpoint: AZURE_PUBLIC_METRICS_ENDPOINT,
  metricsConcurrency: 4,
  eventsOverlapMinutes: 10,
  eventsInitialLookbackMinutes: 60,
  targetedListThreshold: DEFAULT_TARGETED_LIST_THRESHOLD,
  locations: [] as string[],
} as const;

const CONFIG_KEYS: readonly (keyof AzureProviderConfig)[] = [
  'tenantId',
  'clientId',
  'subscriptionIds',
  'resourceManagerUrl',
  'authorityHost',
  'caCertificate',
  'maxRetries',
  'subscriptionConcurrency',
  'defaultRetryAfterSeconds',
  'metricsEndpoint',
  'metricsConcurrency',
  'eventsOverlapMinutes',
  'eventsInitialLookbackMinutes',
  'targetedListThreshold',
  'locations',
];
const CREDENTIAL_KEYS: readonly (keyof AzureCredentials)[] = ['clientSecret'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** True for a GUID such as a tenant, client or subscription id. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

/**
 * Checks the shape of an Azure provider's config and credentials without any I/O. Returns one
 * message per problem, naming the key; never echoes a secret.
 */
export function validateAzureConfig(config: unknown, credentials: unknown): string[] {
  const problems: string[] = [];
  if (!isPlainObject(config)) {
    problems.push('config must be an object with tenantId, clientId and subscriptionIds');
  } else {
    for (const key of Object.keys(config)) {
      if (!(CONFIG_KEYS as readonly string[]).includes(key)) problems.push(`config.${key} is not a known setting (known: ${CONFIG_KEYS.join(', ')})`);
    }
    for (const key of ['tenantId', 'clientId'] as const) {
      if (!isGuid(config[key])) problems.push(`config.${key} must be a GUID (e.g. 00000000-0000-0000-0000-000000000000)`);
    }
    checkSubscriptionIds(config.subscriptionIds, problems);
    for (const key of ['resourceManagerUrl', 'authorityHost'] as const) {
      if (config[key] !== undefined && !isHttpsUrl(config[key])) problems.push(`config.${key} must be an https:// URL without query or fragment`);
    }
    if (config.caCertificate !== undefined && !isPemCertificates(config.caCertificate)) {
      problems.push('config.caCertificate must be one or more PEM certificates (-----BEGIN CERTIFICATE----- …)');
    }
    checkInteger(config, 'maxRetries', 0, 10, problems);
    checkInteger(config, 'subscriptionConcurrency', 1, 16, problems);
    checkNumber(config, 'defaultRetryAfterSeconds', 0, 60, problems);
    if (config.metricsEndpoint !== undefined && !isMetricsEndpoint(config.metricsEndpoint)) {
      problems.push('config.metricsEndpoint must be an https:// URL template without query or fragment, e.g. https://{location}.metrics.monitor.azure.com');
    }
    checkInteger(config, 'metricsConcurrency', 1, 16, problems);
    checkInteger(config, 'eventsOverlapMinutes', 0, 120, problems);
    checkInteger(config, 'eventsInitialLookbackMinutes', 1, 10080, problems);
    checkInteger(config, 'targetedListThreshold', 0, 10000, problems);
    checkLocations(config.locations, problems);
  }
  if (!isPlainObject(credentials)) {
    problems.push('credentials must be an object with clientSecret');
  } else {
    for (const key of Object.keys(credentials)) {
      if (!(CREDENTIAL_KEYS as readonly string[]).includes(key)) problems.push(`credentials.${key} is not a known credential (known: clientSecret)`);
    }
    if (typeof credentials.clientSecret !== 'string' || credentials.clientSecret.trim() === '') {
      problems.push('credentials.clientSecret must be a non-empty string');
    }
  }
  return problems;
}

/** Applies the defaults to a config that passed {@link validateAzureConfig}. */
export function resolveAzureConfig(config: AzureProviderConfig): ResolvedAzureConfig {
  return {
    tenantId: config.tenantId,
    clientId: config.clientId,
    subscriptionIds: [...new Set(config.subscriptionIds.map((id) => id.toLowerCase()))],
    resourceManagerUrl: trimSlash(config.resourceManagerUrl ?? DEFAULTS.resourceManagerUrl),
    authorityHost: trimSlash(config.authorityHost ?? DEFAULTS.authorityHost),
    caCertificate: config.caCertificate,
    maxRetries: config.maxRetries ?? DEFAULTS.maxRetries,
    subscriptionConcurrency: config.subscriptionConcurrency ?? DEFAULTS.subscriptionConcurrency,
    defaultRetryAfterSeconds: config.defaultRetryAfterSeconds ?? DEFAULTS.defaultRetryAfterSeconds,
    metricsEndpoint: trimSlash(config.metricsEndpoint ?? DEFAULTS.metricsEndpoint),
    metricsConcurrency: config.metricsConcurrency ?? DEFAULTS.metricsConcurrency,
    eventsOverlapMinutes: config.eventsOverlapMinutes ?? DEFAULTS.eventsOverlapMinutes,
    eventsInitialLookbackMinutes: config.eventsInitialLookbackMinutes ?? DEFAULTS.eventsInitialLookbackMinutes,
    targetedListThreshold: config.targetedListThreshold ?? DEFAULTS.targetedListThreshold,
    locations: [...new Set((config.locations ?? DEFAULTS.locations).map((l) => l.toLowerCase()))],
  };
}

// Azure region names as ARM spells them: lower-case letters and digits (`eastus2`, `germanywestcentral`).
const LOCATION_NAME = /^[a-z][a-z0-9]{1,39}$/i;

function checkLocations(value: unknown, problems: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push('config.locations must be a list of Azure region names (e.g. ["eastus", "westeurope"])');
    return;
  }
  value.forEach((location, index) => {
    if (typeof location !== 'string' || !LOCATION_NAME.test(location)) {
      problems.push(`config.locations[${index}] must be an Azure region name such as eastus (letters and digits, no spaces)`);
    }
  });
}

function checkSubscriptionIds(value: unknown, problems: string[]): void {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push('config.subscriptionIds must be a non-empty list of subscription GUIDs');
    return;
  }
  const seen = new Set<string>();
  value.forEach((id, index) => {
    if (!isGuid(id)) problems.push(`config.subscriptionIds[${index}] must be a GUID`);
    else if (seen.has(id.toLowerCase())) problems.push(`config.subscriptionIds[${index}] repeats ${id}`);
    else seen.add(id.toLowerCase());
  });
}

function checkInteger(config: Record<string, unknown>, key: string, min: number, max: number, problems: string[]): void {
  const value = config[key];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`config.${key} must be an integer from ${min} to ${max}`);
  }
}

function checkNumber(config: Record<string, unknown>, key: string, min: number, max: number, problems: string[]): void {
  const value = config[key];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    problems.push(`config.${key} must be a number from ${min} to ${max}`);
  }
}

function isHttpsUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The metrics endpoint for a region: `{location}` replaced by the normalized region name. */
export function metricsEndpointFor(template: string, location: string): string {
  return template.replace(/\{location\}/g, location.replace(/\s+/g, '').toLowerCase());
}

function isMetricsEndpoint(value: unknown): boolean {
  if (typeof value !== 'string' || /[{}]/.test(value.replace(/\{location\}/g, ''))) return false;
  return isHttpsUrl(metricsEndpointFor(value, 'eastus'));
}

function isPemCertificates(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const blocks = value.match(PEM_BLOCK);
  if (!blocks) return false;
  // Anything but certificates and whitespace around them is a paste error (a key, say).
  if (value.replace(PEM_BLOCK, '').trim() !== '') return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
