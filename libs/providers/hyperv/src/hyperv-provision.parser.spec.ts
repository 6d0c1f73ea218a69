import type { ProvisionSource, ProvisionSpec } from '@hybridforms/core';
import { checkSpecShape, parseVhdSourceRef, sshPublicKeyProblem, vmNameProblems } from './hyperv-provision.checks.js';
import { availableMemoryBytes, parseProvisionCheck, parseProvisionSources, provisionSourcesOf } from './hyperv-provision.parser.js';
import { classifyTemplateName } from './kvp-classification.js';

const HOST = 'hyperv:hv01';
const GIB = 1024 ** 3;
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example';

describe('parseProvisionSources', () => {
  // PS 5.1 -Compress output: enums as integers, one template VM as a one-item array (@()).
  const ps51 =
    '{"ComputerName":"HV01","Vhds":[{"Path":"D:\\\\Library\\\\Templates\\\\rhel-9.4-gold.vhdx","VhdFormat":3,"VhdType":3,"Size":68719476736,"FileSize":6442450944,"ParentPath":null},' +
    '{"Path":"D:\\\\Library\\\\Templates\\\\ubuntu-22.04-base.vhdx","VhdFormat":3,"VhdType":2,"Size":34359738368,"FileSize":34359738368,"ParentPath":""}],' +
    '"Templates":[{"VMId":"7A3C9E41-2B6D-4F80-9C1E-5D8A0B3F6E27","VMName":"rhel9-template","Generation":2,"State":"Off","Notes":"#template","DiskPath":"D:\\\\VMs\\\\t.vhdx","Kvp":null}],"Missing":["E:\\\\Gone"]}\r\n';

  it('reads 5.1 integers and 7 names alike', () => {
    const facts = parseProvisionSources(ps51, 'x');
    expect(facts.vhds.map((v) => [v.vhdFormat, v.vhdType, v.parentPath])).toEqual([
      ['VHDX', 'Dynamic', null],
      ['VHDX', 'Fixed', null],
    ]);
    expect(facts.templates[0]).toMatchObject({ vmId: '7a3c9e41-2b6d-4f80-9c1e-5d8a0b3f6e27', generation: 2, diskPath: 'D:\\VMs\\t.vhdx', kvp: null });
    expect(facts.missing).toEqual(['E:\\Gone']);
    const ps7 = ps51.replace('"VhdFormat":3,"VhdType":3', '"VhdFormat":"VHDX","VhdType":"Differencing"');
    expect(parseProvisionSources(ps7, 'x').vhds[0]).toMatchObject({ vhdFormat: 'VHDX', vhdType: 'Differencing' });
  });

  it('accepts a bare object where an array was expected, and refuses a document without the lists', () => {
    const bare = '{"Vhds":{"Path":"D:\\\\L\\\\a.vhdx","VhdFormat":3,"VhdType":3},"Templates":[],"Missing":[]}';
    expect(parseProvisionSources(bare, 'x').vhds).toHaveLength(1);
    expect(() => parseProvisionSources('{"Foo":1}', 'x')).toThrow(/no Vhds and Templates/);
    expect(() => parseProvisionSources('', 'x')).toThrow(/printed nothing/);
  });

  it('makes sources: VHDX classified from the file name, template VMs from KVP else their name', () => {
    const facts = parseProvisionSources(ps51, 'x');
    facts.templates.push({ ...facts.templates[0], vmId: '00000000-0000-4000-8000-000000000001', vmName: 'golden', kvp: { OSName: 'Red Hat Enterprise Linux', OSMajorVersion: '8.10' } });
    const sources = provisionSourcesOf(HOST, facts);
    expect(sources.map((s) => [s.ref, s.kind, s.osFamily, s.osVersion, s.licenseModel, s.generation, s.details.osFrom])).toEqual([
      [`vhd:${HOST}:D:\\Library\\Templates\\rhel-9.4-gold.vhdx`, 'template-vhd', 'rhel', '9.4', 'byos', 2, 'file-name'],
      [`vhd:${HOST}:D:\\Library\\Templates\\ubuntu-22.04-base.vhdx`, 'template-vhd', 'linux-other', null, null, 2, 'file-name'],
      ['vm:7a3c9e41-2b6d-4f80-9c1e-5d8a0b3f6e27', 'template-vm', 'rhel', '9', 'byos', 2, 'vm-name'],
      ['vm:00000000-0000-4000-8000-000000000001', 'template-vm', 'rhel', '8.10', 'byos', 2, 'kvp'],
    ]);
    expect(sources[0]).toMatchObject({ name: 'rhel-9.4-gold', hostNativeId: HOST, location: null, plan: null, details: { sizeBytes: 64 * GIB, vhdType: 'Dynamic' } });
    expect(parseVhdSourceRef(sources[0].ref)).toEqual({ hostNativeId: HOST, path: 'D:\\Library\\Templates\\rhel-9.4-gold.vhdx' });
    expect(parseVhdSourceRef('vhd:hyperv:127.0.0.1:2222:D:\\L\\a.vhdx')).toEqual({ hostNativeId: 'hyperv:127.0.0.1:2222', path: 'D:\\L\\a.vhdx' });
  });
});

