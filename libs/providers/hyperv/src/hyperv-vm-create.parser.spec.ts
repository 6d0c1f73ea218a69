import { ProviderErrorCode } from '@hybridforms/core';
import { createFailure, parseVmCreateResult } from './hyperv-vm-create.parser.js';
import { parseDiskNativeId } from './hyperv-lifecycle.client.js';

const context = { subject: "VM 'rhel9-web01'", where: 'hv01:22', command: 'vm-create script' };
const record = (over: Record<string, unknown>) => `${JSON.stringify({ Cmdlet: 'Start-VM', State: 'Off', ErrorId: '', Category: 'NotSpecified', Message: '', ...over })}\r\n`;
const ID = '8286dfce-cbb8-42d5-a582-ddd62c8abbe9';

describe('create-step results', () => {
  it('reads our VM, the VHD facts and (5.1-escaped) KVP and addresses', () => {
    const stdout =
      '{"Step":"guest","Acted":false,"Others":0,"Path":"D:\\\\VMs\\\\web.vhdx","VM":{"VMId":"8286DFCE-CBB8-42D5-A582-DDD62C8ABBE9","VMName":"web","State":"Running","ProcessorCount":2,"MemoryStartup":4294967296,"Notes":"hybridforms-task=t"},' +
      '"Kvp":{"OSName":"Red Hat Enterprise Linux","OSMajorVersion":"9.4"},"IPAddresses":"10.20.0.11"}\r\n';
    expect(parseVmCreateResult(stdout, 'x')).toEqual({
      step: 'guest',
      acted: false,
      others: 0,
      path: 'D:\\VMs\\web.vhdx',
      vm: { vmId: ID, vmName: 'web', state: 'Running', processorCount: 2, memoryStartup: 4294967296, notes: 'hybridforms-task=t' },
      vhd: null,
      switchName: null,
      kvp: { OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '9.4' },
      ipAddresses: ['10.20.0.11'],
    });
    const vhd = parseVmCreateResult('{"Step":"vhd","Acted":true,"Others":0,"VM":null,"Vhd":{"Path":"D:\\\\VMs\\\\web.vhdx","VhdType":"Differencing","ParentPath":"D:\\\\T\\\\r.vhdx","Existed":false,"AttachedTo":[]}}', 'x');
    expect(vhd.vhd).toEqual({ path: 'D:\\VMs\\web.vhdx', vhdType: 'Differencing', parentPath: 'D:\\T\\r.vhdx', existed: false, attachedTo: [] });
    expect(vhd.vm).toBeNull();
  });

  it('refuses output without Step and Acted', () => {
    expect(() => parseVmCreateResult('{"VM":null}', 'vm-create script')).toThrow(/printed no Step and Acted/);
  });
});

describe('create-step failures', () => {
  it('turns Start-VM\'s OutOfMemory into a Conflict quoting Hyper-V\'s reason', () => {
    const message = [
      "'web' failed to start.",
      'Not enough memory in the system to start the virtual machine web.',
      `'web' failed to start. (Virtual machine ID ${ID.toUpperCase()})`,
      `Not enough memory in the system to start the virtual machine web with ram size 4096 megabytes. (Virtual machine ID ${ID.toUpperCase()})`,
    ].join('\r\n');
    const error = createFailure({ stderr: record({ ErrorId: 'OutOfMemory,Microsoft.HyperV.PowerShell.Commands.StartVM', Category: 'FromStdErr', Message: message }), code: 1 }, context);
    expect(error.code).toBe(ProviderErrorCode.Conflict);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      "Start-VM could not start VM 'rhel9-web01' on Hyper-V host hv01:22: the host has not enough free memory (\"Not enough memory in the system to start the virtual machine web.\") [OutOfMemory,Microsoft.HyperV.PowerShell.Commands.StartVM]",
    );
  });

  it('turns a missing parent VHD into NotFound with New-VHD\'s words', () => {
    const message = "Failed to create the virtual hard disk.\r\nThe system failed to create 'D:\\VMs\\web.vhdx': The system cannot find the file specified. (0x80070002).";
    const error = createFailure({ stderr: record({ Cmdlet: 'New-VHD', State: null, ErrorId: 'OperationFailed,Microsoft.Vhd.PowerShell.Cmdlets.NewVhd', Message: message }), code: 1 }, { ...context, subject: 'VHD web.vhdx' });
    expect(error.code).toBe(ProviderErrorCode.NotFound);
    expect(error.message).toMatch(/^New-VHD could not make VHD web\.vhdx on Hyper-V host hv01:22: "Failed to create the virtual hard disk\. The system failed .*0x80070002/);
  });

  it('turns an unknown switch into NotFound', () => {
    const stderr = record({ Cmdlet: 'Connect-VMNetworkAdapter', ErrorId: 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.ConnectVMNetworkAdapter', Category: 'ObjectNotFound', Message: 'Hyper-V was unable to find a virtual switch with name "vSwitch-Nope".' });
    const error = createFailure({ stderr, code: 1 }, context);
    expect(error.code).toBe(ProviderErrorCode.NotFound);
    expect(error.message).toContain('unable to find a virtual switch with name "vSwitch-Nope"');
  });
});

describe('disk native ids', () => {
  it('takes a bare VHD path for a disk no VM holds yet, and the inventory form as before', () => {
    expect(parseDiskNativeId('D:\\VMs\\web.vhdx')).toEqual({ vmId: null, path: 'D:\\VMs\\web.vhdx' });
    expect(parseDiskNativeId(`${ID}/disk/d:\\vms\\web.vhdx`)).toEqual({ vmId: ID, path: 'd:\\vms\\web.vhdx' });
    expect(() => parseDiskNativeId('D:\\VMs\\web.avhdx')).toThrow(/not a \.vhd or \.vhdx file/);
  });
});
