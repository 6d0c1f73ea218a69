import type { ProvisionSource, ProvisionSpec } from '@hybridforms/core';
import { parseVmCreateScript, VM_CREATE_REQUIRED_CMDLETS, writesErrorRecordJson } from '@hybridforms/testing';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';
import { buildVmCreateScript, DEFAULT_LOCK_WAIT_MS, HYPERV_CREATE_STEPS, vhdPathOf, vmCreateInputOf, vmLockNameOf } from './hyperv-vm-create.script.js';
import { encodePowerShellCommand } from './powershell-command.js';

const HOST = 'hyperv:hv01';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example';
const VHD_SOURCE: ProvisionSource = {
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
const VM_SOURCE: ProvisionSource = {
  ...VHD_SOURCE,
  ref: 'vm:7a3c9e41-2b6d-4f80-9c1e-5d8a0b3f6e27',
  kind: 'template-vm',
  name: 'rhel9-template',
  details: { diskPath: 'D:\\VMs\\rhel9-template\\rhel9-template.vhdx' },
};
const spec = (over: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
  requestId: 'req-1',
  taskId: 'task-1',
  name: 'rhel9-web01',
  source: VHD_SOURCE,
  size: { cpuCount: 2, memoryMB: 4096 },
  placement: { hostNativeId: HOST, switchName: 'vSwitch-LAN', vhdFolder: 'D:\\VMs\\' },
  admin: { username: 'cloud-user', sshPublicKey: KEY },
  userData: null,
  tags: {},
  licenseModel: null,
  ...over,
});

describe('create-step scripts', () => {
  it('gives every step the spec\'s values, read back as the host reads them', () => {
    const script = buildVmCreateScript('vm', vmCreateInputOf(spec()));
    expect(parseVmCreateScript(script)).toEqual({
      step: 'vm',
      name: 'rhel9-web01',
      tag: 'hybridforms-task=task-1',
      notes: 'hybridforms-request=req-1; hybridforms-task=task-1',
      folder: 'D:\\VMs',
      file: 'rhel9-web01.vhdx',
      parent: 'D:\\Library\\Templates\\rhel-9.4-gold.vhdx',
      copy: false,
      generation: 2,
      memoryBytes: 4096 * 1024 * 1024,
      cpuCount: 2,
      switchName: 'vSwitch-LAN',
      setsUefiCa: true,
      removesUntagged: true,
      lock: { name: vmLockNameOf('rhel9-web01'), waitMs: DEFAULT_LOCK_WAIT_MS },
    });
  });

  it("holds the VM name's host-wide mutex in every step that acts (the same one whatever the name's case), and not in the guest step, which only reads", () => {
    const input = vmCreateInputOf(spec());
    expect(vmLockNameOf('RHEL9-Web01')).toBe(vmLockNameOf('rhel9-web01'));
    expect(vmLockNameOf('rhel9-web02')).not.toBe(vmLockNameOf('rhel9-web01'));
    expect(vmLockNameOf('rhel9-web01')).toMatch(/^Global\\hybridforms-vm-[0-9a-f]{32}$/);
    for (const step of ['vhd', 'vm', 'processor', 'memory', 'network', 'start'] as const) {
      expect(parseVmCreateScript(buildVmCreateScript(step, input, 30_000)).lock).toEqual({ name: vmLockNameOf('rhel9-web01'), waitMs: 30_000 });
    }
    expect(parseVmCreateScript(buildVmCreateScript('guest', input)).lock).toBeNull();
  });

  it('takes a template VM\'s first disk as the parent, the defaults for memory and processors, and the host\'s VHD folder when none is given', () => {
    const input = vmCreateInputOf(spec({ source: VM_SOURCE, size: {}, placement: { hostNativeId: HOST, switchName: 'vSwitch-LAN', copyVhd: true } }));
    expect(input).toMatchObject({ parent: 'D:\\VMs\\rhel9-template\\rhel9-template.vhdx', copy: true, memoryBytes: 2048 * 1024 * 1024, cpuCount: 1, folder: null });
    expect(vhdPathOf(input)).toBeNull();
    expect(parseVmCreateScript(buildVmCreateScript('vhd', input)).folder).toBeNull();
  });

  it('gives a generation 1 VM no Secure Boot template', () => {
    expect(parseVmCreateScript(buildVmCreateScript('vm', vmCreateInputOf(spec({ size: { generation: 1 } })))).setsUefiCa).toBe(false);
  });

  it('keeps a quote in a value inside its literal', () => {
    const script = buildVmCreateScript('network', vmCreateInputOf(spec({ placement: { hostNativeId: HOST, switchName: "it's-LAN'; Remove-VM *; '" } })));
    expect(script).toContain("$switch = 'it''s-LAN''; Remove-VM *; '''");
    expect(parseVmCreateScript(script).switchName).toBe("it's-LAN'; Remove-VM *; '");
  });

  it.each(HYPERV_CREATE_STEPS.map((s) => [s]))('the %s script calls what the host requires, never Get-VM -Name, writes its errors as one JSON record and fits a command line', (step) => {
    const script = buildVmCreateScript(step, vmCreateInputOf(spec({ name: 'a'.repeat(63) })));
    expect(() => parseVmCreateScript(script)).not.toThrow();
    expect(VM_CREATE_REQUIRED_CMDLETS.every((c) => script.includes(c))).toBe(true);
    expect(script).not.toMatch(/Get-VM\s+-(?:Name|VMName)\b/i);
    expect(writesErrorRecordJson(script)).toBe(true);
    expect(() => encodePowerShellCommand(script)).not.toThrow();
  });

  it('refuses a source that is not a Hyper-V template', () => {
    expect(() => vmCreateInputOf(spec({ source: { ...VHD_SOURCE, kind: 'marketplace', ref: 'marketplace:eastus:RedHat:RHEL:9-lvm-gen2' } }))).toThrow(/not a Hyper-V one/);
  });
});

describe('provisionSteps', () => {
  const plugin = new HyperVProviderPlugin();

  it('lists the create steps in order, the disk by its path and the VM by name (its GUID comes once made)', () => {
    expect(plugin.provisionSteps(spec())).toEqual([
      { name: 'vhd', creates: { kind: 'disk', nativeId: 'D:\\VMs\\rhel9-web01.vhdx', name: 'rhel9-web01.vhdx', hostNativeId: HOST } },
      { name: 'vm', creates: { kind: 'vm', nativeId: '', name: 'rhel9-web01', hostNativeId: HOST } },
      { name: 'processor', creates: null },
      { name: 'memory', creates: null },
      { name: 'network', creates: null },
      { name: 'start', creates: null },
      { name: 'guest', creates: null },
    ]);
  });

  it('is pure: the same spec gives the same plan', () => {
    expect(plugin.provisionSteps(spec())).toEqual(plugin.provisionSteps(spec()));
  });
});
