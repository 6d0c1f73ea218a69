import type { LicenseModel, OsClassification, OsFamily, OsSource } from './inventory-graph.js';

// What the guest reports beats the image, which beats the OS disk type.
const SOURCE_RANK: Record<OsSource, number> = { 'guest-agent': 3, kvp: 3, image: 2, disk: 1 };

export function osSourceRank(source: OsSource | null): number {
  return source ? SOURCE_RANK[source] : 0;
}

/** 2 for major.minor (8.10), 1 for a bare major (9), 0 for none. */
export function versionPrecision(version: string | null): number {
  if (!version) return 0;
  return /^\d+\.\d+/.test(version) ? 2 : 1;
}

/**
 * The license model of a VM: the one its data implies when it runs RHEL, none otherwise. The one
 * place it is decided: parsers give only `rhelLicenseModel`, since the family that counts may be
 * a stored, more trusted one (mergeOsClassification).
 */
export function licenseModelFor(osFamily: OsFamily, rhelLicenseModel: LicenseModel): LicenseModel | null {
  return osFamily === 'rhel' ? rhelLicenseModel : null;
}

/** The classification columns a stored VM carries, with the license model derived from them. */
export interface StoredVmClassification extends OsClassification {
  licenseModel: LicenseModel | null;
}

/**
 * Merges a fresh classification into the stored one, keeping the rule that a refresh with only a
 * less trusted or less precise source never overwrites a better answer stored earlier (a RHEL VM
 * deallocated after its guest agent reported stays "rhel 9.4 from guest-agent").
 *
 * `rhelLicenseModel` is the license model the fresh data implies if the machine runs RHEL; it is
 * used whenever the merged family is rhel, so that a kept classification gets a license model.
 */
export function mergeOsClassification(
  stored: StoredVmClassification | null,
  fresh: OsClassification,
  rhelLicenseModel: LicenseModel,
): StoredVmClassification {
  let os: OsClassification = fresh;
  if (stored && stored.osSource) {
    const storedRank = osSourceRank(stored.osSource);
    const freshRank = osSourceRank(fresh.osSource);
    if (freshRank < storedRank) {
      os = pick(stored);
    } else if (
      freshRank === storedRank &&
      fresh.osFamily === stored.osFamily &&
      versionPrecision(fresh.osVersion) < versionPrecision(stored.osVersion) &&
      sameMajor(fresh.osVersion, stored.osVersion)
    ) {
      // Same source, same family, but only the major now (e.g. an image sku after a version
      // pin was dropped): keep the minor we knew.
      os = { ...fresh, osVersion: stored.osVersion };
    }
  }
  return { ...pick(os), licenseModel: licenseModelFor(os.osFamily, rhelLicenseModel) };
}

function sameMajor(a: string | null, b: string | null): boolean {
  if (!a || !b) return a === null;
  return a.split('.')[0] === b.split('.')[0];
}

function pick(os: OsClassification): OsClassification {
  return { osFamily: os.osFamily, osName: os.osName, osVersion: os.osVersion, osSource: os.osSource };
}
