import { RHEL_LIFE_CYCLE_DATA } from './rhel-life-cycle.data.js';

/** A calendar day, YYYY-MM-DD (UTC): the last day a phase still covers. */
export type Day = string;

export interface RhelMinorRelease {
  minor: number;
  releaseDate: Day | null;
  /** Last day it gets updates as a current minor; null while it is the newest. */
  supportEnds: Day | null;
  eusEnds: Day | null;
  e4sEnds: Day | null;
  /** The last minor of its major: it follows the major's maintenance, then ELS. */
  final: boolean;
  unconfirmed: string | null;
}

export interface RhelMajorRelease {
  major: number;
  generalAvailability: Day;
  fullSupportEnds: Day;
  maintenanceEnds: Day;
  elsEnds: Day | null;
  minors: RhelMinorRelease[];
  unconfirmed: string | null;
}

export interface RhelLifeCycle {
  readOn: Day;
  sources: { title: string; url: string }[];
  majors: RhelMajorRelease[];
}

export class RhelLifeCycleDataError extends Error {
  constructor(readonly problems: string[]) {
    super(`The RHEL life-cycle table is invalid: ${problems.join('; ')}`);
    this.name = 'RhelLifeCycleDataError';
  }
}

/**
 * Validates the shipped table once, failing with every problem listed: dates parse, majors and
 * minors are in order, each non-final minor's support ends the day before the next came out, and
 * the final minor ends with its major's maintenance.
 */
export function loadRhelLifeCycle(raw: unknown): RhelLifeCycle {
  const problems: string[] = [];
  const data = (raw ?? {}) as Record<string, unknown>;
  const day = (value: unknown, where: string, nullable = false): Day | null => {
    if ((value === null || value === undefined) && nullable) return null;
    if (typeof value !== 'string' || !isDay(value)) {
      problems.push(`${where}: ${JSON.stringify(value)} is not a YYYY-MM-DD date`);
      return null;
    }
    return value;
  };
  const readOn = day(data.readOn, 'readOn') ?? '';
  const sources = Array.isArray(data.sources) ? (data.sources as { title: string; url: string }[]).map((s) => ({ title: s.title, url: s.url })) : [];
  if (sources.length === 0) problems.push('sources: the table must name its sources');
  const majors: RhelMajorRelease[] = [];
  for (const [i, m] of (Array.isArray(data.majors) ? (data.majors as Record<string, unknown>[]) : []).entries()) {
    const name = `RHEL ${String(m.major)}`;
    if (!Number.isInteger(m.major)) problems.push(`majors[${i}]: major must be an integer`);
    const major: RhelMajorRelease = {
      major: m.major as number,
      generalAvailability: day(m.generalAvailability, `${name} generalAvailability`) ?? '',
      fullSupportEnds: day(m.fullSupportEnds, `${name} fullSupportEnds`) ?? '',
      maintenanceEnds: day(m.maintenanceEnds, `${name} maintenanceEnds`) ?? '',
      elsEnds: day(m.elsEnds, `${name} elsEnds`, true),
      unconfirmed: typeof m.unconfirmed === 'string' ? m.unconfirmed : null,
      minors: [],
    };
    inOrder(problems, name, [major.generalAvailability, major.fullSupportEnds, major.maintenanceEnds, major.elsEnds]);
    const previous = majors.at(-1);
    if (previous && !(major.major > previous.major)) problems.push(`${name}: majors must be in increasing order`);
    for (const n of Array.isArray(m.minors) ? (m.minors as Record<string, unknown>[]) : []) {
      const where = `RHEL ${String(m.major)}.${String(n.minor)}`;
      if (!Number.isInteger(n.minor)) problems.push(`${where}: minor must be an integer`);
      major.minors.push({
        minor: n.minor as number,
        releaseDate: day(n.releaseDate, `${where} releaseDate`, true),
        supportEnds: day(n.supportEnds, `${where} supportEnds`, true),
        eusEnds: day(n.eusEnds, `${where} eusEnds`, true),
        e4sEnds: day(n.e4sEnds, `${where} e4sEnds`, true),
        final: n.final === true,
        unconfirmed: typeof n.unconfirmed === 'string' ? n.unconfirmed : null,
      });
    }
    if (major.minors.length === 0) problems.push(`${name}: no minor releases`);
    major.minors.forEach((minor, index) => {
      const where = `RHEL ${major.major}.${minor.minor}`;
      const next = major.minors[index + 1];
      if (next && !(next.minor > minor.minor)) problems.push(`${where}: minors must be in increasing order`);
      if (next && minor.releaseDate && next.releaseDate && !(next.releaseDate > minor.releaseDate)) problems.push(`${where}: released after ${major.major}.${next.minor}`);
      if (minor.releaseDate && minor.supportEnds && minor.supportEnds < minor.releaseDate) problems.push(`${where}: support ends before its release`);
      if (minor.eusEnds && minor.supportEnds && minor.eusEnds < minor.supportEnds) problems.push(`${where}: EUS ends before its support`);
      if (minor.final) {
        if (next) problems.push(`${where}: only the last minor can be final`);
        if (minor.supportEnds !== major.maintenanceEnds) problems.push(`${where}: the final minor's support must end with the major's maintenance (${major.maintenanceEnds})`);
      } else if (next) {
        if (minor.supportEnds === null) problems.push(`${where}: supportEnds is missing though ${major.major}.${next.minor} is out`);
        else if (next.releaseDate && minor.supportEnds !== addDays(next.releaseDate, -1)) problems.push(`${where}: support must end the day before ${major.major}.${next.minor} came out (${addDays(next.releaseDate, -1)})`);
      } else if (minor.supportEnds !== null) {
        problems.push(`${where}: the newest minor of a major still in support has supportEnds null (or is final)`);
      }
    });
    majors.push(major);
  }
  if (majors.length === 0) problems.push('majors: the table is empty');
  if (problems.length > 0) throw new RhelLifeCycleDataError(problems);
  return { readOn, sources, majors };
}

