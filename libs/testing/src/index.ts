export { AzureSimulator } from './azure/azure-simulator.js';
export type {
  AzureSimulatorOptions,
  FaultRoute,
  FaultSpec,
  SimPowerState,
  SimRequest,
  SimVmSpec,
} from './azure/azure-simulator.types.js';
