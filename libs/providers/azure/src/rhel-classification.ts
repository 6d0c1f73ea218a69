import { RHEL_BYOS_LICENSE_TYPE, RHEL_PAYG_LICENSE_TYPES, type LicenseModel, type OsClassification } from '@hybridforms/core';

/** What the classification looks at; every field as ARM gives it (any casing, possibly absent). */
export interface AzureOsFacts {
  /** instanceView.osName / osVersion as the guest agent reports them (null when deallocated). */
  guestOsName?: string | null;
  guestOsVersion?: string | null;
  imageReference?: {
    publisher?: string;
    offer?: string;
    sku?: string;
    version?: string;
    exactVersion?: string;
    id?: string;
    sharedGalleryImageId?: string;
    communityGalleryImageId?: string;
  } | null;
  plan?: { name?: string; publisher?: string; product?: string } | null;
  /** storageProfile.osDisk.osType. */
  osDiskType?: string | null;
  licenseType?: string | null;
}

/** The classification of one VM: the OS, and the RHEL license model. */
export interface AzureOsClassification extends OsClassification {
  /** The license model if the machine runs RHEL, whatever this data could tell of its OS. */
  rhelLicenseModel: LicenseModel;
  /** The raw licenseType; null when absent or None. */
  licenseType: string | null;
}

/** The osName of every VM classified rhel, whatever source said so (the guest says `redhat`). */
export const RHEL_NAME = 'Red Hat Enterprise Linux';

const RHEL_BYOS_OFFER = 'rhel-byos';

const RHEL_NAME_PATTERN = /red ?hat|rhel/i;
const WINDOWS_NAME_PATTERN = /windows/i;
// Guest agent names of Linux distributions other than RHEL (WALinuxAgent reports the distro id).
const OTHER_LINUX_NAME_PATTERN =
  /ubuntu|debian|centos|sles|suse|oracle|alma|rocky|fedora|mariner|azurelinux|azure linux|flatcar|coreos|amazon|alpine|\barch\b|gentoo|kali|clear-linux|photon|\blinux\b/i;

// Marketplace publishers whose images are Linux but not RHEL, with the name we show for them.
const OTHER_LINUX_PUBLISHERS: Record<string, string> = {
  canonical: 'Ubuntu',
  suse: 'SUSE Linux Enterprise',
  debian: 'Debian',
  credativ: 'Debian',
  openlogic: 'CentOS',
  oracle: 'Oracle Linux',
  almalinux: 'AlmaLinux',
  resf: 'Rocky Linux',
  erockyenterprisesoftwarefoundationinc1653071250513: 'Rocky Linux',
  kinvolk: 'Flatcar Container Linux',
  microsoftcblmariner: 'Azure Linux',
  'microsoft-azure-linux': 'Azure Linux',
};
const OTHER_LINUX_OFFER_PATTERN = /ubuntu|debian|sles|suse|centos|oracle-linux|alma|rocky|flatcar|mariner|azure-linux|fedora/i;

/**
 * Classifies the OS of an Azure VM (DESIGN.md "Inventory semantics"): the guest agent's report
 * beats the marketplace image, which beats the OS disk type; a custom image says nothing by
 * itself. RHEL versions are major.minor where any source knows the minor.
 */
export function classifyAzureVm(facts: AzureOsFacts): AzureOsClassification {
  const licenseType = normalizeLicenseType(facts.licenseType);
  const os = classifyOs(facts);
  return { ...os, rhelLicenseModel: rhelLicenseModelOf(facts, licenseType), licenseType };
}

/** The classification a marketplace image carries by itself (for image records). */
export function classifyImage(imageReference: AzureOsFacts['imageReference'], plan?: AzureOsFacts['plan']): OsClassification {
  const fromImage = classifyFromImage({ imageReference, plan });
  return fromImage ?? { osFamily: 'unknown', osName: null, osVersion: null, osSource: null };
}

function classifyOs(facts: AzureOsFacts): OsClassification {
  const guestName = clean(facts.guestOsName);
  const guestVersion = clean(facts.guestOsVersion);
  if (guestName) {
    if (RHEL_NAME_PATTERN.test(guestName)) {
      return { osFamily: 'rhel', osName: RHEL_NAME, osVersion: rhelVersion(facts), osSource: 'guest-agent' };
    }
    if (WINDOWS_NAME_PATTERN.test(guestName)) {
      return { osFamily: 'windows', osName: guestName, osVersion: guestVersion, osSource: 'guest-agent' };
    }
    if (OTHER_LINUX_NAME_PATTERN.test(guestName)) {
      return { osFamily: 'linux-other', osName: guestName, osVersion: guestVersion, osSource: 'guest-agent' };
    }
    // An OS name we do not know: let the image or the disk decide.
  }
  const fromImage = classifyFromImage(facts);
  if (fromImage) {
    return fromImage.osFamily === 'rhel' ? { ...fromImage, osVersion: rhelVersion(facts) } : { ...fromImage, osVersion: guestVersion };
  }
  if (clean(facts.osDiskType)?.toLowerCase() === 'windows') {
    return { osFamily: 'windows', osName: 'Windows', osVersion: guestVersion, osSource: 'disk' };
  }
  // A Linux OS disk could be RHEL: say nothing rather than guess.
  return { osFamily: 'unknown', osName: null, osVersion: null, osSource: null };
}

