/** One entry of `GET .../locations/{loc}/vmSizes`, in the wire shape. */
export interface VmSizeEntry {
  name: string;
  numberOfCores: number;
  osDiskSizeInMB: number;
  resourceDiskSizeInMB: number;
  memoryInMB: number;
  maxDataDiskCount: number;
}

// name, cores, memory MB, temp disk MB, max data disks. Every size reports the same 1 TiB OS disk limit.
const SIZES: ReadonlyArray<readonly [string, number, number, number, number]> = [
  ['Standard_B1s', 1, 1024, 4096, 2],
  ['Standard_B1ms', 1, 2048, 4096, 2],
  ['Standard_B2s', 2, 4096, 8192, 4],
  ['Standard_B2ms', 2, 8192, 16384, 4],
  ['Standard_B4ms', 4, 16384, 32768, 8],
  ['Standard_DS1_v2', 1, 3584, 7168, 4],
  ['Standard_DS2_v2', 2, 7168, 14336, 8],
  ['Standard_D2s_v3', 2, 8192, 16384, 4],
  ['Standard_D4s_v3', 4, 16384, 32768, 8],
  ['Standard_D8s_v3', 8, 32768, 65536, 16],
  ['Standard_D16s_v3', 16, 65536, 131072, 32],
  ['Standard_D2s_v5', 2, 8192, 0, 4],
  ['Standard_D4s_v5', 4, 16384, 0, 8],
  ['Standard_D8s_v5', 8, 32768, 0, 16],
  ['Standard_D2ds_v5', 2, 8192, 76800, 4],
  ['Standard_E2s_v3', 2, 16384, 32768, 4],
  ['Standard_E4s_v3', 4, 32768, 65536, 8],
  ['Standard_E8s_v3', 8, 65536, 131072, 16],
  ['Standard_E16s_v3', 16, 131072, 262144, 32],
  ['Standard_E32ds_v5', 32, 262144, 1228800, 32],
  ['Standard_F2s_v2', 2, 4096, 16384, 4],
  ['Standard_F4s_v2', 4, 8192, 32768, 8],
  ['Standard_M32ts', 32, 196608, 1024000, 32],
  ['Standard_M64s', 64, 1048576, 2048000, 64],
];

export const VM_SIZES: readonly VmSizeEntry[] = SIZES.map(([name, cores, memory, temp, disks]) => ({
  name,
  numberOfCores: cores,
  osDiskSizeInMB: 1047552,
  resourceDiskSizeInMB: temp,
  memoryInMB: memory,
  maxDataDiskCount: disks,
}));

/** Regions the simulator knows; vmSizes for any other location is an ARM error. */
export const KNOWN_LOCATIONS: readonly string[] = [
  'eastus', 'eastus2', 'centralus', 'westus', 'westus2', 'westus3', 'northeurope', 'westeurope', 'uksouth', 'ukwest',
  'germanywestcentral', 'francecentral', 'swedencentral', 'japaneast', 'australiaeast', 'southeastasia', 'canadacentral',
];
