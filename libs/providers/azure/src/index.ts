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
export { AzureCollector, type AzureCollectorOptions } from './azure.collector.js';
export type { AzureLocationSizes, AzureSubscriptionInventory } from './azure-raw-inventory.js';
export { classifyAzureVm, type AzureOsClassification, type AzureOsFacts } from './rhel-classification.js';
export { toProviderError, type AzureErrorContext } from './azure-error.mapper.js';
export { ArmThrottlingPolicy, type ArmThrottlingOptions } from './arm-throttling.policy.js';
export { AZURE_PUBLIC_METRICS_ENDPOINT, metricsEndpointFor } from './azure-provider.config.js';
export { METRICS_SCOPE, type AzureActivityLogClient, type AzureMetricsClient } from './azure-client.factory.js';
export { nativeIdOf } from './azure-inventory.parser.js';
export {
  classify as classifyActivityLogEvent,
  parseActivityLogEvent,
  parseActivityLogEvents,
  type AzureActivityLogEvent,
  type AzureLocalizable,
} from './azure-activity-log.parser.js';
export { AzureEventCatcher, parseEventCheckpoint, type AzureEventCatcherOptions, type AzureEventCheckpoint } from './azure.event-catcher.js';
export { AZURE_VM_METRICS, parseAzureMetrics, type AzureMetricPoint, type AzureMetricResult, type AzureMetricsResourceResult } from './azure-metrics.parser.js';
export { AzureMetricsCollector, METRICS_BATCH_SIZE, planMetricsBatches, type AzureMetricsBatch, type AzureMetricsCollectorOptions } from './azure.metrics-collector.js';
export {
  AZURE_VM_ACTIONS,
  AzureVmOperator,
  decodeAzureContinuation,
  encodeAzureContinuation,
  parseAzureResourceId,
  type AzureContinuation,
  type AzureLroRequest,
  type AzureResourcePath,
  type AzureVmOperatorOptions,
} from './azure.vm-operator.js';
export type { AzureLifecycleClients } from './azure-client.factory.js';