describe('classifyTemplateName', () => {
  it.each([
    ['rhel-9.4-gold', 'rhel', '9.4'],
    ['rhel-8.10-gold', 'rhel', '8.10'],
    ['RHEL9_4-base', 'rhel', '9.4'],
    ['rhel9-template', 'rhel', '9'],
    ['golden-image', 'unknown', null],
    ['rhcos-4.14', 'unknown', null],
    ['ubuntu-22.04', 'linux-other', null],
    ['windows-2022-core', 'windows', null],
  ])('%s → %s %s', (name, family, version) => {
    expect(classifyTemplateName(name)).toMatchObject({ osFamily: family, osVersion: version });
  });
});

describe('parseProvisionCheck and the memory a host can give', () => {
  it('reads the facts and takes the smaller of free physical memory and capacity minus assigned', () => {
    const facts = parseProvisionCheck(
      '{"ComputerName":"HV01","LogicalProcessorCount":32,"MemoryCapacity":274877906944,"MemoryAssigned":17179869184,"FreePhysicalMemoryKB":246415360,' +
        '"Vms":[{"Name":"Web01","Exists":true}],"Switches":[{"Name":"vSwitch-LAN","Exists":false}],"Files":[],"Folders":[]}',
      'x',
    );
    expect(facts.vms.get('web01')).toBe(true);
    expect(facts.switches.get('vswitch-lan')).toBe(false);
    expect(availableMemoryBytes(facts)).toBe(246415360 * 1024);
    expect(availableMemoryBytes({ ...facts, freePhysicalMemory: null })).toBe(256 * GIB - 16 * GIB);
    expect(() => parseProvisionCheck('{"Vms":[]}', 'x')).toThrow(/MemoryCapacity/);
  });
});

