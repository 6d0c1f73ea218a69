import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import {
  decodeClixmlString,
  parsePowerShellDate,
  parsePowerShellJsonList,
  parsePowerShellJsonObject,
  powerShellFailure,
  powerStateFromVmState,
  readPowerShellStderr,
} from './powershell-output.parser.js';

const FIXTURES = join(process.cwd(), 'libs/providers/hyperv/src/__fixtures__');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function thrown(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    if (ProviderError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('PowerShell JSON output', () => {
  // get-vm.ps51.json: Windows PowerShell 5.1 pretty output, enums as integers, \/Date(ms)\/, \u0027
  // escapes, CRLF. get-vm.ps7.json: the same VMs from PowerShell 7 with -EnumsAsStrings.
  it.each(['get-vm.ps51.json', 'get-vm.ps7.json'])('reads the same VMs from %s', (name) => {
    const vms = parsePowerShellJsonList(fixture(name), 'list-vms');
    expect(vms.map((vm) => vm.Name)).toEqual(['rhel9-web01', "bob's <win2022>"]);
    expect(vms.map((vm) => powerStateFromVmState(vm.State))).toEqual(['running', 'stopped']);
    expect(vms.map((vm) => parsePowerShellDate(vm.CreationTime)?.toISOString())).toEqual([
      '2024-06-01T10:00:00.000Z',
      '2020-07-21T23:34:18.918Z',
    ]);
    expect(vms[1].Notes).toBe('owner=bob & team=ops');
    expect(vms[0].MemoryStartup).toBe(4294967296);
  });

  it.each(['get-vm-single.ps51.json', 'get-vm-single.ps7.json'])('wraps the bare object of a one-VM pipeline (%s)', (name) => {
    const vms = parsePowerShellJsonList(fixture(name), 'list-vms');
    expect(vms).toHaveLength(1);
    expect(vms[0].Id).toBe('3c1d2b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d');
    expect(powerStateFromVmState(vms[0].State, vms[0].StateValue)).toBe('suspended');
    expect(parsePowerShellDate(vms[0].CreationTime)?.getTime()).toBe(1700000000000);
  });

  it.each(['', '\r\n', '  \n', '\uFEFF'])('reads empty output (an empty pipeline prints nothing) as no records: %j', (stdout) => {
    expect(parsePowerShellJsonList(stdout, 'list-vms')).toEqual([]);
    expect(parsePowerShellJsonObject(stdout, 'host')).toBeNull();
  });

  it('reads the "[]" our scripts print for nothing, and null, as no records', () => {
    expect(parsePowerShellJsonList('[]\r\n', 'list-vms')).toEqual([]);
    expect(parsePowerShellJsonList('null', 'list-vms')).toEqual([]);
  });

  it('tolerates a UTF-8 byte order mark', () => {
    expect(parsePowerShellJsonList('\uFEFF[{"Name":"Prüfung"}]', 'list-vms')).toEqual([{ Name: 'Prüfung' }]);
  });

  it.each([
    ['truncated', fixture('get-vm.ps51.json').slice(0, 300)],
    ['not JSON at all', 'Get-VM : The term is not recognized'],
    ['a stray trailing comma', '[{"Name":"a"},]'],
  ])('throws MalformedResponse naming the command on %s output', (_label, stdout) => {
    const error = thrown(() => parsePowerShellJsonList(stdout, 'list-vms'));
    expect(error.code).toBe(ProviderErrorCode.MalformedResponse);
    expect(error.message).toContain('"list-vms"');
    expect(error.message).toContain('invalid JSON');
    expect(error.retryable).toBe(false);
  });

  it('refuses list items that are not objects (a depth-truncated ToString(), say)', () => {
    const error = thrown(() => parsePowerShellJsonList('["Microsoft.HyperV.PowerShell.VirtualMachine"]', 'list-vms'));
    expect(error.code).toBe(ProviderErrorCode.MalformedResponse);
    expect(error.message).toMatch(/"list-vms" printed item 0 is a string, not an object/);
  });

  it('reads one object, or a one-element array, as the single record; refuses several', () => {
    expect(parsePowerShellJsonObject('{"Name":"HV01","LogicalProcessorCount":8}', 'host')).toEqual({ Name: 'HV01', LogicalProcessorCount: 8 });
    expect(parsePowerShellJsonObject('[{"Name":"HV01"}]', 'host')).toEqual({ Name: 'HV01' });
    expect(thrown(() => parsePowerShellJsonObject('[{"Name":"a"},{"Name":"b"}]', 'host')).code).toBe(ProviderErrorCode.MalformedResponse);
    expect(thrown(() => parsePowerShellJsonObject('42', 'host')).message).toContain('"host" printed expected one object, got a number');
  });
});

describe('PowerShell dates', () => {
  it.each([
    ['/Date(1717236000000)/', '2024-06-01T10:00:00.000Z'],
    ['/Date(1700000000000)/', '2023-11-14T22:13:20.000Z'],
    ['/Date(1717236000000+0200)/', '2024-06-01T10:00:00.000Z'],
    ['/Date(-1000)/', '1969-12-31T23:59:59.000Z'],
    ['2024-06-01T12:00:00.1234567+02:00', '2024-06-01T10:00:00.123Z'],
    ['2024-06-01T10:00:00.0000000Z', '2024-06-01T10:00:00.000Z'],
  ])('reads %s', (value, iso) => {
    expect(parsePowerShellDate(value)?.toISOString()).toBe(iso);
  });

  it('reads the 5.1 wrapper of an ETS-decorated Get-Date', () => {
    const wrapped = JSON.parse('{"value":"\\/Date(1717236000000)\\/","DisplayHint":2,"DateTime":"Saturday, June 1, 2024 12:00:00 PM"}') as unknown;
    expect(parsePowerShellDate(wrapped)?.toISOString()).toBe('2024-06-01T10:00:00.000Z');
  });

  it.each([null, undefined, '', 'yesterday', 42, '/Date(abc)/'])('gives null for %j', (value) => {
    expect(parsePowerShellDate(value)).toBeNull();
  });
});

describe('VMState to power state', () => {
  it.each([
    // Integers every module version agrees on (Microsoft.HyperV.PowerShell.VMState).
    [2, 'running'],
    [3, 'stopped'],
    [4, 'stopping'],
    [6, 'suspended'],
    [9, 'suspended'],
    [10, 'starting'],
    [11, 'starting'],
    [1, 'unknown'],
    [32773, 'stopping'],
    [32776, 'stopping'],
    [32777, 'starting'],
    [32779, 'suspended'],
    [32780, 'stopping'],
    [32781, 'stopping'],
    [32782, 'starting'],
    // From 32783 on, the numbering differs between module versions: no guess.
    [32783, 'unknown'],
    [32785, 'unknown'],
    [32796, 'unknown'],
    [0, 'unknown'],
    [2.5, 'unknown'],
  ])('maps integer %d to %s', (value, expected) => {
    expect(powerStateFromVmState(value)).toBe(expected);
  });

  it.each([
    ['Running', 'running'],
    ['Off', 'stopped'],
    ['Stopping', 'stopping'],
    ['Saved', 'suspended'],
    ['Paused', 'suspended'],
    ['Starting', 'starting'],
    ['Saving', 'stopping'],
    ['Pausing', 'stopping'],
    ['Resuming', 'starting'],
    ['FastSaved', 'suspended'],
    ['Hibernated', 'suspended'],
    ['RunningCritical', 'running'],
    ['OffCritical', 'stopped'],
    ['SavedCritical', 'suspended'],
    ['PausedCritical', 'suspended'],
    ['Other', 'unknown'],
    ['ComponentServicing', 'unknown'],
    ['running', 'running'],
    ['2', 'running'],
    ['Levitating', 'unknown'],
    ['', 'unknown'],
  ])('maps name %j to %s', (value, expected) => {
    expect(powerStateFromVmState(value)).toBe(expected);
  });

  it('prefers the projected name to the integer, and falls back to the integer', () => {
    // Newer module: 32785 is RunningCritical; the name settles it.
    expect(powerStateFromVmState('RunningCritical', 32785)).toBe('running');
    expect(powerStateFromVmState(null, 9)).toBe('suspended');
    expect(powerStateFromVmState(undefined)).toBe('unknown');
  });
});

describe('PowerShell stderr', () => {
  it('extracts the error records of CLIXML stderr, decoding _xHHHH_ and XML escapes', () => {
    expect(readPowerShellStderr(fixture('stderr-error.clixml.txt'))).toBe(
      'Hyper-V\\Get-VM : Hyper-V was unable to find a virtual machine with name "nope".\r\nAt line:1 char:1\r\n+ Hyper-V\\Get-VM -Name nope',
    );
  });

  it('sees no error in progress-only CLIXML or empty stderr', () => {
    expect(readPowerShellStderr(fixture('stderr-progress.clixml.txt'))).toBeNull();
    expect(readPowerShellStderr('')).toBeNull();
    expect(readPowerShellStderr(' \r\n')).toBeNull();
  });

  it('keeps plain stderr (our catch block writes one line) as it is', () => {
    expect(readPowerShellStderr('You do not have the required permission to complete this task.\r\n')).toBe(
      'You do not have the required permission to complete this task.',
    );
  });

  it('decodes CLIXML strings', () => {
    expect(decodeClixmlString('a_x0009_b &lt;c&gt; &amp;amp; _x000A_')).toBe('a\tb <c> &amp; \n');
  });

  it('builds a clear failure naming the command, the exit code and PowerShell’s message', () => {
    const error = powerShellFailure('list-vms', { stderr: fixture('stderr-error.clixml.txt'), code: 1 });
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe(ProviderErrorCode.Unknown);
    expect(error.message).toMatch(/^PowerShell command "list-vms" failed \(exit code 1\): Hyper-V\\Get-VM : Hyper-V was unable to find/);
    expect(powerShellFailure('list-vms', { stderr: '', code: null }).message).toBe('PowerShell command "list-vms" failed (no exit code): no error text');
  });
});
