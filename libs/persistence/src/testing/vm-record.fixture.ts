import type { VmRecord } from '@hybridforms/core';

/** A plain running VM record `vm-<n>` for store and query tests; override what a test is about. */
export function vmRecordFixture(n: number, over: Partial<VmRecord> = {}): VmRecord {
  return {
    nativeId: `vm-native-${n}`,
    uid: null,
    name: `vm-${String(n).padStart(5, '0')}`,
    hostNativeId: null,
    imageNativeId: null,
    location: 'westeurope',
    resourceGroup: null,
    subscriptionId: null,
    size: null,
    cpuCount: 2,
    memoryMb: 4096,
    powerState: 'running',
    osFamily: n % 2 === 0 ? 'rhel' : 'windows',
    osName: null,
    osVersion: null,
    osSource: null,
    rhelLicenseModel: 'unknown',
    licenseType: null,
    guestAgentVersion: null,
    tags: {},
    details: {},
    createdAtProvider: null,
    ...over,
  };
}
