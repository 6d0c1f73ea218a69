export { HyperVProviderModule } from './hyperv-provider.module.js';
export { HyperVProviderPlugin } from './hyperv-provider.plugin.js';
export {
  resolveHyperVConfig,
  validateHyperVConfig,
  type HyperVCredentials,
  type HyperVHostConfig,
  type HyperVProviderConfig,
  type ResolvedHyperVConfig,
} from './hyperv-provider.config.js';
export { HyperVCollector, hostNativeId } from './hyperv.collector.js';
export { PowerShellSession, sshFingerprint, type HyperVConnection } from './powershell.session.js';
export { INVENTORY_SCRIPT } from './hyperv-inventory.script.js';
export { parseHyperVInventory } from './hyperv-inventory.parser.js';
export { DEFAULT_EVENTS_INITIAL_LOOKBACK_MINUTES } from './hyperv-provider.config.js';
export { buildEventsScript, HYPERV_EVENT_LOG_NAMES, type HyperVLogBookmarks } from './hyperv-events.script.js';
export { HYPERV_EVENT_TYPES, eventVmNativeId, hyperVEventNativeId, nextBookmarks, normalizeHyperVEvent, parseHyperVEventsDocument } from './hyperv-events.parser.js';
export { formatHyperVEventsCheckpoint, parseHyperVEventsCheckpoint, type HyperVEventsCheckpoint } from './hyperv-events.checkpoint.js';
export { METRICS_COUNTER_PATHS, METRICS_SCRIPT } from './hyperv-metrics.script.js';
export { parseHyperVMetrics, storageInstance, type HyperVMetricsResult } from './hyperv-metrics.parser.js';
export { HyperVLifecycleClient, parseDiskNativeId } from './hyperv-lifecycle.client.js';
export {
  buildRemoveVmScript,
  buildVhdFactsScript,
  buildVhdRemoveScript,
  buildVmActionScript,
  HYPERV_VM_ACTIONS,
  parseVhdPath,
  parseVmGuid,
  type HyperVVmAction,
} from './hyperv-vm-action.script.js';
export {
  actionFailure,
  parseActionErrorRecord,
  parseVhdFacts,
  parseVmActionResult,
  vhdRemovalRefusal,
  type ActionErrorRecord,
  type VhdFacts,
  type VmActionResult,
} from './hyperv-action.parser.js';
export { HyperVProvisionClient } from './hyperv-provision.client.js';
export { buildProvisionCheckScript, buildProvisionSourcesScript, TEMPLATE_NOTES_TAG, type ProvisionCheckQuery } from './hyperv-provision.script.js';
export { availableMemoryBytes, parseProvisionCheck, parseProvisionSources, provisionSourcesOf, type ProvisionCheckFacts, type ProvisionSourcesFacts } from './hyperv-provision.parser.js';
export { checkSpecShape, parseVhdSourceRef, sshPublicKeyProblem, vmNameProblems } from './hyperv-provision.checks.js';
export { classifyTemplateName } from './kvp-classification.js';
