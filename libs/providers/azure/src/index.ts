export { AzureProviderModule } from './azure-provider.module.js';
export { AZURE_CLIENT_SOURCE_FACTORY, AzureProviderPlugin, type AzureClientSourceFactory } from './azure-provider.plugin.js';
export {
  AZURE_PUBLIC_AUTHORITY,
  AZURE_PUBLIC_RESOURCE_MANAGER,
  resolveAzureConfig,
  validateAzureConfig,
  type AzureCredentials,
  type AzureProviderConfig,
  type ResolvedAzureConfig,
} from './azure-provider.config.js';
export { AzureClientFactory, credentialOptions, type AzureClientSource, type AzureSubscriptionClients } from './azure-client.factory.js';
export { AzureCollector, type AzureCollectorOptions, type AzureFullCollection, type AzureTargetedCollection } from './azure.collector.js';
export { parseAzureInventory } from './azure-inventory.parser.js';
export type { AzureLocationSizes, AzureSubscriptionInventory } from './azure-raw-inventory.js';
export { classifyAzureVm, type AzureOsClassification, type AzureOsFacts } from './rhel-classification.js';
export { toProviderError, type AzureErrorContext } from './azure-error.mapper.js';
export { ArmThrottlingPolicy, type ArmThrottlingOptions } from './arm-throttling.policy.js';
