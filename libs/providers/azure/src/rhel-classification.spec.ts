import { licenseModelFor } from '@hybridforms/core';
import { classifyAzureVm as classify, normalizeLicenseType, rhelVersionFromSku, versionFromImageVersion, type AzureOsFacts } from './rhel-classification.js';

// With the license model the persister decides for a VM seen for the first time.
const classifyAzureVm = (facts: AzureOsFacts) => {
  const c = classify(facts);
  return { ...c, licenseModel: licenseModelFor(c.osFamily, c.rhelLicenseModel) };
};

const rhelImage = (offer: string, sku: string, version: string, exactVersion?: string): AzureOsFacts['imageReference'] => ({
  publisher: 'RedHat',
  offer,
  sku,
  version,
  exactVersion,
});
const GALLERY_ID = '/subscriptions/3f2504e0-4f89-41d3-9a0c-0305e82c3301/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/g/images/rhel9/versions/1.0.0';

describe('RHEL classification of Azure VMs', () => {
  it.each([
    ['8_10', '8.10'],
    ['810sapha-gen2', '8.10'],
    ['94sapha-gen2', '9.4'],
    ['810sapapps-gen2', '8.10'],
    ['rhel-lvm87', '8.7'],
    ['8-lvm-gen2', '8'],
    ['7-LVM', '7'],
    ['7.9', '7.9'],
    ['9_4', '9.4'],
    ['10-lvm-gen2', '10'],
    ['rhel-lvm8', '8'],
    ['8_6-gen2', '8.6'],
    ['8-gen2', '8'],
    ['7-RAW-CI', '7'],
    ['100sapha-gen2', '10.0'],
    ['9_4-arm64', '9.4'],
    ['rhel-sap-ha', null],
    ['', null],
  ])('reads the RHEL version of sku %s as %s', (sku, expected) => {
    expect(rhelVersionFromSku(sku)).toBe(expected);
  });

  it('reads major.minor from an image version, and the exactVersion behind latest', () => {
    expect(versionFromImageVersion('9.4.2024061414')).toBe('9.4');
    expect(versionFromImageVersion('8.10.2025011519')).toBe('8.10');
    expect(versionFromImageVersion('latest', '8.8.2023081717')).toBe('8.8');
    expect(versionFromImageVersion('latest')).toBeNull();
    expect(versionFromImageVersion('Latest', undefined)).toBeNull();
  });

  it('classifies a PAYG marketplace image as rhel from the image, version from the image version', () => {
    expect(classifyAzureVm({ imageReference: rhelImage('RHEL', '9-lvm-gen2', '9.4.2024061414'), osDiskType: 'Linux' })).toEqual({
      osFamily: 'rhel',
      osName: 'Red Hat Enterprise Linux',
      osVersion: '9.4',
      osSource: 'image',
      licenseModel: 'payg',
      rhelLicenseModel: 'payg',
      licenseType: null,
    });
  });

  it('uses the exactVersion of a latest image, else the sku', () => {
    expect(classifyAzureVm({ imageReference: rhelImage('RHEL', '8-lvm-gen2', 'latest', '8.8.2023081717') }).osVersion).toBe('8.8');
    expect(classifyAzureVm({ imageReference: rhelImage('RHEL-SAP-HA', '810sapha-gen2', 'latest') }).osVersion).toBe('8.10');
  });

  it('prefers the guest agent report, and its minor, over the image', () => {
    const c = classifyAzureVm({ guestOsName: 'redhat', guestOsVersion: '9.4', imageReference: rhelImage('RHEL', '9-lvm-gen2', '9.2.2023060714') });
    expect(c).toMatchObject({ osFamily: 'rhel', osVersion: '9.4', osSource: 'guest-agent', licenseModel: 'payg' });
  });

  it('classifies a BYOS gold image with its plan as byos', () => {
    const c = classifyAzureVm({
      imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm87', version: '8.7.2023021503' },
      plan: { name: 'rhel-lvm87', publisher: 'redhat', product: 'rhel-byos' },
    });
    expect(c).toMatchObject({ osFamily: 'rhel', osVersion: '8.7', osSource: 'image', licenseModel: 'byos' });
  });

  it('takes the RHEL version from the plan name of a gallery image built from a gold image', () => {
    const c = classifyAzureVm({ imageReference: { id: GALLERY_ID }, plan: { name: 'rhel-lvm87', publisher: 'redhat', product: 'rhel-byos' } });
    expect(c).toMatchObject({ osFamily: 'rhel', osVersion: '8.7', osSource: 'image', licenseModel: 'byos' });
  });

  it('turns a PAYG image with licenseType RHEL_BYOS into byos, and a BYOS image with RHEL_BASE into payg', () => {
    expect(classifyAzureVm({ imageReference: rhelImage('RHEL', '8_10', '8.10.2025011519'), licenseType: 'RHEL_BYOS' }).licenseModel).toBe('byos');
    const byosToPayg = classifyAzureVm({
      imageReference: { publisher: 'redhat', offer: 'rhel-byos', sku: 'rhel-lvm8', version: 'latest', exactVersion: '8.9.2024020216' },
      plan: { name: 'rhel-lvm8', publisher: 'redhat', product: 'rhel-byos' },
      licenseType: 'RHEL_BASE',
    });
    expect(byosToPayg).toMatchObject({ osFamily: 'rhel', osVersion: '8.9', licenseModel: 'payg', licenseType: 'RHEL_BASE' });
  });

  it.each(['RHEL_BASE', 'RHEL_EUS', 'RHEL_SAPAPPS', 'RHEL_SAPHA', 'RHEL_BASESAPAPPS', 'RHEL_BASESAPHA'])('counts licenseType %s as payg on any RHEL VM', (licenseType) => {
    expect(classifyAzureVm({ guestOsName: 'redhat', guestOsVersion: '8.6', imageReference: { id: GALLERY_ID }, licenseType }).licenseModel).toBe('payg');
  });

  it('classifies a custom image by the guest report, as byos when no PAYG licenseType is set', () => {
    const c = classifyAzureVm({ guestOsName: 'redhat', guestOsVersion: '9.2', imageReference: { id: GALLERY_ID }, osDiskType: 'Linux', licenseType: 'None' });
    expect(c).toEqual({
      osFamily: 'rhel',
      osName: 'Red Hat Enterprise Linux',
      osVersion: '9.2',
      osSource: 'guest-agent',
      licenseModel: 'byos',
      rhelLicenseModel: 'byos',
      licenseType: null,
    });
  });

  it('says nothing of a custom Linux image without a guest report, but knows its license model if RHEL', () => {
    expect(classifyAzureVm({ imageReference: { id: GALLERY_ID }, osDiskType: 'Linux' })).toEqual({
      osFamily: 'unknown',
      osName: null,
      osVersion: null,
      osSource: null,
      licenseModel: null,
      rhelLicenseModel: 'byos',
      licenseType: null,
    });
  });

  it('classifies a deallocated RHEL VM (guest fields null) from its image', () => {
    const c = classifyAzureVm({ guestOsName: null, guestOsVersion: null, imageReference: rhelImage('RHEL', '9_4', 'latest') });
    expect(c).toMatchObject({ osFamily: 'rhel', osVersion: '9.4', osSource: 'image' });
  });

  it('classifies Windows from the guest, the image or the OS disk, with no license model', () => {
    const windowsImage = { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2016-Datacenter', version: 'latest' };
    const guest = classifyAzureVm({ guestOsName: 'Windows Server 2016 Datacenter', guestOsVersion: 'Microsoft Windows NT 10.0.14393.0', imageReference: windowsImage, osDiskType: 'Windows', licenseType: 'Windows_Server' });
    expect(guest).toMatchObject({ osFamily: 'windows', osName: 'Windows Server 2016 Datacenter', osVersion: 'Microsoft Windows NT 10.0.14393.0', osSource: 'guest-agent', licenseModel: null, rhelLicenseModel: 'unknown', licenseType: 'Windows_Server' });
    const image = classifyAzureVm({ imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition', version: 'latest' } });
    expect(image).toMatchObject({ osFamily: 'windows', osSource: 'image', osVersion: null });
    const disk = classifyAzureVm({ imageReference: { id: GALLERY_ID }, osDiskType: 'Windows' });
    expect(disk).toMatchObject({ osFamily: 'windows', osSource: 'disk', licenseModel: null });
  });

  it('classifies Ubuntu as linux-other with the guest version, or none from the image alone', () => {
    const image = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: '22.04.202405140' };
    expect(classifyAzureVm({ guestOsName: 'ubuntu', guestOsVersion: '22.04', imageReference: image })).toMatchObject({ osFamily: 'linux-other', osName: 'ubuntu', osVersion: '22.04', osSource: 'guest-agent', licenseModel: null });
    expect(classifyAzureVm({ imageReference: image })).toMatchObject({ osFamily: 'linux-other', osName: 'Ubuntu', osVersion: null, osSource: 'image' });
    expect(classifyAzureVm({ imageReference: image }).rhelLicenseModel).toBe('unknown');
  });

  it('lets the guest report beat the image', () => {
    const c = classifyAzureVm({ guestOsName: 'centos', guestOsVersion: '7.9.2009', imageReference: rhelImage('RHEL', '7-LVM', '7.9.2022101014') });
    expect(c).toMatchObject({ osFamily: 'linux-other', osName: 'centos', osSource: 'guest-agent', licenseModel: null, rhelLicenseModel: 'payg' });
  });

  it('falls back to the image when the guest names an OS it does not know', () => {
    expect(classifyAzureVm({ guestOsName: 'FreeBSD', imageReference: rhelImage('RHEL', '9_4', 'latest') })).toMatchObject({ osFamily: 'rhel', osSource: 'image' });
  });

  it('compares publisher, offer and plan case-insensitively', () => {
    expect(classifyAzureVm({ imageReference: { publisher: 'REDHAT', offer: 'RHEL-BYOS', sku: 'RHEL-LVM87', version: '8.7.2023021503' } }).licenseModel).toBe('byos');
    expect(classifyAzureVm({ imageReference: { id: GALLERY_ID }, plan: { name: 'x', publisher: 'RedHat', product: 'RHEL-BYOS' } }).osFamily).toBe('rhel');
  });

  it('treats a VM without any image reference (an attached, migrated disk) like a custom image', () => {
    expect(classifyAzureVm({ guestOsName: 'redhat', guestOsVersion: '8.10', osDiskType: 'Linux' })).toMatchObject({ osFamily: 'rhel', licenseModel: 'byos' });
  });

  it('reads a RHEL guest report with a long version as major.minor', () => {
    expect(classifyAzureVm({ guestOsName: 'Red Hat Enterprise Linux Server', guestOsVersion: '7.9.2009' }).osVersion).toBe('7.9');
  });

  it('treats licenseType None/NONE/empty as absent', () => {
    expect(normalizeLicenseType('None')).toBeNull();
    expect(normalizeLicenseType('NONE')).toBeNull();
    expect(normalizeLicenseType('')).toBeNull();
    expect(normalizeLicenseType(undefined)).toBeNull();
    expect(normalizeLicenseType('RHEL_BYOS')).toBe('RHEL_BYOS');
    expect(classifyAzureVm({ imageReference: rhelImage('RHEL', '8_10', 'latest'), licenseType: 'NONE' }).licenseModel).toBe('payg');
  });

  it('is unknown for RHEL from another publisher with no license hints', () => {
    expect(classifyAzureVm({ guestOsName: 'redhat', guestOsVersion: '9.4', imageReference: { publisher: 'acme', offer: 'appliance', sku: 'v1', version: '1.0.0' } })).toMatchObject({ osFamily: 'rhel', licenseModel: 'unknown' });
  });
});