/** The shipped table, validated when this module is first imported (at start-up). */
export const RHEL_LIFE_CYCLE: RhelLifeCycle = loadRhelLifeCycle(RHEL_LIFE_CYCLE_DATA);

export type SupportStatus = 'full' | 'maintenance' | 'eus' | 'extended_support_only' | 'end_of_life' | 'unknown';

export interface SupportStatusResult {
  status: SupportStatus;
  /** The last day of the current phase (UTC midnight of that day); null when none applies. */
  until: Date | null;
  reason: string;
}

/**
 * Where a RHEL version stands on a date. `9` (minor unknown) is judged by its major alone, as if it
 * ran the newest minor; `9.4` is a minor of 9: supported with the major until the next minor came
 * out, then under EUS where 9.4 had it, then at its end; the final minor (7.9, 8.10) follows the
 * major's maintenance, then ELS (`extended_support_only`: only with the paid add-on). The last day
 * of each phase is still inside it.
 */
export function supportStatusOf(osVersion: string | null, on: Date, table: RhelLifeCycle = RHEL_LIFE_CYCLE): SupportStatusResult {
  const parsed = parseVersion(osVersion);
  if (!parsed) return unknown(osVersion ? `RHEL version "${osVersion}" is not major or major.minor` : 'the RHEL version is not known');
  if (!(on instanceof Date) || Number.isNaN(on.getTime())) return unknown('no valid date to judge on');
  const today = on.toISOString().slice(0, 10);
  const major = table.majors.find((m) => m.major === parsed.major);
  if (!major) return unknown(`RHEL ${parsed.major} is not in the life-cycle table`);
  if (parsed.minor === null) return majorPhase(major, today, `RHEL ${major.major} (minor unknown)`);
  const minor = major.minors.find((m) => m.minor === parsed.minor);
  const label = `RHEL ${major.major}.${parsed.minor}`;
  if (!minor) return unknown(`${label} is not in the life-cycle table`);
  if (minor.final) return majorPhase(major, today, label);
  if (minor.releaseDate && today < minor.releaseDate) return unknown(`${label} is not released until ${minor.releaseDate}`);
  if (minor.supportEnds === null || today <= minor.supportEnds) {
    // A current minor has what its major has, up to the next minor's release.
    const phase = majorPhase(major, today, label);
    if (minor.supportEnds === null || phase.until === null || phase.until.toISOString().slice(0, 10) <= minor.supportEnds) return phase;
    return { ...phase, until: dayToDate(minor.supportEnds), reason: `${label} is in ${phase.status} support until ${minor.supportEnds}, when the next minor replaced it` };
  }
  if (minor.eusEnds && today <= minor.eusEnds) {
    return { status: 'eus', until: dayToDate(minor.eusEnds), reason: `${label} is covered only by Extended Update Support (an add-on) until ${minor.eusEnds}` };
  }
  const ended = minor.eusEnds ? `its Extended Update Support ended on ${minor.eusEnds}` : `it was replaced on ${addDays(minor.supportEnds, 1)} and had no Extended Update Support`;
  return { status: 'end_of_life', until: null, reason: `${label} is past its end: ${ended}; update to ${major.major}.${major.minors.at(-1)?.minor}` };
}

function majorPhase(major: RhelMajorRelease, today: Day, label: string): SupportStatusResult {
  if (today <= major.fullSupportEnds) return { status: 'full', until: dayToDate(major.fullSupportEnds), reason: `${label} is in full support until ${major.fullSupportEnds}` };
  if (today <= major.maintenanceEnds) return { status: 'maintenance', until: dayToDate(major.maintenanceEnds), reason: `${label} is in maintenance support until ${major.maintenanceEnds}` };
  if (major.elsEnds && today <= major.elsEnds) {
    return { status: 'extended_support_only', until: dayToDate(major.elsEnds), reason: `${label} ended maintenance on ${major.maintenanceEnds}; only Extended Life-cycle Support (an add-on) covers it, until ${major.elsEnds}` };
  }
  const els = major.elsEnds ? `; Extended Life-cycle Support ended on ${major.elsEnds}` : '';
  return { status: 'end_of_life', until: null, reason: `${label} ended maintenance on ${major.maintenanceEnds}${els}` };
}

function unknown(reason: string): SupportStatusResult {
  return { status: 'unknown', until: null, reason };
}

/** `9`, `9.4`, `8.10`, `9.4.1` (the third part is ignored); anything else is null. */
export function parseVersion(version: string | null | undefined): { major: number; minor: number | null } | null {
  if (typeof version !== 'string') return null;
  const match = /^\s*(\d{1,3})(?:\.(\d{1,3}))?(?:\.\d+)*\s*$/.exec(version);
  if (!match) return null;
  return { major: Number(match[1]), minor: match[2] === undefined ? null : Number(match[2]) };
}

function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  // Rejects 2024-02-30, which Date would roll into March.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function dayToDate(day: Day): Date {
  return new Date(`${day}T00:00:00Z`);
}

function addDays(day: Day, days: number): Day {
  const date = dayToDate(day);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function inOrder(problems: string[], where: string, days: (Day | null)[]): void {
  const present = days.filter((d): d is Day => Boolean(d));
  for (let i = 1; i < present.length; i++) if (present[i] < present[i - 1]) problems.push(`${where}: phase dates out of order (${present[i - 1]} then ${present[i]})`);
}
