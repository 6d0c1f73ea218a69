import type { LicenseModel, OsFamily, OsSource, PowerState } from '@hybridforms/core';

/**
 * What the inventory knows of one VM, as the reconciliation reads it: the stored columns of
 * VmEntity (libs/persistence), its provider's type, and the image row it was built from.
 */
export interface FleetVmFacts {
  id: string;
  name: string;
  /** The provider's type (ProviderEntity.type): `azure`, `hyperv`; anything else is not reconciled by cloud rules. */
  providerType: string;
  osFamily: OsFamily;
  osVersion: string | null;
  osSource: OsSource | null;
  licenseModel: LicenseModel | null;
  /** Azure licenseType as stored (null when absent or `None`); always null on Hyper-V. */
  licenseType: string | null;
  /** The VM's image (ImageEntity), null when it has none or it is unknown (always on Hyper-V). */
  image: FleetImageFacts | null;
  /** WALinuxAgent version on Azure; the KVP IntegrationServicesVersion on Hyper-V. */
  guestAgentVersion: string | null;
  powerState: PowerState;
  archivedAt: Date | null;
}

export interface FleetImageFacts {
  kind: 'marketplace' | 'custom';
  publisher: string | null;
  offer: string | null;
  sku: string | null;
}

export const PROBE_STATUSES = ['ok', 'unreachable', 'auth_failed', 'timeout'] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

/**
 * What the in-guest probe (issue 14 part 1, not built yet) reads over SSH. Only `status` and
 * `probedAt` are set when the probe failed; every other part is null when it could not be read.
 */
export interface GuestProbeResult {
  status: ProbeStatus;
  /** When the probe ran (or was attempted). */
  probedAt: Date;
  /** /etc/os-release: ID, VERSION_ID, NAME. */
  osRelease: { id: string | null; versionId: string | null; name: string | null } | null;
  /** /etc/redhat-release, verbatim. */
  redhatRelease: string | null;
  /** uname -r. */
  kernel: string | null;
  /** subscription-manager's view; null when subscription-manager is not installed. */
  rhsm: {
    registered: boolean;
    orgId: string | null;
    /** Simple content access; null when it could not be told. */
    sca: boolean | null;
    purpose: { role: string | null; sla: string | null; usage: string | null } | null;
  } | null;
  /** RHUI client configuration: repo files under /etc/yum.repos.d and rhui packages installed. */
  rhui: { repoFiles: string[]; packages: string[] } | null;
  agent: { waagentVersion: string | null; hypervDaemons: { kvp: boolean; vss: boolean } } | null;
  insights: { registered: boolean | null } | null;
}

export const FINDING_CODES = [
  'double_billing',
  'uncovered',
  'license_mismatch',
  'end_of_life',
  'extended_support_only',
  'no_guest_agent',
  'no_integration_services',
  'probe_stale',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export const FINDING_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export interface Finding {
  code: FindingCode;
  severity: FindingSeverity;
  /** One line that states the facts behind the finding. */
  reason: string;
}
