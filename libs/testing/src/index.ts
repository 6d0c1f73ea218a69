export { AzureSimulator, type SimAttachment } from './azure/azure-simulator.js';
export type {
  AzureSimulatorOptions,
  SimCreationKind,
  SimDeletableKind,
  FaultRoute,
  FaultSpec,
  SimPowerState,
  SimRequest,
  SimVmAction,
  SimVmSpec,
} from './azure/azure-simulator.types.js';
export { simMetricValue, simMetricName, SIM_VM_METRICS, type SimMetricDefinition } from './azure/sim-metrics.js';
export { METRICS_BATCH_MAX_RESOURCES, METRICS_AUDIENCE } from './azure/monitor.router.js';
export type { SimActivityOptions, SimActivityOutcome, SimVmOperation } from './azure/activity-log.js';
export type {
  SimLongRunningOperation,
  SimOperationError,
  VmOperationFailureSpec,
  VmOperationTiming,
} from './azure/vm-operations.js';
export type { SimResourceDeletion } from './azure/resource-deletions.js';
export type { SimResourceCreation } from './azure/resource-creations.js';
export type { SimMarketplacePlan } from './azure/marketplace-terms.js';
export { HyperVHostSimulator, SIM_LIBRARY_PATH, SIM_TEMPLATE_VM_ID } from './hyperv/hyperv-host-simulator.js';
export { HOST_RESERVED_MEMORY_BYTES, parseQuotedList, ProvisionProjector } from './hyperv/provision.projector.js';
export {
  EVENTS_REQUIRED_CMDLETS,
  EVENTS_SCRIPT_MARKER,
  HYPERV_EVENT_LOGS,
  METRICS_REQUIRED_CMDLETS,
  METRICS_SCRIPT_MARKER,
  NO_MATCHING_EVENTS_MESSAGE,
  type HyperVEventLogName,
  INVENTORY_REQUIRED_CMDLETS,
  INVENTORY_SCRIPT_MARKER,
  POWERSHELL_COMMAND_PREFIX,
  SWITCH_TYPE,
  VHD_TYPE,
  VM_STATE,
  DEFAULT_VIRTUAL_HARD_DISK_PATH,
  VHD_FACTS_REQUIRED_CMDLETS,
  VHD_FACTS_SCRIPT_MARKER,
  VHD_REMOVE_REQUIRED_CMDLETS,
  VHD_REMOVE_SCRIPT_MARKER,
  VM_ACTION_CMDLETS,
  VM_ACTION_REQUIRED_CMDLETS,
  VM_CREATE_REQUIRED_CMDLETS,
  VM_CREATE_SCRIPT_MARKER,
  VM_ACTION_SCRIPT_MARKER,
  PROVISION_CHECK_REQUIRED_CMDLETS,
  PROVISION_CHECK_SCRIPT_MARKER,
  PROVISION_SOURCES_REQUIRED_CMDLETS,
  PROVISION_SOURCES_SCRIPT_MARKER,
  findScriptMarker,
  missingCmdlets,
  writesErrorRecordJson,
  type VmActionCmdlet,
} from './hyperv/powershell-script.contract.js';
export { parseVmActionScript, parseVhdScriptPath, type VmActionScript, type VmActionStep } from './hyperv/vm-action.projector.js';
export { guestKvpOf, parseVmCreateScript, VM_CREATE_STEP_CMDLETS, type VmCreateScript } from './hyperv/vm-create.projector.js';
export type { HyperVVhdFile } from './hyperv/hyperv-estate.js';
export { parseEventsRequest, type EventsQuery, type EventsRequest } from './hyperv/events.projector.js';
export {
  HYPERV_COUNTERS,
  counterInstance,
  counterMinute,
  parseCounterRequests,
  simulatedCounterValue,
  type HyperVCounterName,
} from './hyperv/hyperv-counters.js';
export {
  EVENT_LOG_PROVIDERS,
  HYPERV_EVENT_TEMPLATES,
  LOCAL_SYSTEM_SID,
  virtualMachineSid,
} from './hyperv/hyperv-event-log.js';
export type {
  CounterSampleJson,
  EventRecordJson,
  EventsLogJson,
  HyperVEventLevel,
  HyperVEventLogState,
  HyperVEventRecord,
  HyperVEventSpec,
  HyperVEventsJson,
  HyperVMetricsJson,
  HyperVResetCause,
  HyperVStopCause,
  MetricsVmJson,
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
  HyperVVhdFileSpec,
  HyperVVmSpec,
  ErrorRecordJson,
  VhdDriveJson,
  VhdFactsJson,
  VhdJson,
  VhdRemoveResultJson,
  VmActionResultJson,
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
export { startLoopbackSshd, type LoopbackSshd } from './ssh/loopback-sshd.js';
