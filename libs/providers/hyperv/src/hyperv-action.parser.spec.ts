import { ProviderErrorCode } from '@hybridforms/core';
import { actionFailure, parseActionErrorRecord, parseVhdFacts, parseVmActionResult, vhdRemovalRefusal } from './hyperv-action.parser.js';

const context = { subject: "VM 'rhel9-web01' (0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f)", where: 'hv01:22', command: 'vm-action script' };
const record = (over: Record<string, unknown>) =>
  `${JSON.stringify({ Cmdlet: 'Start-VM', State: 'Running', ErrorId: 'InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM', Category: 'InvalidOperation', Message: 'The operation cannot be performed while the object is in its current state.', ...over })}\r\n`;

describe('action error records', () => {
  it('turns InvalidState into a non-retryable error naming the cmdlet, the state and Hyper-V\'s words', () => {
    const error = actionFailure({ stderr: record({}), code: 1 }, context);
    expect(error.code).toBe(ProviderErrorCode.Conflict);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      "Hyper-V refused Start-VM on VM 'rhel9-web01' (0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f) on Hyper-V host hv01:22: the VM is Running, a state Start-VM cannot act from " +
        '("The operation cannot be performed while the object is in its current state.") [InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM]',
    );
  });

  it('turns an unknown VM id into NotFound', () => {
    const stderr = record({ Cmdlet: 'Get-VM', State: null, ErrorId: 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM', Category: 'ObjectNotFound', Message: 'Hyper-V was unable to find a virtual machine with id "0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f".' });
    const error = actionFailure({ stderr, code: 1 }, context);
    expect(error.code).toBe(ProviderErrorCode.NotFound);
    expect(error.message).toContain('is not on Hyper-V host hv01:22');
  });

  it('says a graceful stop needs the shutdown integration service, and that force turns the VM off', () => {
    const stderr = record({ Cmdlet: 'Stop-VM', ErrorId: 'Unspecified,Microsoft.HyperV.PowerShell.Commands.StopVM', Category: 'NotSpecified', Message: "The virtual machine 'rhel9-web01' cannot be shut down because the shutdown integration service is unavailable or disabled." });
    expect(actionFailure({ stderr, code: 1 }, context).message).toMatch(/^Stop-VM cannot shut down the guest .*\(state Running\): its shutdown integration service is not available .* force/);
  });

  it('maps a permission error to Forbidden', () => {
    const stderr = record({ ErrorId: 'Unspecified,Microsoft.HyperV.PowerShell.Commands.StartVM', Category: 'PermissionDenied', Message: 'You do not have the required permission to complete this task.' });
    expect(actionFailure({ stderr, code: 1 }, context).code).toBe(ProviderErrorCode.Forbidden);
  });

  it('reads 5.1-escaped JSON, and leaves CLIXML or plain text to the generic failure', () => {
    expect(parseActionErrorRecord('{"Cmdlet":"Save-VM","State":"Off","ErrorId":"x","Category":"y","Message":"it\\u0027s off"}\r\n')).toEqual({ cmdlet: 'Save-VM', state: 'Off', errorId: 'x', category: 'y', message: "it's off" });
    expect(parseActionErrorRecord('#< CLIXML\r\n<Objs/>')).toBeNull();
    const plain = actionFailure({ stderr: 'Access is denied.\r\n', code: 1 }, context);
    expect(plain.message).toBe('PowerShell command "vm-action script on hv01:22" failed (exit code 1): Access is denied.');
  });
});

describe('action results', () => {
  it('reads the state before and after and whether the script acted', () => {
    const stdout = '{"VMId":"0F4E6D3A-9B1C-4C2E-8F7A-3D2B1A0C9E8F","VMName":"web","Before":"Off","After":"Running","Acted":true,"Cmdlet":"Start-VM"}\r\n';
    expect(parseVmActionResult(stdout, 'c')).toEqual({ vmId: '0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f', vmName: 'web', before: 'Off', after: 'Running', acted: true, cmdlet: 'Start-VM' });
    expect(() => parseVmActionResult('', 'c')).toThrow(expect.objectContaining({ code: ProviderErrorCode.MalformedResponse }));
  });
});

describe('VHD removal decision', () => {
  const base = 'C:\\VHD\\rhel9-base.vhdx';
  const facts = parseVhdFacts(
    JSON.stringify({
      Exists: true,
      Drives: [{ VMId: 'A', VMName: 'web', Path: 'C:\\VHD\\web_diff.vhdx' }],
      Vhds: [
        { Path: 'C:\\VHD\\web_diff.vhdx', VhdType: 'Differencing', ParentPath: base },
        { Path: base, VhdType: 'Dynamic', ParentPath: '' },
        { Path: 'C:\\VHD\\spare.vhdx', VhdType: 'Dynamic', ParentPath: '' },
      ],
    }),
    'c',
  );

  it('refuses an attached disk and a differencing parent, whatever the case of the path', () => {
    expect(vhdRemovalRefusal(facts, 'c:\\vhd\\web_diff.vhdx')).toBe("it is attached to VM 'web' (a)");
    expect(vhdRemovalRefusal(facts, base.toLowerCase())).toMatch(/parent of the differencing disk C:\\VHD\\web_diff\.vhdx/);
  });

  it('allows a file nothing uses', () => {
    expect(vhdRemovalRefusal(facts, 'c:\\vhd\\spare.vhdx')).toBeNull();
  });
});
