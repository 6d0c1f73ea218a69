import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, parseActivityLogEvent, parseActivityLogEvents, type AzureActivityLogEvent } from './azure-activity-log.parser.js';

// A page of the Activity Log in the wire shape of the spec examples (GetActivityLogsFiltered.json),
// with the Compute operations a VM goes through.
const page = JSON.parse(readFileSync(join(process.cwd(), 'libs/providers/azure/src/__fixtures__/activity-log-page.json'), 'utf8')) as {
  value: AzureActivityLogEvent[];
};
const VM = '/subscriptions/1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b/resourcegroups/rg-rhel-prod/providers/microsoft.compute/virtualmachines/rhel9-web-01';

describe('parseActivityLogEvents', () => {
  const events = parseActivityLogEvents(page.value);
  const byId = (n: number) => events.find((e) => e.nativeId.startsWith(`a${String(n).padStart(7, '0')}`))!;

  it('keeps one event per record, identified by eventDataId, with the raw record', () => {
    expect(events).toHaveLength(page.value.length);
    expect(events.map((e) => e.nativeId)).toEqual(page.value.map((e) => e.eventDataId));
    expect(events[0].raw).toBe(page.value[0]);
  });

  it('types the VM operations from operationName, case-insensitively', () => {
    expect(events.map((e) => e.type)).toEqual([
      'vm.created', // the BeginRequest of a create: its EndRequest (same correlationId) says Created
      'vm.created',
      'vm.started',
      'vm.deallocated',
      'vm.deallocated',
      'vm.stopped',
      'vm.restarted',
      'vm.resized',
      'vm.resized',
      'vm.updated',
      'vm.deleted',
      'vm.updated',
      'other',
      'other',
    ]);
  });

  it('names the VM by its lower-cased ARM id and name, also for a sub-resource, and none for other resources', () => {
    expect(byId(3)).toMatchObject({ vmNativeId: VM, vmName: 'rhel9-web-01' });
    expect(byId(12)).toMatchObject({ type: 'vm.updated', vmNativeId: VM, vmName: 'rhel9-web-01' });
    expect(byId(13)).toMatchObject({ type: 'other', vmNativeId: null, vmName: null, refreshesVm: false });
  });

  it('asks for a refresh of the VM only at the end of an operation (Succeeded or Failed)', () => {
    expect(events.filter((e) => e.refreshesVm).map((e) => e.nativeId.slice(0, 8))).toEqual(
      ['a0000002', 'a0000003', 'a0000005', 'a0000007', 'a0000009', 'a0000010', 'a0000011', 'a0000012'],
    );
    expect(byId(6)).toMatchObject({ status: 'Accepted', refreshesVm: false });
    expect(byId(14)).toMatchObject({ type: 'other', refreshesVm: false });
  });

  it('carries status, actor, a message and the time with its 7-digit fraction', () => {
    expect(byId(7)).toMatchObject({ status: 'Failed', actor: 'ops.admin@contoso.com', message: 'Restart Virtual Machine: Failed' });
    expect(byId(3).occurredAt.toISOString()).toBe('2026-11-25T10:20:00.000Z');
    expect(byId(1).occurredAt.toISOString()).toBe('2026-11-25T10:14:26.979Z');
  });
});

describe('classify', () => {
  const base = page.value[9];

  it('tells a resize from another write by the request body, also on the EndRequest through correlationId', () => {
    expect(classify(base)).toBe('vm.updated');
    const bodies = new Map([['c-tags', { properties: { hardwareProfile: { vmSize: 'Standard_B2s' } } }]]);
    expect(classify(base, { bodies, created: new Set() })).toBe('vm.resized');
    expect(classify(base, { bodies, created: new Set(['c-tags']) })).toBe('vm.created');
    expect(classify({ ...base, properties: { requestbody: '{"tags":{"env":"prod"}}' } })).toBe('vm.updated');
    expect(classify({ ...base, properties: { requestbody: 'not json' } })).toBe('vm.updated');
  });

  it('reads created from subStatus or statusCode', () => {
    expect(classify({ ...base, subStatus: { value: 'Created' } })).toBe('vm.created');
    expect(classify({ ...base, subStatus: undefined, properties: { statusCode: 'Created' } })).toBe('vm.created');
  });

  it('leaves scale sets and operations without a VM id to other', () => {
    expect(classify({ ...base, operationName: { value: 'Microsoft.Compute/virtualMachineScaleSets/write' } })).toBe('other');
    expect(classify({ ...base, resourceId: undefined })).toBe('other');
    expect(classify({})).toBe('other');
  });

  it('reads a lone BeginRequest of a write that names a vmSize as a resize (the log says Created only at the end)', () => {
    expect(classify(page.value[0])).toBe('vm.resized');
  });

  it('drops a record without eventDataId or with an unreadable time', () => {
    expect(parseActivityLogEvent({ ...base, eventDataId: undefined })).toBeNull();
    expect(parseActivityLogEvent({ ...base, eventTimestamp: 'yesterday' })).toBeNull();
  });
});
