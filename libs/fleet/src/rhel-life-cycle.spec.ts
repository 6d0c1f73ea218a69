import { RHEL_LIFE_CYCLE_DATA } from './rhel-life-cycle.data.js';
import { loadRhelLifeCycle, parseVersion, RHEL_LIFE_CYCLE, RhelLifeCycleDataError, supportStatusOf } from './rhel-life-cycle.js';

const at = (day: string, time = '12:00:00'): Date => new Date(`${day}T${time}Z`);
const status = (version: string | null, day: string, time?: string) => supportStatusOf(version, at(day, time)).status;
const clone = (): { majors: Record<string, unknown>[] } & Record<string, unknown> => JSON.parse(JSON.stringify(RHEL_LIFE_CYCLE_DATA));

describe('the shipped RHEL life-cycle table', () => {
  it('loads, names its sources and the day they were read', () => {
    expect(RHEL_LIFE_CYCLE.readOn).toBe('2026-12-08');
    expect(RHEL_LIFE_CYCLE.sources.map((s) => s.url)).toEqual(
      expect.arrayContaining(['https://access.redhat.com/support/policy/updates/errata', 'https://access.redhat.com/articles/rhel-eus']),
    );
    expect(RHEL_LIFE_CYCLE.majors.map((m) => m.major)).toEqual([7, 8, 9, 10]);
  });

  it('carries the dates the issue names', () => {
    const seven = RHEL_LIFE_CYCLE.majors.find((m) => m.major === 7);
    expect(seven?.maintenanceEnds).toBe('2024-06-30');
    expect(seven?.minors.at(-1)).toMatchObject({ minor: 9, final: true, supportEnds: '2024-06-30' });
  });

  it('refuses a date that does not parse, listing every problem', () => {
    const data = clone();
    data.majors[1].maintenanceEnds = '2029-02-30';
    (data.majors[2].minors as Record<string, unknown>[])[4].eusEnds = 'soon';
    try {
      loadRhelLifeCycle(data);
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(RhelLifeCycleDataError);
      const problems = (error as RhelLifeCycleDataError).problems;
      expect(problems).toContain('RHEL 8 maintenanceEnds: "2029-02-30" is not a YYYY-MM-DD date');
      expect(problems).toContain('RHEL 9.4 eusEnds: "soon" is not a YYYY-MM-DD date');
    }
  });

  it('refuses minors out of order and a support end that does not meet the next release', () => {
    const data = clone();
    const minors = data.majors[2].minors as Record<string, unknown>[];
    [minors[1], minors[2]] = [minors[2], minors[1]];
    expect(() => loadRhelLifeCycle(data)).toThrow(/RHEL 9\.2: minors must be in increasing order/);
    const gap = clone();
    (gap.majors[1].minors as Record<string, unknown>[])[3].supportEnds = '2021-05-31';
    expect(() => loadRhelLifeCycle(gap)).toThrow(/RHEL 8\.3: support must end the day before 8\.4 came out \(2021-05-17\)/);
  });

  it('refuses a final minor that does not end with its major, majors out of order, a table without sources', () => {
    const data = clone();
    (data.majors[1].minors as Record<string, unknown>[])[10].supportEnds = '2029-06-30';
    expect(() => loadRhelLifeCycle(data)).toThrow(/RHEL 8\.10: the final minor's support must end with the major's maintenance/);
    const swapped = clone();
    [swapped.majors[0], swapped.majors[1]] = [swapped.majors[1], swapped.majors[0]];
    expect(() => loadRhelLifeCycle(swapped)).toThrow(/RHEL 7: majors must be in increasing order/);
    expect(() => loadRhelLifeCycle({ ...clone(), sources: [] })).toThrow(/must name its sources/);
    expect(() => loadRhelLifeCycle(null)).toThrow(RhelLifeCycleDataError);
  });
});

