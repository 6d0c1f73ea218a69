import { diskToWire, nicToWire, publicIpToWire, vmToWire } from './arm-wire.serializer.js';
import { SimEstate } from './sim-estate.js';

const SUB = '00000000-0000-0000-0000-0000000000bb';
const NOW = '2026-01-01T00:00:00.000Z';

function estateWithVm(hints = {}) {
  const estate = new SimEstate([SUB], 3);
  const id = estate.addVm(
    SUB,
    {
      name: 'vm1',
      resourceGroup: 'Rg-Mixed',
      imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: '9.4.2024061414' },
      guestOsName: 'redhat',
      guestOsVersion: '9.4',
      vmAgentVersion: '2.15.1.3',
      publicIp: true,
      dataDisks: 2,
    },
    { publicIpAllocation: 'Dynamic', ...hints },
  );
  return { estate, id, sub: estate.subscription(SUB)!, vm: estate.findVm(id)! };
}

type Wire = { properties: Record<string, unknown> } & Record<string, unknown>;

describe('SimEstate', () => {
  it('creates a VM with its NIC, public IP and disks, in ARM casing', () => {
    const { id, sub } = estateWithVm();
    expect(id).toBe(`/subscriptions/${SUB}/resourceGroups/Rg-Mixed/providers/Microsoft.Compute/virtualMachines/vm1`);
    expect([sub.vms.size, sub.nics.size, sub.publicIps.size, sub.disks.size]).toEqual([1, 1, 1, 3]);
    expect(sub.resourceGroups.all().map((g) => g.name)).toEqual(['Rg-Mixed']);
    expect(sub.nics.all()[0].macAddress).toMatch(/^00-0D-3A-/);
  });

  it('finds VMs case-insensitively and refuses duplicates and unknown ids', () => {
    const { estate, id } = estateWithVm();
    expect(estate.findVm(id.toUpperCase())?.id).toBe(id);
    expect(() => estate.addVm(SUB, { name: 'VM1', resourceGroup: 'rg-mixed' })).toThrow(/already exists/);
    expect(() => estate.setPowerState('/subscriptions/x/nope', 'running')).toThrow(/Unknown VM/);
    expect(() => estate.addVm('other', { name: 'a' })).toThrow(/Unknown subscription/);
  });

  it('upper-cases the resource group in references when the quirk applies', () => {
    const { vm } = estateWithVm({ upperCaseReferences: true });
    const wire = vmToWire(vm, { instanceView: false, now: NOW }) as Wire;
    const nicRef = (wire.properties.networkProfile as { networkInterfaces: { id: string }[] }).networkInterfaces[0].id;
    expect(nicRef).toContain('/resourceGroups/RG-MIXED/');
    expect(vm.nics[0].id).toContain('/resourceGroups/Rg-Mixed/');
    expect(nicRef.toLowerCase()).toBe(vm.nics[0].id.toLowerCase());
    expect((nicToWire(vm.nics[0]) as Wire).properties.virtualMachine).toEqual({ id: vm.id.replace('Rg-Mixed', 'RG-MIXED') });
    expect(diskToWire(vm.osDisk).managedBy).toBe(vm.id.replace('Rg-Mixed', 'RG-MIXED'));
  });

  it('deallocation reserves disks, releases a Dynamic address and hides the guest report', () => {
    const { estate, id, vm } = estateWithVm();
    const pip = vm.nics[0].publicIp!;
    const before = pip.address;
    estate.setPowerState(id, 'deallocated');
    expect((publicIpToWire(pip) as Wire).properties.ipAddress).toBeUndefined();
    expect((diskToWire(vm.osDisk) as Wire).properties.diskState).toBe('Reserved');
    const view = (vmToWire(vm, { instanceView: true, now: NOW }) as Wire).properties.instanceView as Record<string, unknown>;
    expect(view.osName).toBeUndefined();
    expect(view.statuses).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PowerState/deallocated' })]));

    estate.setPowerState(id, 'running');
    expect((publicIpToWire(pip) as Wire).properties.ipAddress).not.toBe(before);
    expect((diskToWire(vm.osDisk) as Wire).properties.diskState).toBe('Attached');
    const again = (vmToWire(vm, { instanceView: true, now: NOW }) as Wire).properties.instanceView as Record<string, unknown>;
    expect(again).toMatchObject({ osName: 'redhat', osVersion: '9.4', vmAgent: { vmAgentVersion: '2.15.1.3' } });
  });

  it('serves licenseType only when set, and instanceView only when asked', () => {
    const { estate, id, vm } = estateWithVm();
    expect((vmToWire(vm, { instanceView: false, now: NOW }) as Wire).properties).not.toHaveProperty('licenseType');
    expect((vmToWire(vm, { instanceView: false, now: NOW }) as Wire).properties).not.toHaveProperty('instanceView');
    estate.setLicenseType(id, 'RHEL_BYOS');
    expect((vmToWire(vm, { instanceView: false, now: NOW }) as Wire).properties.licenseType).toBe('RHEL_BYOS');
  });

  it('reports an agent that does not report as Unknown, like Azure', () => {
    const estate = new SimEstate([SUB], 1);
    const id = estate.addVm(SUB, { name: 'mystery', imageReference: { id: '/subscriptions/x/resourceGroups/img/providers/Microsoft.Compute/images/base' } });
    const view = (vmToWire(estate.findVm(id)!, { instanceView: true, now: NOW }) as Wire).properties.instanceView as Record<string, unknown>;
    expect(view).not.toHaveProperty('osName');
    expect(view.vmAgent).toMatchObject({ vmAgentVersion: 'Unknown', statuses: [{ code: 'ProvisioningState/Unavailable' }] });
  });

  it('removes a VM with everything it owns', () => {
    const { estate, id, sub } = estateWithVm();
    estate.removeVm(id);
    expect([sub.vms.size, sub.nics.size, sub.publicIps.size, sub.disks.size]).toEqual([0, 0, 0, 0]);
    expect(estate.vmIds()).toEqual([]);
  });

  it('deletes a VM as ARM does: only what has deleteOption Delete goes with it, the rest stays detached', () => {
    const estate = new SimEstate([SUB], 3);
    const id = estate.addVm(SUB, { name: 'vm2', resourceGroup: 'rg', publicIp: true, dataDisks: 1, deleteOptions: { osDisk: 'Delete' } });
    const vm = estate.findVm(id)!;
    const [nic, dataDisk] = [vm.nics[0], vm.dataDisks[0]];
    const wire = vmToWire(vm, { instanceView: false, now: NOW }) as Wire;
    expect(wire.properties.storageProfile).toMatchObject({ osDisk: { deleteOption: 'Delete' }, dataDisks: [{ deleteOption: 'Detach' }] });
    expect(wire.properties.networkProfile).toEqual({ networkInterfaces: [expect.objectContaining({ properties: { deleteOption: 'Detach' } })] });

    estate.deleteVm(id);
    expect(estate.findVm(id)).toBeUndefined();
    expect(estate.findDisk(vm.osDisk.id)).toBeUndefined();
    expect(estate.findDisk(dataDisk.id)).toMatchObject({ owner: null, diskState: 'Unattached' });
    expect(estate.findNic(nic.id)).toMatchObject({ vm: null });
    expect((nicToWire(nic) as Wire).properties.virtualMachine).toBeUndefined();

    estate.deleteNic(nic.id);
    expect(estate.findNic(nic.id)).toBeUndefined();
    expect(estate.findPublicIp(nic.publicIp!.id)).toMatchObject({ nic: null });
  });

  it('derives the same estate from the same seed and calls', () => {
    const a = estateWithVm();
    const b = estateWithVm();
    expect(vmToWire(a.vm, { instanceView: true, now: NOW })).toEqual(vmToWire(b.vm, { instanceView: true, now: NOW }));
    expect(nicToWire(a.vm.nics[0])).toEqual(nicToWire(b.vm.nics[0]));
  });
});