function classifyFromImage(facts: Pick<AzureOsFacts, 'imageReference' | 'plan'>): OsClassification | null {
  const publisher = lower(facts.imageReference?.publisher);
  const offer = lower(facts.imageReference?.offer);
  const product = lower(facts.plan?.product);
  if (publisher === 'redhat' || product?.startsWith('rhel')) {
    return { osFamily: 'rhel', osName: RHEL_NAME, osVersion: rhelVersionFromImage(facts), osSource: 'image' };
  }
  if (!publisher) return null;
  if (publisher.startsWith('microsoftwindows') || (offer && (/windows/.test(offer) || /(^|-)ws20\d\d/.test(offer)))) {
    return { osFamily: 'windows', osName: publisher === 'microsoftwindowsserver' ? 'Windows Server' : 'Windows', osVersion: null, osSource: 'image' };
  }
  const known = OTHER_LINUX_PUBLISHERS[publisher];
  if (known || (offer && OTHER_LINUX_OFFER_PATTERN.test(offer))) {
    return { osFamily: 'linux-other', osName: known ?? facts.imageReference?.offer ?? null, osVersion: null, osSource: 'image' };
  }
  return null;
}

/** The RHEL version from the best source: the guest's report, the image version, the sku. */
function rhelVersion(facts: AzureOsFacts): string | null {
  const guest = clean(facts.guestOsName) && RHEL_NAME_PATTERN.test(facts.guestOsName ?? '') ? versionFromGuest(facts.guestOsVersion) : null;
  return guest ?? rhelVersionFromImage(facts);
}

function rhelVersionFromImage(facts: Pick<AzureOsFacts, 'imageReference' | 'plan'>): string | null {
  const image = facts.imageReference;
  const isRedHatImage = lower(image?.publisher) === 'redhat';
  if (isRedHatImage) {
    const fromVersion = versionFromImageVersion(image?.version, image?.exactVersion);
    if (fromVersion) return fromVersion;
  }
  // A gallery image built from a Gold Image carries the plan, whose name is the sku.
  const sku = (isRedHatImage ? image?.sku : undefined) ?? (lower(facts.plan?.product)?.startsWith('rhel') ? facts.plan?.name : undefined);
  return rhelVersionFromSku(sku);
}

function versionFromGuest(version: string | null | undefined): string | null {
  const match = /^(\d+)(?:\.(\d+))?/.exec(clean(version) ?? '');
  if (!match) return null;
  return match[2] !== undefined ? `${Number(match[1])}.${Number(match[2])}` : String(Number(match[1]));
}

/** `9.4.2024061414` → 9.4; `latest` uses the exactVersion it resolved to. */
export function versionFromImageVersion(version: string | null | undefined, exactVersion?: string | null): string | null {
  const v = clean(version);
  const resolved = v && v.toLowerCase() === 'latest' ? clean(exactVersion) : v;
  const match = /^(\d+)\.(\d+)\.\d+/.exec(resolved ?? '');
  return match ? `${Number(match[1])}.${Number(match[2])}` : null;
}

/**
 * The RHEL version a marketplace sku names: `8_10` and `7.9` → major.minor; `810sapha-gen2` and
 * `rhel-lvm87` pack major and minor together (RHEL majors are 7..10, so a leading 1 is 10);
 * `8-lvm-gen2`, `7-LVM`, `rhel-lvm8` name only the major.
 */
export function rhelVersionFromSku(sku: string | null | undefined): string | null {
  const s = clean(sku)?.toLowerCase();
  if (!s) return null;
  const separated = /^(\d+)[._](\d+)/.exec(s);
  if (separated) return `${Number(separated[1])}.${Number(separated[2])}`;
  const packedSap = /^(1\d|[2-9])(\d{1,2})sap/.exec(s);
  if (packedSap) return `${Number(packedSap[1])}.${Number(packedSap[2])}`;
  const gold = /^rhel-[a-z]*?(1\d|[2-9])(\d{1,2})?(?:$|[-_])/.exec(s);
  if (gold) return gold[2] !== undefined ? `${Number(gold[1])}.${Number(gold[2])}` : String(Number(gold[1]));
  const major = /^(\d+)(?=$|[-_a-z])/.exec(s);
  return major ? String(Number(major[1])) : null;
}

/**
 * The license model of the machine if it runs RHEL. A RHEL PAYG licenseType (Hybrid Benefit
 * BYOS → PAYG) wins over everything; RHEL_BYOS, the rhel-byos offer or plan and a custom image
 * mean the customer's own subscription (Cloud Access); a RedHat marketplace image is billed
 * per hour.
 */
function rhelLicenseModelOf(facts: AzureOsFacts, licenseType: string | null): LicenseModel {
  const upper = licenseType?.toUpperCase() ?? null;
  if (upper && RHEL_PAYG_LICENSE_TYPES.has(upper)) return 'payg';
  if (upper === RHEL_BYOS_LICENSE_TYPE) return 'byos';
  const image = facts.imageReference;
  if (lower(image?.offer) === RHEL_BYOS_OFFER || lower(facts.plan?.product) === RHEL_BYOS_OFFER) return 'byos';
  if (lower(image?.publisher) === 'redhat') return 'payg';
  if (isCustomImage(image)) return 'byos';
  return 'unknown';
}

/** A managed, gallery or community image by id, or an attached disk: nothing from the marketplace. */
function isCustomImage(image: AzureOsFacts['imageReference']): boolean {
  if (!image) return true;
  return !clean(image.publisher) && Boolean(clean(image.id) || clean(image.sharedGalleryImageId) || clean(image.communityGalleryImageId));
}

/** licenseType as stored: null when absent, empty or `None` (Hybrid Benefit reverted). */
export function normalizeLicenseType(value: string | null | undefined): string | null {
  const v = clean(value);
  return v && v.toLowerCase() !== 'none' ? v : null;
}

function clean(value: string | null | undefined): string | null {
  const v = typeof value === 'string' ? value.trim() : '';
  return v === '' ? null : v;
}

function lower(value: string | null | undefined): string | null {
  return clean(value)?.toLowerCase() ?? null;
}
