import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderErrorCode } from '@hybridforms/core';
import { eventVmNativeId, HYPERV_EVENT_TYPES, nextBookmarks, normalizeHyperVEvent, parseHyperVEventsDocument } from './hyperv-events.parser.js';

const fixture = (name: string): string => readFileSync(join(process.cwd(), 'libs/providers/hyperv/src/__fixtures__', name), 'utf8');
const VMMS = 'Microsoft-Windows-Hyper-V-VMMS-Admin';
const WORKER = 'Microsoft-Windows-Hyper-V-Worker-Admin';
const HOST = 'hyperv:hv01';
const POLLED = new Date('2024-06-01T12:00:00Z');
const VM = '0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f';

function parse(name: string) {
  const document = parseHyperVEventsDocument(fixture(name), 'events script');
  return { document, events: document.records.map((r) => normalizeHyperVEvent(r, HOST, 'events script', POLLED)) };
}

describe('parseHyperVEventsDocument + normalizeHyperVEvent (PS 5.1 fixtures)', () => {
  it('normalizes records of both logs into our vocabulary', () => {
    const { document, events } = parse('events.ps51.json');
    expect(document.logs).toEqual([
      { logName: VMMS, exists: true, isEnabled: true, newest: 118, mode: 'bookmark' },
      { logName: WORKER, exists: true, isEnabled: true, newest: 2044, mode: 'bookmark' },
    ]);
    expect(events.map((e) => [e.type, e.vmNativeId, e.vmName, e.status, e.refreshesVm])).toEqual([
      ['vm.created', VM, "rhel9-o'neil", 'Information', true],
      ['other', '3c1d2b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d', 'rhel8-db01', 'Error', false],
      ['vm.started', VM, "rhel9-o'neil", 'Information', true],
      // VmId empty: the GUID comes from the message, upper-case there.
      ['vm.stopped', VM, "rhel9-o'neil", 'Information', true],
    ]);
    expect(events[0]).toEqual({
      nativeId: `${HOST}/${VMMS}:117@2024-06-01T10:00:00.123Z`,
      occurredAt: new Date('2024-06-01T10:00:00.123Z'),
      type: 'vm.created',
      vmNativeId: VM,
      vmName: "rhel9-o'neil",
      status: 'Information',
      actor: 'S-1-5-18',
      message: "A new virtual machine rhel9-o'neil was created. (Virtual machine ID 0F4E6D3A-9B1C-4C2E-8F7A-3D2B1A0C9E8F)",
      refreshesVm: true,
      raw: document.records[0],
    });
    expect(events[2].actor).toBe('S-1-5-83-1-256781626-1277336348-2013430415-2399013025');
    expect(events[3].actor).toBeNull();
    // A message over two lines becomes one.
    expect(events[3].message).toBe(
      "'rhel9-o'neil' was shut down using the Shutdown Integration Component. (Virtual machine ID 0F4E6D3A-9B1C-4C2E-8F7A-3D2B1A0C9E8F)",
    );
  });

  it('reads a single bare record and log, a /Date()/ time, a missing level name, and an event that names no VM', () => {
    const { document, events } = parse('events-single.ps51.json');
    expect(document.logs).toEqual([{ logName: WORKER, exists: true, isEnabled: false, newest: 3, mode: 'time' }]);
    expect(events).toEqual([
      expect.objectContaining({
        nativeId: `${HOST}/${WORKER}:3@2024-06-01T10:00:00.000Z`,
        occurredAt: new Date(1717236000000),
        type: 'other',
        vmNativeId: null,
        // Properties[0] of an event without a VM is not a VM name.
        vmName: null,
        status: 'Warning',
        refreshesVm: false,
      }),
    ]);
  });

  it('reads no records and a missing log', () => {
    const { document, events } = parse('events-none.ps51.json');
    expect(events).toEqual([]);
    expect(document.logs[0]).toEqual({ logName: VMMS, exists: false, isEnabled: false, newest: null, mode: 'none' });
  });

  it('fails on truncated JSON and on a record it cannot key', () => {
    const text = fixture('events.ps51.json');
    expect(() => parseHyperVEventsDocument(text.slice(0, 300), 'events script')).toThrow(expect.objectContaining({ code: ProviderErrorCode.MalformedResponse }));
    expect(() => parseHyperVEventsDocument('', 'events script')).toThrow(expect.objectContaining({ code: ProviderErrorCode.MalformedResponse }));
    expect(() => normalizeHyperVEvent({ Id: 18500, LogName: WORKER }, HOST, 'events script', POLLED)).toThrow(/without RecordId/);
  });

  it('falls back to the poll time and the level number', () => {
    const event = normalizeHyperVEvent({ RecordId: 1, LogName: VMMS, Id: 13003, Level: 2, TimeCreated: 'garbage', Message: null, VmId: VM.toUpperCase() }, HOST, 'c', POLLED);
    expect(event).toMatchObject({ nativeId: `${HOST}/${VMMS}:1`, occurredAt: POLLED, status: 'Error', type: 'vm.deleted', vmNativeId: VM, message: null });
  });

  it('maps the event ids of §6', () => {
    expect(HYPERV_EVENT_TYPES).toEqual({
      13002: 'vm.created',
      13003: 'vm.deleted',
      18500: 'vm.started',
      18502: 'vm.stopped',
      18504: 'vm.stopped',
      18508: 'vm.stopped',
      18512: 'vm.restarted',
      18514: 'vm.restarted',
    });
    expect(eventVmNativeId('', "'x' was reset by the guest operating system. (Virtual machine ID D8EB8812-63FE-468A-9545-1E2028EC1F5F)")).toBe(
      'd8eb8812-63fe-468a-9545-1e2028ec1f5f',
    );
    expect(eventVmNativeId('not-a-guid', 'no id here')).toBeNull();
  });
});

describe('nextBookmarks', () => {
  it('moves a bookmark to the highest RecordId returned, and keeps it when nothing came', () => {
    const { document } = parse('events.ps51.json');
    expect(nextBookmarks({ [VMMS]: 116, [WORKER]: 2042 }, document)).toEqual({ [VMMS]: 118, [WORKER]: 2044 });
    expect(nextBookmarks({ [VMMS]: 116 }, { logs: [{ logName: VMMS, exists: true, isEnabled: true, newest: 116, mode: 'bookmark' }], records: [] })).toEqual({ [VMMS]: 116 });
  });

  it('starts a log read by time at its newest record (0 when empty), and keeps a missing log as it was', () => {
    const logs = (mode: 'time' | 'none', newest: number | null) => [{ logName: WORKER, exists: mode !== 'none', isEnabled: true, newest, mode }];
    expect(nextBookmarks({ [WORKER]: 50 }, { logs: logs('time', 7), records: [] })).toEqual({ [WORKER]: 7 });
    expect(nextBookmarks({ [WORKER]: 50 }, { logs: logs('time', null), records: [] })).toEqual({ [WORKER]: 0 });
    expect(nextBookmarks({ [WORKER]: 50 }, { logs: logs('none', null), records: [] })).toEqual({ [WORKER]: 50 });
    expect(nextBookmarks({}, { logs: logs('time', 9), records: [{ LogName: WORKER, RecordId: 9 }, { LogName: WORKER, RecordId: 8 }] })).toEqual({ [WORKER]: 9 });
  });
});
