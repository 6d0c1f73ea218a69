import { isIP } from 'node:net';
import { BadInputError } from '@hybridforms/core';
import type { AnsibleInventory } from '../runner/ansible-runner.types.js';

/** A VM as the inventory needs it (a VmEntity row joined with its NICs' addresses and provider name). */
export interface InventoryVm {
  id: string;
  name: string;
  nativeId: string;
  providerId: string;
  providerName: string;
  location: string | null;
  osFamily: string;
  osVersion: string | null;
  licenseModel: string | null;
  powerState: string;
  archivedAt: Date | null;
  privateIps: string[];
  publicIps: string[];
}

export type AddressPolicy = 'private' | 'public';
export type HostVarValue = string | number | boolean;

export interface InventoryOptions {
  /** Which address Ansible connects to, per provider id; `private` when a provider is not listed. */
  addressPolicy?: Record<string, AddressPolicy>;
  /** Fixed variables set on every host (ansible_user, ansible_port…): configuration, never user input. */
  hostVars?: Record<string, HostVarValue>;
  /** Maps the chosen address to where Ansible connects (tests point it at a loopback sshd). */
  mapAddress?: (vm: InventoryVm, address: string) => { host: string; port?: number };
}

export type SkipReason = 'archived' | 'powered-off' | 'no-address';

export interface InventoryHost {
  vmId: string;
  inventoryName: string;
  /** The VM's address chosen by the policy (before mapAddress). */
  address: string;
}

export interface BuiltInventory {
  inventory: AnsibleInventory;
  hosts: InventoryHost[];
  skipped: Array<{ vmId: string; name: string; reason: SkipReason }>;
}

/** Power states in which a VM cannot answer; `unknown` and `starting` are tried (Ansible reports them unreachable if so). */
export const POWERED_OFF_STATES: ReadonlySet<string> = new Set(['stopped', 'stopping', 'deallocating', 'deallocated', 'suspended']);

/** Hostnames Ansible treats specially or that name its implicit groups. */
const RESERVED_HOSTNAMES = new Set(['all', 'ungrouped', 'localhost', '127.0.0.1', '::1']);
const HOSTNAME_MAX = 63;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Builds the inventory of a run from VM rows. Archived VMs, powered-off VMs and VMs with no address
 * under their provider's policy (no fallback to the other kind) are skipped with the reason.
 *
 * Hostnames are generated from the VM name reduced to `[A-Za-z0-9_.-]` (never starting with `-` or
 * `.`, at most 63 characters; `vm` when nothing is left); when several VMs of the run share a
 * name (case-insensitively), or a name is reserved (`all`, `localhost`…) or equals a group name,
 * each of them gets `-<first 8 id characters>` (more if still needed). Groups are `provider_`,
 * `location_`, `os_<family>`, `os_<family>_<major>`, `os_<family>_<major>_<minor>` and `license_`,
 * reduced to `[a-z0-9_]`; two providers whose names reduce alike get their id prefix appended.
 * Host variables are `ansible_host` (and `ansible_port` when mapAddress gives one), the fixed
 * hostVars, and `hybridforms_vm_id`/`hybridforms_provider_id` (our UUIDs): no VM-supplied text
 * becomes a variable name, and none becomes a variable value but the address, checked as an IP.
 * A hostVars or mapped host string with Jinja markers is a BadInputError (Ansible templates
 * inventory values).
 */
export function buildInventory(vms: readonly InventoryVm[], options: InventoryOptions = {}): BuiltInventory {
  const fixedVars = checkedHostVars(options.hostVars ?? {});
  const skipped: BuiltInventory['skipped'] = [];
  const targets: Array<{ vm: InventoryVm; address: string }> = [];
  for (const vm of vms) {
    const reason = skipReason(vm, options);
    if (typeof reason === 'string') {
      skipped.push({ vmId: vm.id, name: vm.name, reason });
    } else {
      targets.push({ vm, address: reason.address });
    }
  }

  const providerGroups = providerGroupNames(targets.map((t) => t.vm));
  const groupsOf = (vm: InventoryVm): string[] => vmGroups(vm, providerGroups.get(vm.providerId)!);
  const allGroupNames = new Set(targets.flatMap((t) => groupsOf(t.vm)));
  const names = hostnames(
    targets.map((t) => t.vm),
    allGroupNames,
  );

  const inventoryHosts: NonNullable<AnsibleInventory['all']['hosts']> = {};
  const children: NonNullable<AnsibleInventory['all']['children']> = {};
  const hosts: InventoryHost[] = [];
  for (const { vm, address } of targets) {
    const inventoryName = names.get(vm.id)!;
    const target = options.mapAddress ? options.mapAddress(vm, address) : { host: address };
    checkNotTemplated('ansible_host', target.host);
    const vars: Record<string, HostVarValue> = { ...fixedVars, ansible_host: target.host };
    if (target.port !== undefined) vars.ansible_port = target.port;
    if (SAFE_ID.test(vm.id)) vars.hybridforms_vm_id = vm.id;
    if (SAFE_ID.test(vm.providerId)) vars.hybridforms_provider_id = vm.providerId;
    inventoryHosts[inventoryName] = vars;
    hosts.push({ vmId: vm.id, inventoryName, address });
    for (const group of groupsOf(vm)) {
      (children[group] ??= { hosts: {} }).hosts[inventoryName] = {};
    }
  }

  const sortedChildren = Object.fromEntries(Object.keys(children).sort().map((group) => [group, children[group]]));
  return { inventory: { all: { hosts: inventoryHosts, children: sortedChildren } }, hosts, skipped };
}

