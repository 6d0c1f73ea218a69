import { FaultInjector } from './fault.injector.js';

describe('FaultInjector', () => {
  it('applies a fault `times` times to its route only', () => {
    const faults = new FaultInjector();
    faults.inject({ route: 'virtualMachines', kind: 'error', times: 2 });
    expect(faults.take('disks', 1)).toBeUndefined();
    expect(faults.take('virtualMachines', 1)?.kind).toBe('error');
    expect(faults.take('VIRTUALMACHINES', 2)?.kind).toBe('error');
    expect(faults.take('virtualMachines', 3)).toBeUndefined();
  });

  it('targets one page of a list, never a non-paged request', () => {
    const faults = new FaultInjector();
    faults.inject({ route: '*', page: 3, kind: 'drop', times: Infinity });
    expect(faults.take('networkInterfaces', 2)).toBeUndefined();
    expect(faults.take('networkInterfaces', undefined)).toBeUndefined();
    expect(faults.take('networkInterfaces', 3)?.kind).toBe('drop');
    expect(faults.take('disks', 3)?.kind).toBe('drop');
  });

  it('rejects unknown routes and kinds, and clears', () => {
    const faults = new FaultInjector();
    expect(() => faults.inject({ route: 'virtualMachine', kind: 'error' })).toThrow(/route/);
    expect(() => faults.inject({ route: 'disks', kind: 'explode' as 'error' })).toThrow(/kind/);
    const id = faults.inject({ route: 'token', kind: 'slow' });
    expect(id).toMatch(/^fault-/);
    faults.clear();
    expect(faults.take('token', undefined)).toBeUndefined();
  });

  it('knows the Azure Monitor routes, and pages of the Activity Log', () => {
    const faults = new FaultInjector();
    faults.inject({ route: 'metricsBatch', kind: 'throttle', retryAfterSeconds: null });
    faults.inject({ route: 'activityLogs', page: 2, kind: 'malformed' });
    faults.inject({ route: 'metrics', kind: 'error', status: 503 });
    expect(faults.take('activityLogs', 1)).toBeUndefined();
    expect(faults.take('activityLogs', 2)?.kind).toBe('malformed');
    expect(faults.take('metricsBatch', undefined)).toMatchObject({ kind: 'throttle', retryAfterSeconds: null });
    expect(faults.take('metrics', undefined)).toMatchObject({ kind: 'error', status: 503 });
  });

  it('knows the routes of the long-running VM operations and their polls', () => {
    const faults = new FaultInjector();
    faults.inject({ route: 'operations', kind: 'throttle', retryAfterSeconds: 1, times: 2 });
    faults.inject({ route: 'virtualMachineActions', kind: 'error', status: 500 });
    expect(faults.take('virtualMachines', undefined)).toBeUndefined();
    expect(faults.take('virtualMachineActions', undefined)).toMatchObject({ kind: 'error', status: 500 });
    expect(faults.take('operations', undefined)).toMatchObject({ kind: 'throttle', retryAfterSeconds: 1 });
    expect(faults.take('operations', undefined)?.kind).toBe('throttle');
    expect(faults.take('operations', undefined)).toBeUndefined();
  });

  it('accepts the routes of the creates, the deletions and the marketplace agreements', () => {
    const faults = new FaultInjector();
    for (const route of ['resourceCreations', 'resourceDeletions', 'marketplaceAgreements']) faults.inject({ route, kind: 'error', status: 503 });
    expect(faults.take('resourceCreations', undefined)).toMatchObject({ status: 503 });
    expect(faults.take('resourceDeletions', undefined)).toMatchObject({ status: 503 });
    expect(faults.take('marketplaceAgreements', undefined)).toMatchObject({ status: 503 });
  });
});
