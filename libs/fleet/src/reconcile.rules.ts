import { RHEL_BYOS_LICENSE_TYPE, RHEL_PAYG_LICENSE_TYPES } from '@hybridforms/core';
import { FINDING_SEVERITIES, type Finding, type FindingCode, type FleetVmFacts, type GuestProbeResult } from './fleet-facts.js';
import { RHEL_LIFE_CYCLE, supportStatusOf, type RhelLifeCycle } from './rhel-life-cycle.js';

export interface ReconcileOptions {
  /** A probe older than this is stale (default 48). */
  staleAfterHours?: number;
  /** The life-cycle table (default: the shipped one). */
  lifeCycle?: RhelLifeCycle;
}

export const DEFAULT_STALE_AFTER_HOURS = 48;


/**
 * The findings for one VM, sorted by severity then code. Pure and total: odd input (nulls, an
 * invalid date, a probe with parts missing) gives fewer findings, never an exception.
 */
export function reconcile(vm: FleetVmFacts, probe: GuestProbeResult | null, now: Date, options: ReconcileOptions = {}): Finding[] {
  return sortFindings(evaluate(vm, probe, now, options));
}

function evaluate(vm: FleetVmFacts, probe: GuestProbeResult | null, now: Date, options: ReconcileOptions): Finding[] {
  // Only RHEL is reconciled: the subscription and life-cycle rules are Red Hat's. An archived VM
  // no longer exists in its cloud, so nothing it "has" can be wrong any more.
  if (!vm || vm.osFamily !== 'rhel' || vm.archivedAt) return [];
  const cloud = vm.providerType === 'azure' || vm.providerType === 'hyperv' ? vm.providerType : null;
  const staleAfterHours = validHours(options.staleAfterHours);
  // Subscription facts come from any probe that read the guest, stale or not: a stale one is
  // still the best evidence, and probe_stale says it is old.
  const read = probe && probe.status === 'ok' ? probe : null;
  const readAge = read ? ageHours(read.probedAt, now) : null;
  const fresh = readAge !== null && readAge <= staleAfterHours ? read : null;
  const running = vm.powerState === 'running';
  const findings: Finding[] = [];
  const add = (code: FindingCode, severity: Finding['severity'], reason: string): void => {
    findings.push({ code, severity, reason });
  };

  const licenseType = upper(vm.licenseType);
  const imageModel = imageLicenseModel(vm);
  const rhui = rhuiEvidence(read);

  // double_billing: Azure bills the RHEL subscription with the hourly price of a PAYG VM; a
  // registration to RHSM consumes one of the customer's own subscriptions for the same machine.
  // RHEL_BYOS (Hybrid Benefit) stops Azure's RHEL charge, so that VM is not billed twice.
  if (cloud === 'azure' && vm.licenseModel === 'payg' && licenseType !== RHEL_BYOS_LICENSE_TYPE && read?.rhsm?.registered === true) {
    add('double_billing', 'critical', `${paygBasis(vm, licenseType)} billed by Azure and registered to RHSM ${orgOf(read)}`);
  }

  // uncovered: a Cloud Access (BYOS) VM on Azure, and every on-premises VM, gets its subscription
  // and content only from RHSM; not registered and without RHUI, nothing entitles it to updates.
  if (read && ((cloud === 'azure' && vm.licenseModel === 'byos') || cloud === 'hyperv') && read.rhsm?.registered !== true && rhui === null) {
    const basis = cloud === 'hyperv' ? 'On-premises on Hyper-V' : `BYOS (Cloud Access)${vm.image ? ` image ${imageName(vm)}` : ''} on Azure`;
    const rhsm = read.rhsm === null || read.rhsm === undefined ? 'subscription-manager is not installed' : 'not registered to RHSM';
    add('uncovered', 'critical', `${basis}, ${rhsm} and no RHUI repository or package: no subscription covers it`);
  }

  // license_mismatch: the image says how the VM was meant to be billed, licenseType how Azure bills
  // it now; they part when Hybrid Benefit converted it (legitimate, but the subscription must follow).
  // A BYOS VM with RHUI content uses Azure's PAYG repositories without paying for them.
  const mismatches: string[] = [];
  if (cloud === 'azure' && imageModel === 'payg' && licenseType === RHEL_BYOS_LICENSE_TYPE) {
    mismatches.push(`PAYG image (${imageName(vm)}) with licenseType RHEL_BYOS: converted to BYOS billing by Azure Hybrid Benefit, it needs its own Red Hat subscription`);
  }
  if (cloud === 'azure' && imageModel === 'byos' && licenseType && RHEL_PAYG_LICENSE_TYPES.has(licenseType)) {
    mismatches.push(`BYOS image (${imageName(vm)}) with licenseType ${licenseType}: switched to PAYG billing by Azure Hybrid Benefit`);
  }
  const byos = vm.licenseModel === 'byos' || cloud === 'hyperv';
  if (rhui && byos) {
    mismatches.push(`BYOS VM gets content from RHUI (${rhui}), which is for PAYG images`);
  }
  if (mismatches.length > 0) add('license_mismatch', 'warning', mismatches.join('; '));

  // end_of_life / extended_support_only: the guest's own os-release beats the inventory when it
  // is fresh (the inventory may keep an older, sticky version); otherwise the inventory's. An
  // os-release that names another distribution (a converted or mislabelled guest) is not used.
  const releaseId = lower(fresh?.osRelease?.id);
  const probedVersion = (releaseId === null || releaseId === 'rhel') && clean(fresh?.osRelease?.versionId) ? clean(fresh?.osRelease?.versionId) : null;
  const version = probedVersion ?? vm.osVersion ?? null;
  const source = probedVersion ? 'the guest probe' : vm.osSource ? `the inventory, ${vm.osSource}` : 'the inventory';
  const support = supportStatusOf(version, now, options.lifeCycle ?? RHEL_LIFE_CYCLE);
  if (support.status === 'end_of_life') add('end_of_life', 'critical', `${support.reason} (version from ${source})`);
  if (support.status === 'extended_support_only') add('extended_support_only', 'warning', `${support.reason} (version from ${source})`);

  // no_guest_agent: without WALinuxAgent Azure cannot run extensions, reset access or report the
  // guest's OS; only a running VM can report, and the probe's word settles a doubt.
  if (cloud === 'azure' && running && !clean(vm.guestAgentVersion) && (read === null || !clean(read.agent?.waagentVersion))) {
    add('no_guest_agent', 'warning', read ? 'Running on Azure, no guest agent version reported to Azure and the probe found no WALinuxAgent' : 'Running on Azure and no guest agent version reported to Azure');
  }

  // no_integration_services: without hypervkvpd the host sees no IP or OS of the guest; without
  // hypervvssd host backups are not application-consistent. The KVP data is the host's own view.
  if (cloud === 'hyperv' && running) {
    const daemons = read?.agent?.hypervDaemons;
    const reasons: string[] = [];
    if (daemons && !daemons.kvp && !daemons.vss) reasons.push('the probe found neither hypervkvpd nor hypervvssd running');
    if (!clean(vm.guestAgentVersion)) reasons.push('the host has no KVP data from the guest');
    if (reasons.length > 0) add('no_integration_services', 'warning', `Running on Hyper-V and ${reasons.join(', and ')}`);
  }

  // probe_stale: every finding above that rests on the guest needs a recent probe; only a running
  // VM can be probed, so a stopped one is not flagged.
  if (running) {
    if (!probe) add('probe_stale', 'info', 'Running and never probed');
    else if (probe.status !== 'ok') add('probe_stale', 'info', `Last probe (${when(probe.probedAt)}) failed: ${probe.status}`);
    else if (validDate(now)) {
      // Without a valid clock nothing can be called old: judged on the next run.
      const age = ageHours(probe.probedAt, now);
      if (age === null) add('probe_stale', 'info', 'Last probe has no valid time');
      else if (age > staleAfterHours) add('probe_stale', 'info', `Last probe (${when(probe.probedAt)}) is ${Math.floor(age)} h old, over the ${staleAfterHours} h limit`);
    }
  }
  return findings;
}