describe('supportStatusOf', () => {
  it('judges a bare major by the major: 9 in full support until 2027-05-31, the last day included', () => {
    expect(supportStatusOf('9', at('2026-12-08'))).toEqual({
      status: 'full',
      until: new Date('2027-05-31T00:00:00Z'),
      reason: 'RHEL 9 (minor unknown) is in full support until 2027-05-31',
    });
    expect(status('9', '2027-05-31', '23:59:59')).toBe('full');
    expect(status('9', '2027-06-01', '00:00:00')).toBe('maintenance');
    expect(status('9', '2032-05-31')).toBe('maintenance');
    expect(status('9', '2032-06-01')).toBe('extended_support_only');
    expect(status('9', '2035-05-31')).toBe('extended_support_only');
    expect(status('9', '2035-06-01')).toBe('end_of_life');
  });

  it('takes 7.9 through maintenance (ended 2024-06-30), ELS, then end of life', () => {
    expect(status('7.9', '2024-06-30', '23:59:59')).toBe('maintenance');
    expect(supportStatusOf('7.9', at('2024-07-01'))).toEqual({
      status: 'extended_support_only',
      until: new Date('2028-06-30T00:00:00Z'),
      reason: 'RHEL 7.9 ended maintenance on 2024-06-30; only Extended Life-cycle Support (an add-on) covers it, until 2028-06-30',
    });
    expect(status('7.9', '2028-06-30')).toBe('extended_support_only');
    expect(supportStatusOf('7.9', at('2028-07-01'))).toEqual({
      status: 'end_of_life',
      until: null,
      reason: 'RHEL 7.9 ended maintenance on 2024-06-30; Extended Life-cycle Support ended on 2028-06-30',
    });
    expect(status('7', '2026-12-08')).toBe('extended_support_only');
  });

  it('takes 8.10, the final 8, through full (to 2024-05-31) and maintenance (to 2029-05-31)', () => {
    expect(status('8.10', '2024-05-31')).toBe('full');
    expect(status('8.10', '2024-06-01')).toBe('maintenance');
    expect(supportStatusOf('8.10', at('2026-12-08')).until).toEqual(new Date('2029-05-31T00:00:00Z'));
    expect(status('8.10', '2029-05-31')).toBe('maintenance');
    expect(status('8.10', '2029-06-01')).toBe('extended_support_only');
    expect(status('8.10', '2032-06-01')).toBe('end_of_life');
  });

  it('takes 9.4 through full support until 9.5 came out, EUS to 2026-04-30, then end of life', () => {
    expect(supportStatusOf('9.4', at('2024-06-01'))).toEqual({
      status: 'full',
      until: new Date('2024-11-11T00:00:00Z'),
      reason: 'RHEL 9.4 is in full support until 2024-11-11, when the next minor replaced it',
    });
    expect(status('9.4', '2024-11-11', '23:59:59')).toBe('full');
    expect(supportStatusOf('9.4', at('2024-11-12', '00:00:00'))).toEqual({
      status: 'eus',
      until: new Date('2026-04-30T00:00:00Z'),
      reason: 'RHEL 9.4 is covered only by Extended Update Support (an add-on) until 2026-04-30',
    });
    expect(status('9.4', '2026-04-30', '23:59:59')).toBe('eus');
    expect(supportStatusOf('9.4', at('2026-05-01', '00:00:00'))).toEqual({
      status: 'end_of_life',
      until: null,
      reason: 'RHEL 9.4 is past its end: its Extended Update Support ended on 2026-04-30; update to 9.7',
    });
  });

  it('ends a minor without EUS when the next came out', () => {
    expect(status('9.5', '2025-05-14')).toBe('full');
    expect(supportStatusOf('9.5', at('2025-05-15')).reason).toBe(
      'RHEL 9.5 is past its end: it was replaced on 2025-05-15 and had no Extended Update Support; update to 9.7',
    );
    expect(status('8.9', '2024-05-21')).toBe('full');
    expect(status('8.9', '2024-05-22')).toBe('end_of_life');
  });

  it('keeps the newest minor with its major', () => {
    expect(supportStatusOf('9.7', at('2026-12-08'))).toMatchObject({ status: 'full', until: new Date('2027-05-31T00:00:00Z') });
  });

  it('answers unknown, with the reason, for what the table cannot judge', () => {
    expect(supportStatusOf(null, at('2026-12-08'))).toEqual({ status: 'unknown', until: null, reason: 'the RHEL version is not known' });
    expect(supportStatusOf('', at('2026-12-08')).reason).toBe('the RHEL version is not known');
    expect(supportStatusOf('nine', at('2026-12-08')).reason).toBe('RHEL version "nine" is not major or major.minor');
    expect(supportStatusOf('6.10', at('2026-12-08')).reason).toBe('RHEL 6 is not in the life-cycle table');
    expect(supportStatusOf('9.12', at('2026-12-08')).reason).toBe('RHEL 9.12 is not in the life-cycle table');
    expect(supportStatusOf('9.7', at('2025-10-01')).reason).toBe('RHEL 9.7 is not released until 2025-11-01');
    expect(supportStatusOf('9.4', new Date('garbage')).status).toBe('unknown');
  });

  it('reads versions as the inventory and /etc/os-release write them', () => {
    expect(parseVersion('9')).toEqual({ major: 9, minor: null });
    expect(parseVersion('8.10')).toEqual({ major: 8, minor: 10 });
    expect(parseVersion(' 9.4.1 ')).toEqual({ major: 9, minor: 4 });
    expect(parseVersion('9.x')).toBeNull();
    expect(parseVersion(undefined)).toBeNull();
  });
});
