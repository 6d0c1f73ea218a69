import { ActivityLog, activityTimestamp, parseActivityLogFilter } from './activity-log.js';
import { PowerTimeline, simMetricValue } from './sim-metrics.js';

describe('Activity Log $filter', () => {
  it('requires eventTimestamp ge and reads the supported clauses case-insensitively', () => {
    expect(parseActivityLogFilter(undefined)).toMatch(/required/);
    expect(parseActivityLogFilter("resourceGroupName eq 'rg'")).toMatch(/eventTimestamp ge/);
    expect(parseActivityLogFilter("eventTimestamp ge 'x'")).toMatch(/not a valid date/);
    expect(parseActivityLogFilter("eventTimestamp ge '2024-01-01T00:00:00Z' and levels eq 'Error'")).toMatch(/not supported/);
    expect(parseActivityLogFilter("eventTimestamp gt '2024-01-01T00:00:00Z'")).toMatch(/not valid/);
    expect(
      parseActivityLogFilter("eventTimestamp ge '2024-01-01T00:00:00Z' AND eventTimestamp le '2024-01-02T00:00:00Z' and eventChannels eq 'Admin, Operation' and resourceProvider eq 'Microsoft.Compute'"),
    ).toEqual({ fromMs: Date.parse('2024-01-01T00:00:00Z'), toMs: Date.parse('2024-01-02T00:00:00Z'), resourceProvider: 'Microsoft.Compute' });
    for (const [field, key] of [
      ['resourceUri', 'resourceUri'],
      ['correlationId', 'correlationId'],
      ['resourceGroupName', 'resourceGroupName'],
    ]) {
      expect(parseActivityLogFilter(`eventTimestamp ge '2024-01-01T00:00:00Z' and ${field} eq 'x'`)).toEqual({ fromMs: Date.parse('2024-01-01T00:00:00Z'), toMs: null, [key]: 'x' });
    }
    expect(parseActivityLogFilter("eventTimestamp ge '2024-01-01T00:00:00Z' and resourceUri eq '/a' and correlationId eq 'c'")).toMatch(/only one of/);
  });

  it('writes timestamps with seven fractional digits', () => {
    expect(activityTimestamp(Date.parse('2015-01-21T22:14:26.979Z'), 2776)).toBe('2015-01-21T22:14:26.9792776Z');
  });

  it('records deterministic pairs and hides events until they are visible', () => {
    const a = new ActivityLog('t', 3);
    const b = new ActivityLog('t', 3);
    const target = { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm', subscriptionId: 's', resourceGroup: 'rg', name: 'vm' };
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(a.record(target, 'start', { nowMs: now })).toBe(b.record(target, 'start', { nowMs: now }));
    a.record(target, 'delete', { nowMs: now, at: new Date(now - 60_000), visibleAt: new Date(now + 60_000) });
    const filter = { fromMs: now - 3600_000, toMs: null };
    expect(a.query('S', filter, now)).toHaveLength(2);
    expect(a.query('S', filter, now + 60_000)).toHaveLength(4);
  });
});

describe('simulated metrics', () => {
  it('are deterministic per (vm, metric, minute) and in range', () => {
    const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm';
    const minute = Date.parse('2026-01-01T12:00:00Z');
    expect(simMetricValue(id, 'Percentage CPU', minute)).toBe(simMetricValue(id.toUpperCase(), 'percentage cpu', minute + 59_999));
    expect(simMetricValue(id, 'Percentage CPU', minute)).not.toBe(simMetricValue(id, 'Percentage CPU', minute + 60_000));
    const cpu = simMetricValue(id, 'Percentage CPU', minute);
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThanOrEqual(100);
    expect(Number.isInteger(simMetricValue(id, 'Disk Read Bytes', minute))).toBe(true);
    expect(() => simMetricValue(id, 'Nope', minute)).toThrow(/Unknown metric/);
  });

  it('follow the power timeline', () => {
    const power = new PowerTimeline();
    power.begin('vm', true);
    power.change('VM', false, 1_000_000);
    expect(power.runningAt('vm', 999_999)).toBe(true);
    expect(power.runningAt('vm', 1_000_000)).toBe(false);
    power.begin('new', true, 2_000_000);
    expect(power.runningAt('new', 1_999_999)).toBe(false);
    expect(power.runningAt('new', 2_000_000)).toBe(true);
  });
});
