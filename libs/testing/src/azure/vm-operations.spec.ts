import { ActivityLog } from './activity-log.js';
import { SimEstate } from './sim-estate.js';
import type { SimVm } from './sim-estate.model.js';
import { PowerTimeline } from './sim-metrics.js';
import { VmOperations, type SimLongRunningOperation } from './vm-operations.js';

const SUB = 'c2d7e9f1-4a6b-4c8d-9e0f-2a3b5c7d9e1f';
const T0 = Date.parse('2026-01-01T12:00:00Z');

function setup(delayMs = 1000) {
  const estate = new SimEstate([SUB], 1);
  const log = new ActivityLog('tenant', 1);
  const power = new PowerTimeline();
  const target = (vm: SimVm) => ({ id: vm.id, subscriptionId: vm.subscriptionId, resourceGroup: vm.resourceGroup, name: vm.name });
  const operations = new VmOperations(estate, log, power, target, { delayMs, retryAfterSeconds: 1 });
  const vm = (name: string, powerState: SimVm['powerState'] = 'running') => {
    const id = estate.addVm(SUB, { name, powerState });
    power.begin(id, powerState === 'running', T0 - 60_000);
    return estate.findVm(id)!;
  };
  return { estate, log, power, operations, vm };
}

function accepted(result: ReturnType<VmOperations['begin']>): SimLongRunningOperation {
  if (!('id' in result)) throw new Error(`refused: ${result.code}`);
  return result;
}

describe('VmOperations', () => {
  it('moves the power state through the transitional state and settles once the delay has passed', () => {
    const { operations, vm, power } = setup();
    const a = vm('a', 'deallocated');
    const op = accepted(operations.begin(a, 'start', T0));
    expect([op.status, a.powerState]).toEqual(['InProgress', 'starting']);
    operations.advance(T0 + 999);
    expect(op.status).toBe('InProgress');
    operations.advance(T0 + 1000);
    expect([op.status, op.endMs, a.powerState]).toEqual(['Succeeded', T0 + 1000, 'running']);
    expect(power.runningAt(a.id, T0 + 1000)).toBe(true);

    for (const [action, during, after] of [
      ['powerOff', 'stopping', 'stopped'],
      ['start', 'starting', 'running'],
      ['restart', 'starting', 'running'],
      ['deallocate', 'deallocating', 'deallocated'],
    ] as const) {
      const next = accepted(operations.begin(a, action, T0 + 10_000));
      expect(a.powerState).toBe(during);
      operations.advance(T0 + 11_000);
      expect([next.status, a.powerState]).toEqual(['Succeeded', after]);
    }
  });

  it('removes a deleted VM only when the delete succeeds', () => {
    const { operations, vm, estate } = setup();
    const a = vm('a');
    operations.failOperations({ vmId: a.id, times: 1 });
    accepted(operations.begin(a, 'delete', T0));
    expect(a.deleting).toBe(true);
    operations.advance(T0 + 1000);
    expect([estate.findVm(a.id), a.deleting]).toEqual([a, false]);
    accepted(operations.begin(a, 'delete', T0 + 1000));
    operations.advance(T0 + 1999);
    expect(estate.findVm(a.id)).toBeDefined();
    operations.advance(T0 + 2000);
    expect(estate.findVm(a.id)).toBeUndefined();
    expect(estate.vmIds(SUB)).toHaveLength(0);
  });

  it('accepts no-ops, refuses powerOff/restart of a deallocated VM and a second operation in progress', () => {
    const { operations, vm } = setup();
    const running = vm('running');
    const noop = accepted(operations.begin(running, 'start', T0));
    expect(running.powerState).toBe('running');
    expect(operations.begin(running, 'restart', T0 + 10)).toMatchObject({ status: 409, code: 'OperationNotAllowed' });
    operations.advance(T0 + 1000);
    expect(noop.status).toBe('Succeeded');

    const gone = vm('gone', 'deallocated');
    for (const action of ['powerOff', 'restart'] as const) {
      expect(operations.begin(gone, action, T0)).toMatchObject({ status: 409, code: 'OperationNotAllowed', message: expect.stringContaining('deallocated') });
    }
    expect(accepted(operations.begin(gone, 'deallocate', T0)).status).toBe('InProgress');
    expect(gone.powerState).toBe('deallocated');
  });

  it('fails per VM or the next N operations, restoring the power state', () => {
    const { operations, vm } = setup();
    const a = vm('a', 'stopped');
    const b = vm('b');
    operations.failOperations({ vmId: a.id.toUpperCase(), error: { code: 'OSProvisioningTimedOut', message: 'timed out' } });
    operations.failOperations({ times: 1, action: 'powerOff' });
    const first = accepted(operations.begin(a, 'start', T0));
    const second = accepted(operations.begin(b, 'powerOff', T0));
    operations.advance(T0 + 1000);
    expect([first.status, first.error, a.powerState]).toEqual(['Failed', { code: 'OSProvisioningTimedOut', message: 'timed out' }, 'stopped']);
    expect([second.status, second.error?.code, b.powerState]).toEqual(['Failed', 'AllocationFailed', 'running']);
    const third = accepted(operations.begin(b, 'powerOff', T0 + 2000));
    operations.advance(T0 + 3000);
    expect(third.status).toBe('Succeeded');
    expect(accepted(operations.begin(a, 'start', T0 + 4000)).status).toBe('InProgress');
    operations.clearFailures();
    operations.advance(T0 + 5000);
    expect(a.powerState).toBe('running');
    expect(() => operations.failOperations({ times: 0 })).toThrow(/times/);
  });

  it('logs the BeginRequest when accepted and the EndRequest when settled, with one correlationId', () => {
    const { operations, vm, log } = setup();
    const a = vm('a');
    const op = accepted(operations.begin(a, 'powerOff', T0));
    const filter = { fromMs: T0 - 60_000, toMs: null };
    expect(log.query(SUB, filter, T0).map((r) => (r.wire.status as { value: string }).value)).toEqual(['Started']);
    operations.advance(T0 + 5000);
    const records = log.query(SUB, filter, T0 + 5000);
    expect(records.map((r) => [(r.wire.status as { value: string }).value, r.timestampMs, r.wire.correlationId])).toEqual([
      ['Succeeded', T0 + 1000, op.correlationId],
      ['Started', T0, op.correlationId],
    ]);
    expect((records[0].wire.operationName as { value: string }).value).toBe('Microsoft.Compute/virtualMachines/powerOff/action');
  });
});
