/* eslint-disable @typescript-eslint/no-explicit-any -- the specs patch request bodies freely, as a client could send anything */
import { canonicalBody, isRefusal, parseNicCreate, parsePublicIpCreate, parseVmCreate } from './create-request.parser.js';
import { firstDifference, rhelVersion } from './resource-creations.js';

const NIC_ID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic';

function vmBody(patch: (body: any) => void = () => undefined): string {
  const body: any = {
    location: 'eastus',
    tags: { owner: 'ops' },
    properties: {
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: {
        imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
      },
      osProfile: {
        computerName: 'vm1',
        adminUsername: 'cloud-user',
        customData: Buffer.from('#cloud-config\n').toString('base64'),
        linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: '/home/cloud-user/.ssh/authorized_keys', keyData: 'ssh-ed25519 AAAA' }] } },
      },
      networkProfile: { networkInterfaces: [{ id: NIC_ID, properties: { primary: true, deleteOption: 'Delete' } }] },
    },
  };
  patch(body);
  return JSON.stringify(body);
}

describe('parseVmCreate', () => {
  it('reads the fields of a create from a marketplace image', () => {
    const request = parseVmCreate(vmBody());
    if (isRefusal(request)) throw new Error(request.message);
    expect(request).toMatchObject({
      location: 'eastus',
      vmSize: 'Standard_D2s_v5',
      imageReference: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' },
      osDisk: { storageAccountType: 'Premium_LRS', deleteOption: 'Delete' },
      adminUsername: 'cloud-user',
      disablePasswordAuthentication: true,
      customData: '#cloud-config\n',
      networkInterfaces: [{ id: NIC_ID, primary: true, deleteOption: 'Delete' }],
    });
  });

  it.each([
    ['vmSize', (b: any) => delete b.properties.hardwareProfile.vmSize],
    ['imageReference', (b: any) => delete b.properties.storageProfile.imageReference],
    ['computerName', (b: any) => delete b.properties.osProfile.computerName],
    ['adminUsername', (b: any) => delete b.properties.osProfile.adminUsername],
    ['networkProfile', (b: any) => (b.properties.networkProfile.networkInterfaces = [])],
  ])('refuses a body without %s: 400 InvalidParameter naming it as Compute does', (target, patch) => {
    expect(parseVmCreate(vmBody(patch))).toEqual({
      status: 400,
      code: 'InvalidParameter',
      message: `Required parameter '${target}' is missing (null).`,
      target,
    });
  });

  it('refuses a Linux profile without a key when passwords are disabled, and customData that is not base64', () => {
    expect(parseVmCreate(vmBody((b) => (b.properties.osProfile.linuxConfiguration.ssh.publicKeys = [])))).toMatchObject({
      code: 'InvalidParameter',
      target: 'linuxConfiguration',
    });
    expect(parseVmCreate(vmBody((b) => (b.properties.osProfile.customData = '#cloud-config')))).toMatchObject({ code: 'InvalidParameter', target: 'customData' });
  });

  it('refuses a missing location and a body that is not JSON', () => {
    expect(parseVmCreate(vmBody((b) => delete b.location))).toMatchObject({ status: 400, code: 'LocationRequired' });
    expect(parseVmCreate('{')).toMatchObject({ status: 400, code: 'InvalidRequestContent' });
  });
});

describe('parseNicCreate and parsePublicIpCreate', () => {
  it('reads ipconfigs with their subnet and public IP, and refuses one without a subnet', () => {
    const body = { location: 'eastus', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: 'S' }, publicIPAddress: { id: 'P' } } }] } };
    expect(parseNicCreate(JSON.stringify(body))).toMatchObject({ ipConfigurations: [{ name: 'ipconfig1', subnetId: 'S', publicIpId: 'P' }] });
    expect(parseNicCreate(JSON.stringify({ location: 'eastus', properties: { ipConfigurations: [{ properties: {} }] } }))).toMatchObject({
      code: 'InvalidParameter',
      target: 'subnet',
    });
  });

  it('defaults a public IP to Standard and Static', () => {
    expect(parsePublicIpCreate(JSON.stringify({ location: 'eastus' }))).toMatchObject({ skuName: 'Standard', allocation: 'Static' });
    expect(parsePublicIpCreate(JSON.stringify({ location: 'eastus', sku: { name: 'Basic' } }))).toMatchObject({ skuName: 'Basic', allocation: 'Dynamic' });
  });
});

describe('helpers of the creates', () => {
  it('compares bodies whatever the order of their keys, and names the first property that differs', () => {
    expect(canonicalBody('{"b":1,"a":{"y":2,"x":1}}')).toBe(canonicalBody('{"a":{"x":1,"y":2},"b":1}'));
    expect(firstDifference({ properties: { hardwareProfile: { vmSize: 'A' }, x: 1 } }, { properties: { hardwareProfile: { vmSize: 'B' }, x: 1 } })).toBe(
      'properties.hardwareProfile.vmSize',
    );
  });

  it('finds the RHEL release of a Red Hat image from its version or sku', () => {
    expect(rhelVersion({ publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: '9.5.2024112214' })).toBe('9.5');
    expect(rhelVersion({ publisher: 'RedHat', offer: 'RHEL', sku: '8_10', version: 'latest' })).toBe('8.10');
    expect(rhelVersion({ publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm87', version: 'latest' })).toBe('8.7');
    expect(rhelVersion({ publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2', version: 'latest' })).toBe('9.4');
  });
});
