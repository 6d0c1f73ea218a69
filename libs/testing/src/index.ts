export { AzureSimulator } from './azure/azure-simulator.js';
export type {
  AzureSimulatorOptions,
  FaultRoute,
  FaultSpec,
  SimPowerState,
  SimRequest,
  SimVmSpec,
} from './azure/azure-simulator.types.js';
export { HyperVHostSimulator } from './hyperv/hyperv-host-simulator.js';
export {
  INVENTORY_REQUIRED_CMDLETS,
  INVENTORY_SCRIPT_MARKER,
  POWERSHELL_COMMAND_PREFIX,
  SWITCH_TYPE,
  VHD_TYPE,
  VM_STATE,
} from './hyperv/powershell-script.contract.js';
export type {
  HyperVFaultKind,
  HyperVFaultSpec,
  HyperVGuestKind,
  HyperVHardDriveSpec,
  HyperVHostSimulatorOptions,
  HyperVInventoryJson,
  HyperVKvp,
  HyperVNetworkAdapterSpec,
  HyperVSimRequest,
  HyperVSwitchType,
  HyperVVhdType,
  HyperVVmSpec,
  HyperVVmState,
  InventoryHardDriveJson,
  InventoryHostJson,
  InventoryIntegrationServiceJson,
  InventoryNetworkAdapterJson,
  InventorySwitchJson,
  InventoryVmJson,
  PowerShellEdition,
  PsDateTime,
  PsEnum,
  PsList,
  PsTimeSpan,
} from './hyperv/hyperv-host-simulator.types.js';
