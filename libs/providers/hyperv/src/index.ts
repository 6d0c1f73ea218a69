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