function skipReason(vm: InventoryVm, options: InventoryOptions): SkipReason | { address: string } {
  if (vm.archivedAt) return 'archived';
  if (POWERED_OFF_STATES.has(vm.powerState)) return 'powered-off';
  const policy = options.addressPolicy?.[vm.providerId] ?? 'private';
  const candidates = policy === 'public' ? vm.publicIps : vm.privateIps;
  const address = (candidates ?? []).map((ip) => ip.trim()).find((ip) => isIP(ip) !== 0);
  return address ? { address } : 'no-address';
}

function checkedHostVars(vars: Record<string, HostVarValue>): Record<string, HostVarValue> {
  for (const [name, value] of Object.entries(vars)) {
    if (!VAR_NAME.test(name)) throw new Error(`Inventory host var name ${JSON.stringify(name)} is not a plain identifier`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Error(`Inventory host var ${name} must be a string, number or boolean`);
    checkNotTemplated(name, value);
  }
  return { ...vars };
}

/**
 * Inventory values are templated by Ansible when used (unlike our unsafe-wrapped extra vars), so a
 * value such as a credential's user name `{{ lookup('pipe', 'id') }}` would run on the controller.
 */
function checkNotTemplated(name: string, value: HostVarValue): void {
  if (typeof value === 'string' && /\{\{|\{%|\{#/.test(value)) {
    throw new BadInputError(`${name} must not contain Jinja template markers ({{, {%, {#): inventory values are templated by Ansible`);
  }
}

/** Lower-cases and reduces text to `[a-z0-9_]`, runs of anything else becoming one `_`, trimmed of `_`. */
export function groupSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function providerGroupNames(vms: readonly InventoryVm[]): Map<string, string> {
  const byProvider = new Map<string, string>();
  for (const vm of vms) if (!byProvider.has(vm.providerId)) byProvider.set(vm.providerId, groupSlug(vm.providerName) || 'unnamed');
  const counts = new Map<string, number>();
  for (const slug of byProvider.values()) counts.set(slug, (counts.get(slug) ?? 0) + 1);
  const result = new Map<string, string>();
  for (const [providerId, slug] of byProvider) {
    const unique = counts.get(slug)! > 1 ? `${slug}_${groupSlug(providerId).slice(0, 8)}` : slug;
    result.set(providerId, `provider_${unique}`);
  }
  return result;
}

function vmGroups(vm: InventoryVm, providerGroup: string): string[] {
  const groups = [providerGroup];
  const location = vm.location ? groupSlug(vm.location) : '';
  if (location) groups.push(`location_${location}`);
  const family = groupSlug(vm.osFamily);
  if (family) {
    groups.push(`os_${family}`);
    const version = /^\s*(\d+)(?:\.(\d+))?/.exec(vm.osVersion ?? '');
    if (version) {
      groups.push(`os_${family}_${Number(version[1])}`);
      if (version[2] !== undefined) groups.push(`os_${family}_${Number(version[1])}_${Number(version[2])}`);
    }
  }
  const license = vm.licenseModel ? groupSlug(vm.licenseModel) : '';
  if (license) groups.push(`license_${license}`);
  return groups;
}

/** Reduces a VM name to an inventory hostname base: `[A-Za-z0-9_.-]`, not starting with `-` or `.`. */
export function hostnameBase(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+/, '')
    .slice(0, HOSTNAME_MAX)
    .replace(/[-.]+$/, '');
  return base || 'vm';
}

function hostnames(vms: readonly InventoryVm[], groupNames: ReadonlySet<string>): Map<string, string> {
  const bases = new Map(vms.map((vm) => [vm.id, hostnameBase(vm.name)]));
  const counts = new Map<string, number>();
  for (const base of bases.values()) counts.set(base.toLowerCase(), (counts.get(base.toLowerCase()) ?? 0) + 1);
  const taken = new Set<string>();
  const result = new Map<string, string>();
  // Plain names first, so a suffixed name can never take a plain one.
  const needsSuffix = (base: string) => counts.get(base.toLowerCase())! > 1 || RESERVED_HOSTNAMES.has(base.toLowerCase()) || groupNames.has(base);
  for (const vm of vms) {
    const base = bases.get(vm.id)!;
    if (!needsSuffix(base)) {
      taken.add(base.toLowerCase());
      result.set(vm.id, base);
    }
  }
  for (const vm of vms) {
    if (result.has(vm.id)) continue;
    const base = bases.get(vm.id)!;
    const idChars = vm.id.replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'x';
    let name = '';
    for (let length = 8, n = 2; ; length += 4) {
      const suffix = length <= idChars.length ? idChars.slice(0, length) : `${idChars}-${n++}`;
      name = `${base.slice(0, HOSTNAME_MAX - suffix.length - 1).replace(/[-.]+$/, '')}-${suffix}`;
      if (!taken.has(name.toLowerCase()) && !groupNames.has(name)) break;
    }
    taken.add(name.toLowerCase());
    result.set(vm.id, name);
  }
  return result;
}
