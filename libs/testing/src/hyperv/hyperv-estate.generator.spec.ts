import { HyperVEstateGenerator, MANDATORY_CASES } from './hyperv-estate.generator.js';
import type { HyperVGuestKind } from './hyperv-host-simulator.types.js';

const KINDS: HyperVGuestKind[] = ['rhel7', 'rhel8', 'rhel9', 'rhel-no-kvp', 'windows-server', 'ubuntu'];

describe('HyperVEstateGenerator', () => {
  const estate = new HyperVEstateGenerator(1).generate('HV01', 12);
  const specs = estate.vms.map((vm) => vm.spec);

  it('contains every guest kind and every mandatory case', () => {
    for (const kind of KINDS) expect(estate.vms.some((vm) => vm.kind === kind)).toBe(true);
    MANDATORY_CASES.forEach(([kind, state], i) => expect([estate.vms[i].kind, estate.vms[i].spec.state]).toEqual([kind, state]));
    const states = new Set(specs.map((s) => s.state));
    expect([...states]).toEqual(expect.arrayContaining(['Running', 'Off', 'Saved', 'Paused']));
  });

  it('gives Linux guests the KVP values hv_kvp_daemon reports', () => {
    const kvpOf = (kind: HyperVGuestKind) => estate.vms.find((vm) => vm.kind === kind)?.spec.kvp;
    expect(kvpOf('rhel7')).toMatchObject({ OSName: 'Red Hat Enterprise Linux Server', OSVersion: '3.10.0', IntegrationServicesVersion: '3.1' });
    expect(kvpOf('rhel8')).toMatchObject({ OSName: 'Red Hat Enterprise Linux', OSVersion: '4.18.0' });
    expect(kvpOf('rhel9')).toMatchObject({ OSName: 'Red Hat Enterprise Linux', OSVersion: '5.14.0' });
    expect(kvpOf('ubuntu')).toMatchObject({ OSName: 'Ubuntu' });
    expect(kvpOf('windows-server')?.OSName).toMatch(/^Windows Server 20(19|22) /);
    const bare = estate.vms.find((vm) => vm.kind === 'rhel-no-kvp')?.spec;
    expect(bare).toMatchObject({ kvp: null, guestServices: 'kernel-only' });
  });

  it('is deterministic by seed and differs between seeds', () => {
    expect(new HyperVEstateGenerator(1).generate('HV01', 12)).toEqual(estate);
    expect(new HyperVEstateGenerator(2).generate('HV01', 12).vms.map((vm) => vm.spec.vmId)).not.toEqual(specs.map((s) => s.vmId));
  });

  it('scales with unique ids, names and MACs in Get-VMNetworkAdapter form', () => {
    const big = new HyperVEstateGenerator(5).generate('HV01', 300);
    const all = big.vms.map((vm) => vm.spec);
    expect(new Set(all.map((s) => s.vmId)).size).toBe(300);
    expect(new Set(all.map((s) => s.name)).size).toBe(300);
    const macs = all.flatMap((s) => s.networkAdapters?.map((a) => a.macAddress) ?? []);
    expect(new Set(macs).size).toBe(300);
    for (const mac of macs) expect(mac).toMatch(/^00155D[0-9A-F]{6}$/);
    for (const kind of KINDS) expect(big.vms.filter((vm) => vm.kind === kind).length).toBeGreaterThan(5);
    expect(all.every((s) => s.hardDrives?.every((d) => d.fileSize > 0 && d.size > 0))).toBe(true);
  });

  it('derives the link-local address from the MAC (EUI-64)', () => {
    const nic = specs[0].networkAdapters?.[0];
    expect(nic?.macAddress).toBe('00155D0A0000');
    expect(nic?.ipAddresses[1]).toBe('fe80::215:5dff:fe0a:0');
  });

  it('has a couple of switches of different types', () => {
    expect(estate.switches.map((s) => s.switchType)).toEqual(['External', 'Internal']);
  });
});
