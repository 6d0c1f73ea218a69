import type { SimVmSpec } from './azure-simulator.types.js';
import { EstateGenerator, MANDATORY_CASES, type GeneratedVm } from './estate.generator.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';

function specs(vms: GeneratedVm[]): SimVmSpec[] {
  return vms.map((vm) => vm.spec);
}

const isRedHat = (s: SimVmSpec) => s.imageReference?.publisher?.toLowerCase() === 'redhat';
const isPayg = (s: SimVmSpec) => isRedHat(s) && s.imageReference?.offer?.toLowerCase() !== 'rhel-byos';

describe('EstateGenerator', () => {
  const estate = new EstateGenerator(1).generate(SUB, 0, 36);
  const all = specs(estate.vms);

  it('contains every mandatory case with the default 36 VMs', () => {
    for (const wanted of MANDATORY_CASES) expect(estate.vms.some((vm) => vm.case === wanted)).toBe(true);
  });

  it('has RHEL 7, 8 and 9 pay-as-you-go marketplace images across the RedHat offers', () => {
    const paygSkus = all.filter((s) => isPayg(s) && !s.licenseType).map((s) => s.imageReference?.sku);
    expect(paygSkus).toEqual(expect.arrayContaining(['7-LVM', '7.9', '8-lvm-gen2', '8_10', '9-lvm-gen2', '9_4', '810sapha-gen2']));
    const offers = new Set(all.filter(isRedHat).map((s) => s.imageReference?.offer));
    expect([...offers]).toEqual(expect.arrayContaining(['RHEL', 'RHEL-SAP-HA', 'RHEL-HA', 'rhel-byos']));
    const latest = all.find((s) => isRedHat(s) && s.imageReference?.version === 'latest');
    expect(latest?.imageReference?.exactVersion).toMatch(/^\d+\.\d+\.\d{10}$/);
    expect(all.some((s) => /^9\.4\.\d{10}$/.test(s.imageReference?.version ?? ''))).toBe(true);
  });

  it('has BYOS gold images with a lower-case plan, and both Hybrid Benefit conversions', () => {
    const gold = all.find((s) => s.imageReference?.offer === 'rhel-byos' && !s.licenseType);
    expect(gold?.plan).toEqual({ name: gold?.imageReference?.sku, publisher: 'redhat', product: 'rhel-byos' });
    expect(all.some((s) => isPayg(s) && s.licenseType === 'RHEL_BYOS')).toBe(true);
    expect(all.some((s) => s.imageReference?.offer === 'rhel-byos' && s.licenseType === 'RHEL_BASE')).toBe(true);
  });

  it('has custom images that are RHEL inside, one with a PAYG license type, and one nobody reports on', () => {
    const custom = all.filter((s) => s.imageReference?.id);
    expect(custom.some((s) => /^(redhat|rhel)$/.test(s.guestOsName ?? '') && !s.licenseType)).toBe(true);
    expect(custom.some((s) => s.guestOsName === 'redhat' && s.licenseType === 'RHEL_BASE')).toBe(true);
    expect(custom.some((s) => s.guestOsName === null && s.vmAgentVersion === null)).toBe(true);
    expect(custom.every((s) => s.imageReference?.publisher === undefined)).toBe(true);
  });

  it('has Windows Server and Ubuntu VMs', () => {
    const windows = all.filter((s) => s.osType === 'Windows');
    expect(windows.every((s) => s.imageReference?.sku === '2022-datacenter-azure-edition')).toBe(true);
    expect(windows.some((s) => s.licenseType === 'Windows_Server')).toBe(true);
    expect(windows.some((s) => !s.licenseType)).toBe(true);
    const ubuntu = all.find((s) => s.imageReference?.publisher === 'Canonical');
    expect(ubuntu).toMatchObject({ guestOsName: 'ubuntu', guestOsVersion: '22.04' });
  });

  it('varies power state, agent versions, locations, groups, tags, public IPs and data disks', () => {
    const states = new Set(all.map((s) => s.powerState));
    expect([...states]).toEqual(expect.arrayContaining(['running', 'stopped', 'deallocated']));
    const agents = new Set(all.map((s) => s.vmAgentVersion));
    expect([...agents]).toEqual(expect.arrayContaining(['2.9.1.1', '2.15.1.3']));
    expect(new Set(all.map((s) => s.location)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((s) => s.resourceGroup)).size).toBeGreaterThanOrEqual(4);
    expect(all.some((s) => s.tags && Object.keys(s.tags).length > 0)).toBe(true);
    expect(all.some((s) => !s.tags)).toBe(true);
    expect(all.some((s) => s.publicIp)).toBe(true);
    expect(all.some((s) => (s.dataDisks ?? 0) > 0)).toBe(true);
    const deallocated = estate.vms.find((vm) => vm.case === 'rhel-deallocated');
    expect(deallocated?.spec.publicIp).toBe(true);
    expect(deallocated?.hints.publicIpAllocation).toBe('Dynamic');
    expect(estate.vms.map((vm) => vm.hints.upperCaseReferences)).toEqual(expect.arrayContaining([true, false]));
  });

  it('is deterministic by seed and differs between seeds and subscriptions', () => {
    expect(new EstateGenerator(1).generate(SUB, 0, 36)).toEqual(estate);
    expect(new EstateGenerator(2).generate(SUB, 0, 36)).not.toEqual(estate);
    expect(specs(new EstateGenerator(1).generate(SUB, 1, 36).vms)).not.toEqual(all);
  });

  it('generates 10,000 uniquely named VMs quickly', () => {
    const started = Date.now();
    const big = new EstateGenerator(7).generate(SUB, 0, 10_000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(new Set(big.vms.map((vm) => `${vm.spec.resourceGroup}/${vm.spec.name}`.toLowerCase())).size).toBe(10_000);
  });

  it('keeps the first cases when asked for fewer VMs than there are cases', () => {
    expect(new EstateGenerator(1).generate(SUB, 0, 3).vms).toHaveLength(3);
    expect(new EstateGenerator(1).generate(SUB, 0, 0).vms).toHaveLength(0);
  });
});
