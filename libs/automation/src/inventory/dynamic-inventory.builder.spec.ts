import { BadInputError } from '@hybridforms/core';
import { buildInventory, hostnameBase, type InventoryVm } from './dynamic-inventory.builder.js';

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;
const SAFE_GROUP = /^[a-z0-9_]+$/;
let seq = 0;

function vm(overrides: Partial<InventoryVm> = {}): InventoryVm {
  seq++;
  const id = `${String(seq).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd`;
  return {
    id,
    name: `vm${seq}`,
    nativeId: `/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm${seq}`,
    providerId: 'p0000001-0000-4000-8000-000000000001',
    providerName: 'Azure Prod',
    location: 'westeurope',
    osFamily: 'rhel',
    osVersion: '9.4',
    licenseModel: 'byos',
    powerState: 'running',
    archivedAt: null,
    privateIps: ['10.0.0.4'],
    publicIps: ['20.1.2.3'],
    ...overrides,
  };
}

function groupsOfHost(built: ReturnType<typeof buildInventory>, host: string): string[] {
  return Object.entries(built.inventory.all.children ?? {})
    .filter(([, group]) => group.hosts && host in group.hosts)
    .map(([name]) => name)
    .sort();
}

describe('buildInventory', () => {
  it('makes one host per VM with its private address and our ids as the only other vars', () => {
    const a = vm({ name: 'web-01' });
    const built = buildInventory([a]);
    expect(built.hosts).toEqual([{ vmId: a.id, inventoryName: 'web-01', address: '10.0.0.4' }]);
    expect(built.inventory.all.hosts).toEqual({
      'web-01': { ansible_host: '10.0.0.4', hybridforms_vm_id: a.id, hybridforms_provider_id: a.providerId },
    });
    expect(built.skipped).toEqual([]);
  });

  it('puts each host in its provider, location, OS family, major, major_minor and license groups', () => {
    const built = buildInventory([vm({ name: 'web', providerName: 'Azure Prod (EU)', location: 'West Europe', osVersion: '8.10', licenseModel: 'payg' })]);
    expect(groupsOfHost(built, 'web')).toEqual(['license_payg', 'location_west_europe', 'os_rhel', 'os_rhel_8', 'os_rhel_8_10', 'provider_azure_prod_eu']);
  });

  it('makes only the groups the VM has data for', () => {
    const built = buildInventory([vm({ name: 'x', osFamily: 'linux-other', osVersion: null, location: null, licenseModel: null })]);
    expect(groupsOfHost(built, 'x')).toEqual(['os_linux_other', 'provider_azure_prod']);
    const majorOnly = buildInventory([vm({ name: 'y', osVersion: '9' })]);
    expect(groupsOfHost(majorOnly, 'y')).toContain('os_rhel_9');
    expect(groupsOfHost(majorOnly, 'y').filter((g) => g.startsWith('os_rhel_9_'))).toEqual([]);
    const odd = buildInventory([vm({ name: 'z', osVersion: 'Server 2022' })]);
    expect(groupsOfHost(odd, 'z').filter((g) => g.startsWith('os_'))).toEqual(['os_rhel']);
  });

  it('sanitizes every group name to [a-z0-9_], whatever the provider, location or OS text', () => {
    const built = buildInventory([
      vm({ providerName: 'Hyper-V {{ lookup("pipe","id") }}', location: 'rack; rm -rf /', osFamily: 'Win dows', licenseModel: 'B.Y.O.S' }),
    ]);
    const groups = Object.keys(built.inventory.all.children ?? {});
    expect(groups).toEqual(expect.arrayContaining(['provider_hyper_v_lookup_pipe_id', 'location_rack_rm_rf', 'os_win_dows', 'license_b_y_o_s']));
    for (const group of groups) expect(group).toMatch(SAFE_GROUP);
  });

  it('keeps two providers whose names sanitize alike in separate groups', () => {
    const a = vm({ providerId: 'aaaaaaaa-1', providerName: 'Azure Prod' });
    const b = vm({ providerId: 'bbbbbbbb-2', providerName: 'azure-prod' });
    const built = buildInventory([a, b]);
    expect(groupsOfHost(built, a.name)).toContain('provider_azure_prod_aaaaaaaa');
    expect(groupsOfHost(built, b.name)).toContain('provider_azure_prod_bbbbbbbb');
  });

  it('follows the address policy per provider id, private by default, with no fallback', () => {
    const azure = vm({ name: 'a', providerId: 'azure-1' });
    const hyperv = vm({ name: 'h', providerId: 'hyperv-1', publicIps: [] });
    const built = buildInventory([azure, hyperv], { addressPolicy: { 'azure-1': 'public', 'hyperv-1': 'private' } });
    expect(built.hosts.map((h) => h.address)).toEqual(['20.1.2.3', '10.0.0.4']);
    const noPublic = buildInventory([hyperv], { addressPolicy: { 'hyperv-1': 'public' } });
    expect(noPublic.skipped).toEqual([{ vmId: hyperv.id, name: 'h', reason: 'no-address' }]);
    expect(noPublic.inventory.all.hosts).toEqual({});
  });

  it('takes the first valid IP address and ignores anything that is not one', () => {
    const built = buildInventory([vm({ privateIps: ['', 'not-an-ip', '10.0.0.9 ; id', 'fe80::1', '10.0.0.5'] })]);
    expect(built.hosts[0].address).toBe('fe80::1');
    const none = buildInventory([vm({ privateIps: ['$(id)', 'host.example.com'] })]);
    expect(none.skipped[0].reason).toBe('no-address');
  });

  it('skips archived, then powered-off VMs, keeping running, starting and unknown ones', () => {
    const archived = vm({ archivedAt: new Date(), powerState: 'deallocated' });
    const off = ['stopped', 'stopping', 'deallocating', 'deallocated', 'suspended'].map((powerState) => vm({ powerState }));
    const on = ['running', 'starting', 'unknown'].map((powerState) => vm({ powerState }));
    const built = buildInventory([archived, ...off, ...on]);
    expect(built.skipped.map((s) => s.reason)).toEqual(['archived', ...off.map(() => 'powered-off')]);
    expect(built.hosts.map((h) => h.vmId)).toEqual(on.map((v) => v.id));
  });

  it('adds the fixed host vars and maps addresses (a loopback target in tests)', () => {
    const a = vm({ name: 'rhel-sim' });
    const built = buildInventory([a], {
      hostVars: { ansible_user: 'root', ansible_python_interpreter: '/usr/bin/python3' },
      mapAddress: () => ({ host: '127.0.0.1', port: 2222 }),
    });
    expect(built.inventory.all.hosts!['rhel-sim']).toMatchObject({ ansible_user: 'root', ansible_host: '127.0.0.1', ansible_port: 2222 });
    expect(built.hosts[0].address).toBe('10.0.0.4');
  });

  it('refuses a fixed host var whose name is not an identifier', () => {
    expect(() => buildInventory([vm()], { hostVars: { 'a-b': 1 } })).toThrow(/not a plain identifier/);
  });

  it('generates safe hostnames from any VM name', () => {
    const names = ['My VM (prod)', '../../etc', '-rf', '{{ x }}', 'サーバー', 'café', 'a'.repeat(200), 'web\nall', '.hidden'];
    const built = buildInventory(names.map((name) => vm({ name })));
    for (const host of built.hosts) {
      expect(host.inventoryName).toMatch(SAFE_NAME);
      expect(host.inventoryName).not.toMatch(/^[-.]/);
      expect(host.inventoryName.length).toBeLessThanOrEqual(63);
    }
    expect(built.hosts.map((h) => h.inventoryName).slice(0, 6)).toEqual(['My-VM-prod', 'etc', 'rf', 'x', 'vm', 'cafe']);
  });

  it('keeps hostnames unique when VMs share a name, suffixing each of them with its id', () => {
    const a = vm({ name: 'web', id: 'aaaaaaaa-1111-4111-8111-111111111111' });
    const b = vm({ name: 'WEB', id: 'bbbbbbbb-2222-4222-8222-222222222222', providerId: 'other' });
    const c = vm({ name: 'web.', id: 'cccccccc-3333-4333-8333-333333333333' });
    const d = vm({ name: 'db' });
    const built = buildInventory([a, b, c, d]);
    expect(built.hosts.map((h) => h.inventoryName)).toEqual(['web-aaaaaaaa', 'WEB-bbbbbbbb', 'web-cccccccc', 'db']);
  });

  it('lengthens the suffix when ids share their first characters, and never takes a plain name', () => {
    const a = vm({ name: 'web', id: '12345678-aaaa-4aaa-8aaa-aaaaaaaaaaaa' });
    const b = vm({ name: 'web', id: '12345678-bbbb-4bbb-8bbb-bbbbbbbbbbbb' });
    const plain = vm({ name: 'web-12345678' });
    const built = buildInventory([a, b, plain]);
    expect(built.hosts.map((h) => h.inventoryName)).toEqual(['web-12345678aaaa', 'web-12345678bbbb', 'web-12345678']);
  });

  it('suffixes names Ansible reserves or that equal a group name', () => {
    const built = buildInventory([vm({ name: 'localhost' }), vm({ name: 'all' }), vm({ name: 'os_rhel' })]);
    for (const host of built.hosts) expect(host.inventoryName).toMatch(/^(localhost|all|os_rhel)-[0-9a-z]{8}$/);
  });

  it('refuses host var values Ansible would template', () => {
    expect(() => buildInventory([vm()], { hostVars: { ansible_user: "{{ lookup('pipe', 'id') }}" } })).toThrow(BadInputError);
    expect(() => buildInventory([vm()], { hostVars: { ansible_user: 'a{%b' } })).toThrow(/Jinja/);
    expect(() => buildInventory([vm()], { mapAddress: () => ({ host: '{# x #}' }) })).toThrow(/ansible_host/);
    expect(() => buildInventory([vm()], { hostVars: { ansible_user: 'cloud-user{x}' } })).not.toThrow();
  });

  it('makes no host var from VM-supplied text', () => {
    const built = buildInventory([vm({ name: 'ansible_user', providerName: 'ansible_connection', location: 'hostvars' })]);
    const vars = Object.values(built.inventory.all.hosts!)[0];
    expect(Object.keys(vars).sort()).toEqual(['ansible_host', 'hybridforms_provider_id', 'hybridforms_vm_id']);
  });

  it('gives an empty inventory for no VMs', () => {
    expect(buildInventory([])).toEqual({ inventory: { all: { hosts: {}, children: {} } }, hosts: [], skipped: [] });
  });
});

describe('hostnameBase', () => {
  it.each([
    ['web-01', 'web-01'],
    ['web 01', 'web-01'],
    ['--x--', 'x'],
    ['', 'vm'],
    ['...', 'vm'],
    ['a.b_c', 'a.b_c'],
  ])('%j → %j', (name, expected) => {
    expect(hostnameBase(name)).toBe(expected);
  });
});