describe('checkSpecShape', () => {
  const source: ProvisionSource = {
    ref: `vhd:${HOST}:D:\\Library\\Templates\\rhel-9.4-gold.vhdx`,
    kind: 'template-vhd',
    name: 'rhel-9.4-gold',
    osFamily: 'rhel',
    osVersion: '9.4',
    licenseModel: 'byos',
    location: null,
    hostNativeId: HOST,
    generation: 2,
    plan: null,
    details: {},
  };
  const spec = (over: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
    requestId: 'r',
    taskId: 't',
    name: 'rhel9-web01',
    source,
    size: { cpuCount: 2, memoryMB: 4096 },
    placement: { hostNativeId: HOST, switchName: 'vSwitch-LAN' },
    admin: { username: 'cloud-user', sshPublicKey: ED25519 },
    userData: null,
    tags: {},
    licenseModel: null,
    ...over,
  });

  it('passes a good spec', () => {
    expect(checkSpecShape(spec(), [HOST])).toEqual([]);
  });

  it('refuses user data: Hyper-V has no channel to hand it to the guest', () => {
    expect(checkSpecShape(spec({ userData: '#cloud-config\n' }), [HOST])).toEqual([expect.stringMatching(/^userData: Hyper-V has no channel .* \(VM 'rhel9-web01'\)$/)]);
  });

  it('names Hyper-V and host-name problems', () => {
    expect(vmNameProblems('a'.repeat(101))[0]).toMatch(/^name: .* Hyper-V takes up to 100/);
    expect(vmNameProblems('web:01')[0]).toMatch(/^name: 'web:01' holds a character Hyper-V does not allow/);
    expect(vmNameProblems('web_01')).toEqual([expect.stringMatching(/^name: 'web_01' is also the guest's host name/)]);
    expect(vmNameProblems('-web')).toHaveLength(1);
    expect(vmNameProblems('1234')).toHaveLength(1);
    expect(vmNameProblems('Web-01')).toEqual([]);
  });

  it('checks sizes, generation, placement, source and the admin key, one message per field', () => {
    const problems = checkSpecShape(
      spec({
        size: { cpuCount: 0, memoryMB: 1023, generation: 3 as never },
        placement: { hostNativeId: 'hyperv:other', vhdFolder: 'VMs' },
        admin: { username: 'root', sshPublicKey: 'ssh-rsa AAAA' },
      }),
      [HOST],
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'size.generation',
      'size.cpuCount',
      'size.memoryMB',
      'placement.hostNativeId',
      'placement.switchName',
      'placement.vhdFolder',
      'source',
      'admin.sshPublicKey',
      'admin.username',
    ]);
  });

  it('refuses a .vhd for generation 2, and a template VM of another generation', () => {
    const vhd = { ...source, ref: `vhd:${HOST}:D:\\Library\\Templates\\rhel-7.9.vhd`, generation: 1 as const };
    expect(checkSpecShape(spec({ source: vhd, size: { generation: 2 } }), [HOST])).toEqual([expect.stringMatching(/^size\.generation: a generation 2 VM cannot use the \.vhd file/)]);
    expect(checkSpecShape(spec({ source: vhd, size: {} }), [HOST])).toEqual([]);
    // A generation 1 VM boots a VHDX from IDE.
    expect(checkSpecShape(spec({ size: { generation: 1 } }), [HOST])).toEqual([]);
    const vm: ProvisionSource = { ...source, ref: 'vm:7a3c9e41-2b6d-4f80-9c1e-5d8a0b3f6e27', kind: 'template-vm', details: { diskPath: 'D:\\VMs\\t.vhdx' } };
    expect(checkSpecShape(spec({ source: vm, size: { generation: 1 } }), [HOST])).toEqual([expect.stringMatching(/^size\.generation: template VM .* is generation 2/)]);
    expect(checkSpecShape(spec({ source: { ...vm, details: {} } }), [HOST])).toEqual([expect.stringMatching(/^source: template VM .* has no hard disk/)]);
    expect(checkSpecShape(spec({ source: { ...source, kind: 'marketplace' } }), [HOST])).toEqual([expect.stringMatching(/^source: a marketplace source is not a Hyper-V one/)]);
  });

  it('knows an OpenSSH public key from a private key and a mislabelled blob', () => {
    expect(sshPublicKeyProblem(ED25519)).toBeNull();
    expect(sshPublicKeyProblem('-----BEGIN OPENSSH PRIVATE KEY-----\nabc')).toMatch(/private key/);
    expect(sshPublicKeyProblem(ED25519.replace('ssh-ed25519', 'ssh-rsa'))).toMatch(/not a ssh-rsa key/);
    expect(sshPublicKeyProblem('ssh-ed25519')).toMatch(/no base64/);
    expect(sshPublicKeyProblem(`${ED25519}\n${ED25519}`)).toMatch(/one line/);
  });
});
