import { isActiveState, type HyperVEstate, type HyperVSimVm } from './hyperv-estate.js';
import type { HyperVInventoryJson, InventoryIntegrationServiceJson, InventoryVmJson } from './hyperv-host-simulator.types.js';
import { SWITCH_TYPE, VHD_TYPE, VM_STATE } from './powershell-script.contract.js';
import type { PowerShellJsonSerializer } from './powershell-json.serializer.js';

/** en-US names in the order Get-VMIntegrationService lists them. */
const INTEGRATION_SERVICES = ['Guest Service Interface', 'Heartbeat', 'Key-Value Pair Exchange', 'Shutdown', 'Time Synchronization', 'VSS'];
/** Services that need a guest daemon on Linux; hv_utils in the kernel covers the others. */
const DAEMON_SERVICES = new Set(['Key-Value Pair Exchange', 'VSS', 'Guest Service Interface']);

/** Builds the inventory document the contract script would print for the estate. */
export class InventoryProjector {
  constructor(private readonly serializer: PowerShellJsonSerializer) {}

  project(estate: HyperVEstate): HyperVInventoryJson {
    const s = this.serializer;
    return {
      host: { ...estate.host },
      switches: s.list(estate.switches.map((sw) => ({ Name: sw.name, SwitchType: s.enumValue(sw.switchType, SWITCH_TYPE[sw.switchType]) }))),
      vms: s.list(estate.list().map((vm) => this.vm(estate, vm))),
    };
  }

  /** The stdout text of the inventory script. */
  render(estate: HyperVEstate): string {
    return this.serializer.stringify(this.project(estate));
  }

  private vm(estate: HyperVEstate, vm: HyperVSimVm): InventoryVmJson {
    const s = this.serializer;
    const active = isActiveState(vm.state);
    // Addresses and KVP items come from the guest's KVP daemon, so only while it runs.
    const kvp = vm.state === 'Running' ? vm.kvp : null;
    return {
      VMId: vm.vmId,
      VMName: vm.name,
      State: s.enumValue(vm.state, VM_STATE[vm.state]),
      ProcessorCount: vm.processorCount,
      MemoryAssigned: active ? (vm.dynamicMemoryEnabled ? Math.round(vm.memoryStartup * 0.75) : vm.memoryStartup) : 0,
      MemoryStartup: vm.memoryStartup,
      DynamicMemoryEnabled: vm.dynamicMemoryEnabled,
      Generation: vm.generation,
      Version: vm.version,
      Uptime: s.timeSpan(estate.uptimeMs(vm)),
      CreationTime: s.dateTime(vm.creationTimeMs),
      Notes: vm.notes,
      NetworkAdapters: s.list(
        vm.networkAdapters.map((a) => ({ MacAddress: a.macAddress, SwitchName: a.switchName, IPAddresses: kvp ? [...a.ipAddresses] : [] })),
      ),
      HardDrives: s.list(
        vm.hardDrives.map((d) => ({ Path: d.path, VhdType: s.enumValue(d.vhdType, VHD_TYPE[d.vhdType]), Size: d.size, FileSize: d.fileSize })),
      ),
      IntegrationServices: s.list(INTEGRATION_SERVICES.map((name) => this.integrationService(vm, name))),
      Kvp: kvp ? { ...kvp } : null,
    };
  }

  private integrationService(vm: HyperVSimVm, name: string): InventoryIntegrationServiceJson {
    const enabled = !vm.disabledIntegrationServices.has(name);
    let status: string | null = null;
    if (enabled && vm.state === 'Running') {
      const contact = vm.guestServices === 'full' || (vm.guestServices === 'kernel-only' && !DAEMON_SERVICES.has(name));
      status = contact ? 'OK' : 'No Contact';
    }
    return { Name: name, Enabled: enabled, PrimaryStatusDescription: status };
  }
}