/** Critical first, then warning, then info; by code within a severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding): number => FINDING_SEVERITIES.indexOf(f.severity);
  return [...findings].sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code));
}

/** The model the image implies: rhel-byos is Cloud Access; any other RedHat marketplace offer is PAYG. */
function imageLicenseModel(vm: FleetVmFacts): 'payg' | 'byos' | null {
  const image = vm.image;
  if (!image || image.kind !== 'marketplace') return null;
  if (lower(image.offer) === 'rhel-byos') return 'byos';
  if (lower(image.publisher) === 'redhat') return 'payg';
  return null;
}

function paygBasis(vm: FleetVmFacts, licenseType: string | null): string {
  if (imageLicenseModel(vm) === 'payg') return `PAYG image (${imageName(vm)})`;
  if (licenseType && RHEL_PAYG_LICENSE_TYPES.has(licenseType)) return `PAYG by licenseType ${licenseType}`;
  return 'PAYG VM';
}

function imageName(vm: FleetVmFacts): string {
  const image = vm.image;
  if (!image) return 'unknown image';
  if (image.kind === 'custom') return 'custom image';
  return [image.publisher, image.offer, image.sku].map((part) => part ?? '?').join(':');
}

function orgOf(probe: GuestProbeResult): string {
  const org = clean(probe.rhsm?.orgId);
  return org ? `org ${org}` : '(org unknown)';
}

/** The first RHUI repo file or package the probe saw, or null when none. */
function rhuiEvidence(probe: GuestProbeResult | null): string | null {
  const seen = [...(Array.isArray(probe?.rhui?.repoFiles) ? probe.rhui.repoFiles : []), ...(Array.isArray(probe?.rhui?.packages) ? probe.rhui.packages : [])].filter(
    (name): name is string => typeof name === 'string' && name.trim() !== '',
  );
  return seen.length > 0 ? seen.join(', ') : null;
}

function validDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

function ageHours(probedAt: unknown, now: Date): number | null {
  if (!(probedAt instanceof Date) || Number.isNaN(probedAt.getTime()) || !(now instanceof Date) || Number.isNaN(now.getTime())) return null;
  return (now.getTime() - probedAt.getTime()) / 3_600_000;
}

function when(date: unknown): string {
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : 'time unknown';
}

function validHours(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_STALE_AFTER_HOURS;
}

function clean(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function upper(value: unknown): string | null {
  return clean(value)?.toUpperCase() ?? null;
}

function lower(value: unknown): string | null {
  return clean(value)?.toLowerCase() ?? null;
}
