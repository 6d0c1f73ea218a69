import type { LicenseModel, OsClassification } from '@hybridforms/core';

/**
 * Classifies a Hyper-V guest from its KVP (Data Exchange) intrinsic items: what the guest itself
 * reports (DESIGN.md "Inventory semantics": osSource 'kvp'). KVP is there only while the VM runs
 * and the guest's daemon (hyperv-daemons / hv_kvp_daemon on RHEL) answers; without it we say
 * unknown rather than guess.
 */

/** Intrinsic KVP items by key, as our projection prints them (`Items` of `[{VMId, Items}]`). */
export type KvpItems = Readonly<Record<string, string | null | undefined>>;

/** A Hyper-V VM's OS classification, license model and integration services version. */
export interface HyperVOsClassification extends OsClassification {
  /** On-premises RHEL is always the customer's own subscription. */
  rhelLicenseModel: LicenseModel;
  /** KVP IntegrationServicesVersion (the Linux daemon reports the driver's "3.1"). */
  guestAgentVersion: string | null;
  /** The name the guest gives itself (KVP FullyQualifiedDomainName). */
  fullyQualifiedDomainName: string | null;
}

/** The osName of every guest classified rhel, whatever its os-release NAME says (RHEL 7 adds "Server"). */
export const RHEL_NAME = 'Red Hat Enterprise Linux';

/** On-premises RHEL runs on the customer's own subscription. */
const HYPERV_RHEL_LICENSE_MODEL: LicenseModel = 'byos';

const RHEL_NAME_PATTERN = /red ?hat enterprise linux|\brhel\b/i;
// RHEL CoreOS (OpenShift nodes) comes with OpenShift and its VERSION_ID is the OpenShift release.
const RHEL_COREOS_PATTERN = /coreos/i;
const WINDOWS_NAME_PATTERN = /windows/i;
// os-release NAMEs of Linux distributions other than RHEL. FreeBSD also has a KVP daemon: not Linux.
const OTHER_LINUX_NAME_PATTERN =
  /ubuntu|debian|centos|sles|suse|oracle|alma|rocky|fedora|mariner|azure ?linux|flatcar|coreos|amazon|alpine|\barch\b|gentoo|kali|photon|mint|\blinux\b/i;

/**
 * Classifies a guest from its KVP items. RHEL gets major.minor from os-release VERSION_ID, which
 * the Linux daemon puts whole in OSMajorVersion ("9.6"); KVP OSVersion is only the kernel
 * (`uname -r` up to the first '-', "5.14.0") and is never read as the RHEL version. Windows keeps
 * its own OSVersion ("10.0.20348"); other Linux its VERSION_ID.
 *
 * @param items The VM's intrinsic KVP items; null or empty when the guest reported nothing.
 */
export function classifyKvpGuest(items: KvpItems | null | undefined): HyperVOsClassification {
  const get = (key: string): string | null => kvpValue(items, key);
  const base = {
    rhelLicenseModel: HYPERV_RHEL_LICENSE_MODEL,
    guestAgentVersion: get('IntegrationServicesVersion'),
    fullyQualifiedDomainName: get('FullyQualifiedDomainName'),
  };
  const osName = get('OSName');
  const family = osName ? familyOf(osName) : 'unknown';
  if (!osName || family === 'unknown') {
    return { ...base, osFamily: 'unknown', osName: null, osVersion: null, osSource: null };
  }
  if (family === 'rhel') {
    return { ...base, osFamily: 'rhel', osName: RHEL_NAME, osVersion: rhelVersion(items, osName), osSource: 'kvp' };
  }
  const osVersion = family === 'windows' ? get('OSVersion') : distroVersion(items);
  return { ...base, osFamily: family, osName, osVersion, osSource: 'kvp' };
}

/**
 * The KVP items of one projected record's `Items`, null when the guest reported none. Values
 * that are not strings (a projection slip) are dropped rather than trusted.
 */
export function readKvpItems(value: unknown): KvpItems | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const items: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') items[key] = item;
  }
  return Object.keys(items).length > 0 ? items : null;
}

