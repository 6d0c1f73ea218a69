import { HyperVEstate } from './hyperv-estate.js';
import { ParserError } from './provision.projector.js';
import { guestKvpOf, parseVmCreateScript } from './vm-create.projector.js';
import { vmCreateScript } from './__fixtures__/vm-create-script.js';

const GIB = 1024 ** 3;

describe('the vm-create script contract', () => {
  it('reads the values, the host\'s default VHD folder and the Secure Boot template', () => {
    const read = parseVmCreateScript(
      vmCreateScript('vm', ['  $vm = Hyper-V\\New-VM -Name $name', '  try { $vm | Hyper-V\\Set-VM -Notes $notes; $vm | Hyper-V\\Set-VMFirmware -SecureBootTemplate MicrosoftUEFICertificateAuthority } catch { $vm | Hyper-V\\Remove-VM -Force; throw }'], {
        folder: '(Hyper-V\\Get-VMHost).VirtualHardDiskPath',
        name: "'it''s'",
      }),
    );
    expect(read).toMatchObject({ step: 'vm', name: "it's", folder: null, generation: 2, memoryBytes: 2 * GIB, setsUefiCa: true, removesUntagged: true });
  });

  it('refuses a script that strays: an unknown step, a missing cmdlet, Get-VM -Name, a literal a quote broke out of', () => {
    expect(() => parseVmCreateScript(vmCreateScript('reboot', []))).toThrow(/unknown step 'reboot'/);
    expect(() => parseVmCreateScript(vmCreateScript('start', []))).toThrow(/does not call Start-VM/);
    expect(() => parseVmCreateScript(vmCreateScript('start', ['  $vm = Hyper-V\\Get-VM -Name $name', '  $vm | Hyper-V\\Start-VM']))).toThrow(/Get-VM -Name/);
    expect(() => parseVmCreateScript(vmCreateScript('start', ['  $vm | Hyper-V\\Start-VM'], { switch: "'a'b'" }))).toThrow(ParserError);
  });
});

describe('what a new guest reports', () => {
  const estate = () => {
    const e = new HyperVEstate({ ComputerName: 'HV01', OsName: '', OsVersion: '', LogicalProcessorCount: 8, MemoryCapacity: 64 * GIB, HyperVVersion: '' }, [{ name: 'LAN', switchType: 'External' }]);
    e.addVhdFile({ path: 'D:\\Library\\rhel-8.10-gold.vhdx', vhdType: 'Dynamic', size: GIB, fileSize: GIB });
    e.addVhdFile({ path: 'D:\\VMs\\a.vhdx', vhdType: 'Differencing', size: GIB, fileSize: 1, parentPath: 'D:\\Library\\rhel-8.10-gold.vhdx' });
    e.addVhdFile({ path: 'D:\\VMs\\b.vhdx', vhdType: 'Differencing', size: GIB, fileSize: 1, parentPath: 'D:\\VMs\\a.vhdx' });
    e.addVhdFile({ path: 'D:\\VMs\\blank.vhdx', vhdType: 'Dynamic', size: GIB, fileSize: 1 });
    e.addVm({
      name: 'tpl',
      state: 'Off',
      hardDrives: [{ path: 'D:\\VMs\\tpl.vhdx', vhdType: 'Dynamic', size: GIB, fileSize: GIB }],
      kvp: { OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '9.6', OSMinorVersion: '', OSVersion: '5.14.0', OSBuildNumber: '5.14.0-570.22.1.el9_6.x86_64', ProcessorArchitecture: 'x86_64', FullyQualifiedDomainName: 'tpl', IntegrationServicesVersion: '3.1' },
    });
    e.addVhdFile({ path: 'D:\\VMs\\copy.vhdx', vhdType: 'Dynamic', size: GIB, fileSize: GIB, copiedFrom: 'D:\\VMs\\tpl.vhdx' });
    return e;
  };

  it('follows the differencing chain to the template file and reads its name', () => {
    expect(guestKvpOf(estate(), 'D:\\VMs\\b.vhdx', 'new01')).toMatchObject({ OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '8.10', OSBuildNumber: expect.stringMatching(/el8/), FullyQualifiedDomainName: 'new01' });
  });

  it('gives a copy of a template VM\'s disk that VM\'s own report, and a disk nothing is known of none', () => {
    expect(guestKvpOf(estate(), 'D:\\VMs\\copy.vhdx', 'new02')).toMatchObject({ OSMajorVersion: '9.6', FullyQualifiedDomainName: 'new02' });
    expect(guestKvpOf(estate(), 'D:\\VMs\\blank.vhdx', 'new03')).toBeNull();
  });
});
