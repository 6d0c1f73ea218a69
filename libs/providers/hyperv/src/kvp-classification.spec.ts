import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { licenseModelFor } from '@hybridforms/core';
import { classifyKvpGuest as classify, readKvpItems, versionFromKernelRelease, type KvpItems } from './kvp-classification.js';
import { parsePowerShellJsonList } from './powershell-output.parser.js';

// kvp-items.ps51.json: our KVP projection as Windows PowerShell 5.1 prints it, values as the Linux
// hv_kvp_daemon fills them (OSMajorVersion = os-release VERSION_ID, OSVersion = kernel up to '-').
const records = parsePowerShellJsonList(
  readFileSync(join(process.cwd(), 'libs/providers/hyperv/src/__fixtures__/kvp-items.ps51.json'), 'utf8'),
  'kvp-items',
);
// With the license model the persister decides for a VM seen for the first time.
const classifyKvpGuest = (items: KvpItems | null | undefined) => {
  const c = classify(items);
  return { ...c, licenseModel: licenseModelFor(c.osFamily, c.rhelLicenseModel) };
};
const itemsOf = (vmId: string): KvpItems | null => readKvpItems(records.find((record) => record.VMId === vmId)?.Items);

describe('KVP classification of Hyper-V guests', () => {
  it('classifies RHEL 9 as rhel 9.6 from VERSION_ID, never from the kernel in OSVersion, and byos', () => {
    expect(classifyKvpGuest(itemsOf('0f4e6d3a-9b1c-4c2e-8f7a-3d2b1a0c9e8f'))).toEqual({
      osFamily: 'rhel',
      osName: 'Red Hat Enterprise Linux',
      osVersion: '9.6',
      osSource: 'kvp',
      licenseModel: 'byos',
      rhelLicenseModel: 'byos',
      guestAgentVersion: '3.1',
      fullyQualifiedDomainName: 'rhel9-web01.example.com',
    });
  });

  it('classifies RHEL 7 ("Red Hat Enterprise Linux Server") as rhel 7.9', () => {
    const os = classifyKvpGuest(itemsOf('7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d'));
    expect(os).toMatchObject({ osFamily: 'rhel', osName: 'Red Hat Enterprise Linux', osVersion: '7.9', osSource: 'kvp', licenseModel: 'byos' });
  });

  it('classifies Windows with its own OSVersion and no license model', () => {
    expect(classifyKvpGuest(itemsOf('6dbaf778-aab7-41d4-bdc8-11a2fe732a75'))).toEqual({
      osFamily: 'windows',
      osName: 'Windows Server 2022 Datacenter',
      osVersion: '10.0.20348',
      osSource: 'kvp',
      licenseModel: null,
      rhelLicenseModel: 'byos',
      guestAgentVersion: '10.0.20348.1',
      fullyQualifiedDomainName: 'WIN2022',
    });
  });

  it('classifies another Linux as linux-other with its VERSION_ID', () => {
    expect(classifyKvpGuest(itemsOf('1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809'))).toMatchObject({
      osFamily: 'linux-other',
      osName: 'Ubuntu',
      osVersion: '24.04',
      osSource: 'kvp',
      licenseModel: null,
    });
  });

  it('does not take RHEL CoreOS (an OpenShift node, VERSION_ID the OpenShift release) for RHEL', () => {
    expect(classifyKvpGuest(itemsOf('2c3d4e5f-6071-4829-a3b4-c5d6e7f8091a'))).toMatchObject({
      osFamily: 'linux-other',
      osName: 'Red Hat Enterprise Linux CoreOS',
      osVersion: '4.16',
      licenseModel: null,
    });
  });

  it.each([
    ['no Items (VM off, no daemon)', itemsOf('3d4e5f60-7182-49a3-b4c5-d6e7f8091a2b')],
    ['null', null],
    ['undefined', undefined],
    ['no OSName', { FullyQualifiedDomainName: 'mystery', IntegrationServicesVersion: '3.1' }],
    ['a blank OSName', { OSName: '  ' }],
    ['an OS we do not know', { OSName: 'FreeBSD', OSMajorVersion: '14.1' }],
  ])('says unknown, with no source, for %s', (_label, items) => {
    expect(classifyKvpGuest(items)).toMatchObject({ osFamily: 'unknown', osName: null, osVersion: null, osSource: null, licenseModel: null, rhelLicenseModel: 'byos' });
  });

  it('keeps the integration services version even when the OS is unknown', () => {
    expect(classifyKvpGuest({ IntegrationServicesVersion: '3.1' }).guestAgentVersion).toBe('3.1');
  });

  it.each([
    [{ OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '10.0' }, '10.0'],
    [{ OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '8.10' }, '8.10'],
    [{ OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '9', OSMinorVersion: '4' }, '9.4'],
    [{ OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '9', OSMinorVersion: '' }, '9'],
    [{ OSName: 'Red Hat Enterprise Linux Server release 7.9 (Maipo)' }, '7.9'],
    [{ OSName: 'Red Hat Enterprise Linux', OSVersion: '4.18.0', OSBuildNumber: '4.18.0-553.el8_10.x86_64' }, '8.10'],
    [{ OSName: 'Red Hat Enterprise Linux', OSVersion: '5.14.0' }, null],
  ])('reads the RHEL version of %j as %s', (items, expected) => {
    expect(classifyKvpGuest(items)).toMatchObject({ osFamily: 'rhel', osVersion: expected });
  });

  it('matches KVP keys whatever their casing', () => {
    expect(classifyKvpGuest({ osname: 'Red Hat Enterprise Linux', OSMAJORVERSION: '9.4' })).toMatchObject({ osFamily: 'rhel', osVersion: '9.4' });
  });

  it.each([
    ['5.14.0-570.22.1.el9_6.x86_64', '9.6'],
    ['4.18.0-553.el8_10.x86_64', '8.10'],
    ['3.10.0-1160.119.1.el7.x86_64', '7'],
    ['6.8.0-45-generic', null],
    [null, null],
  ])('reads the el tag of kernel release %s as %s', (release, expected) => {
    expect(versionFromKernelRelease(release)).toBe(expected);
  });

  it('reads KVP items from a projected record, dropping non-strings', () => {
    expect(readKvpItems({ OSName: 'Ubuntu', Odd: 3 })).toEqual({ OSName: 'Ubuntu' });
    expect(readKvpItems(null)).toBeNull();
    expect(readKvpItems({})).toBeNull();
    expect(readKvpItems(['OSName'])).toBeNull();
  });
});