function familyOf(osName: string): 'rhel' | 'windows' | 'linux-other' | 'unknown' {
  if (WINDOWS_NAME_PATTERN.test(osName)) return 'windows';
  if (RHEL_NAME_PATTERN.test(osName) && !RHEL_COREOS_PATTERN.test(osName)) return 'rhel';
  if (OTHER_LINUX_NAME_PATTERN.test(osName)) return 'linux-other';
  return 'unknown';
}

/**
 * RHEL major.minor from, in order: OSMajorVersion (VERSION_ID, "9.6"; joined with OSMinorVersion
 * should a daemon split them), an os-release-less guest's /etc/redhat-release line in OSName
 * ("… release 7.9 (Maipo)"), the `el9_6` tag of the full kernel release in OSBuildNumber.
 */
function rhelVersion(items: KvpItems | null | undefined, osName: string): string | null {
  return (
    majorMinor(kvpValue(items, 'OSMajorVersion'), kvpValue(items, 'OSMinorVersion')) ??
    majorMinor(/\brelease\s+(\d+(?:\.\d+)?)/i.exec(osName)?.[1] ?? null, null) ??
    versionFromKernelRelease(kvpValue(items, 'OSBuildNumber'))
  );
}

/** The distribution's own version (VERSION_ID, "24.04"), as reported. */
function distroVersion(items: KvpItems | null | undefined): string | null {
  const major = kvpValue(items, 'OSMajorVersion');
  const minor = kvpValue(items, 'OSMinorVersion');
  if (!major) return null;
  return minor && !major.includes('.') ? `${major}.${minor}` : major;
}

function majorMinor(major: string | null, minor: string | null): string | null {
  const match = /^(\d+)(?:\.(\d+))?/.exec(major ?? '');
  if (!match) return null;
  const minorPart = match[2] ?? (minor && /^\d+$/.test(minor) ? minor : undefined);
  return minorPart !== undefined ? `${Number(match[1])}.${Number(minorPart)}` : String(Number(match[1]));
}

/** `5.14.0-570.22.1.el9_6.x86_64` → 9.6; `3.10.0-1160.el7.x86_64` → 7. */
export function versionFromKernelRelease(release: string | null | undefined): string | null {
  const match = /\.el(\d+)(?:_(\d+))?(?:\.|$)/.exec(release ?? '');
  if (!match) return null;
  return match[2] !== undefined ? `${Number(match[1])}.${Number(match[2])}` : String(Number(match[1]));
}

/** A KVP value by key (keys matched case-insensitively), trimmed; null when absent or empty. */
function kvpValue(items: KvpItems | null | undefined, key: string): string | null {
  if (!items) return null;
  const direct = items[key];
  const found = direct ?? Object.entries(items).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  const value = typeof found === 'string' ? found.trim() : '';
  return value === '' ? null : value;
}

/**
 * Classifies a template from its name alone (a VHDX file name without folder or extension, or a
 * template VM's name): the weakest evidence we have, used only where nothing better exists (a
 * file has no KVP and no sidecar). `rhel-9.4-gold` and `rhel9_4` → rhel 9.4, `rhel-8.10-gold` →
 * rhel 8.10, `RHEL9` → rhel 9; the other families by the same name patterns as KVP OSName.
 * osSource is null: the classifier's sources are what a VM reports, not what a file is called.
 */
export function classifyTemplateName(name: string): { osFamily: 'rhel' | 'windows' | 'linux-other' | 'unknown'; osName: string | null; osVersion: string | null } {
  const rhel = /(?:^|[^a-z])rhel[-_ ]?(\d+)?(?:[._-](\d+)(?![\d.]*[a-z]))?/i.exec(name) ?? /red ?hat ?enterprise ?linux[-_ ]?(\d+)?(?:[._-](\d+))?/i.exec(name);
  if (rhel && !RHEL_COREOS_PATTERN.test(name)) {
    const version = rhel[1] ? majorMinor(rhel[1], rhel[2] ?? null) : null;
    return { osFamily: 'rhel', osName: RHEL_NAME, osVersion: version };
  }
  const family = familyOf(name.replace(/[-_.]/g, ' '));
  if (family === 'rhel' || family === 'unknown') return { osFamily: 'unknown', osName: null, osVersion: null };
  return { osFamily: family, osName: null, osVersion: null };
}
