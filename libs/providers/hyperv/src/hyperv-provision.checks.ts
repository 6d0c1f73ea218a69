import type { ProvisionSpec } from '@hybridforms/core';
import { windowsFolderProblem } from './hyperv-provider.config.js';
import { parseVhdPath } from './hyperv-vm-action.script.js';

/**
 * The pure checks of a Hyper-V provisioning spec (no I/O): one message per problem, each starting
 * with the field path it is about (`name: …`, `size.memoryMB: …`).
 *
 * Rules and why:
 * - name: Hyper-V takes 1-100 characters without `\ / : * ? " < > |` (it names the VM's folder and
 *   files). The name is also the guest's host name (cloud-init sets it), so it must be a DNS label
 *   as well: 1-63 letters, digits and hyphens, not starting or ending with a hyphen, not all digits
 *   (RFC 1123; a Windows computer name would add a 15-character NetBIOS limit, RHEL guests have none).
 * - size.cpuCount: 1-240 (the Hyper-V maximum of a generation 2 VM on Windows Server 2016 and
 *   later; generation 1 stops at 64); the host's logical processors are checked live.
 * - size.memoryMB: Hyper-V wants startup memory in whole multiples of 2 MB, at least 32 MB; the
 *   host's capacity and free memory are checked live.
 * - size.generation: 1 or 2. A generation 2 VM cannot use a .vhd file (VHDX only); a generation 1
 *   VM can boot a VHDX from its IDE controller, so VHDX templates take either, but a template VM's
 *   disk was installed for its own generation's firmware (BIOS vs UEFI) and keeps it. Source: John
 *   Howard (Hyper-V PM), "Hyper-V generation 2 virtual machines – part 3": generation 2 supports
 *   VHDX only; generation 1 takes VHDX too but boots from IDE only (not SCSI); a boot disk converted
 *   to VHDX still does not boot as generation 2, since its partition layout is BIOS/MBR.
 * - admin.sshPublicKey: one OpenSSH public key line (`<type> <base64> [comment]`) whose blob names
 *   the same key type; never a private key. It is checked but not injected: the template must
 *   carry the key (or cloud-init with one), for the same reason userData is refused.
 * - userData: refused. Hyper-V gives a guest no metadata service, and a NoCloud seed (an ISO or VFAT
 *   disk labelled `cidata`) would have to be built on the host, which PowerShell there cannot do
 *   without extra tooling.
 */

export const HYPERV_MAX_VM_NAME_LENGTH = 100;
export const HYPERV_MAX_CPU_COUNT = 240;
export const HYPERV_MAX_CPU_COUNT_GEN1 = 64;
export const HYPERV_MIN_MEMORY_MB = 32;
/** What the checks count for a spec that gives no memory (the Hyper-V New-VM default is 1 GB for gen 2 in newer builds; RHEL wants 2 GB). */
export const DEFAULT_MEMORY_MB = 2048;

const HYPERV_FORBIDDEN_NAME = /[\\/:*?"<>|\u0000-\u001f]/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const SSH_KEY_TYPES = [
  'ssh-rsa',
  'ssh-ed25519',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];
const LINUX_USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Why the name is not one Hyper-V and a guest host name both take, or an empty list. */
export function vmNameProblems(name: unknown): string[] {
  if (typeof name !== 'string' || name.length === 0) return ['name: must be given'];
  const problems: string[] = [];
  if (name.length > HYPERV_MAX_VM_NAME_LENGTH) problems.push(`name: '${name.slice(0, 40)}…' is ${name.length} characters long; Hyper-V takes up to ${HYPERV_MAX_VM_NAME_LENGTH}`);
  if (HYPERV_FORBIDDEN_NAME.test(name)) problems.push(`name: '${name}' holds a character Hyper-V does not allow in a VM name (\\ / : * ? " < > | or a control character)`);
  if (!DNS_LABEL.test(name) || /^\d+$/.test(name)) {
    problems.push(`name: '${name.slice(0, 100)}' is also the guest's host name, so it must be 1-63 letters, digits and hyphens, not starting or ending with a hyphen, and not all digits`);
  }
  return problems;
}

/** Why the text is not one OpenSSH public key line, or null. */
export function sshPublicKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string' || key.trim() === '') return 'must be an OpenSSH public key (ssh-ed25519 AAAA… comment)';
  if (/PRIVATE KEY/.test(key)) return 'is a private key: give the public key (the .pub file) only';
  const lines = key.trim().split(/\r?\n/);
  if (lines.length !== 1) return 'must be one public key on one line';
  const [type, blob] = lines[0].split(/\s+/);
  if (!SSH_KEY_TYPES.includes(type)) return `key type '${String(type).slice(0, 40)}' is not an OpenSSH public key type (${SSH_KEY_TYPES.slice(0, 4).join(', ')}…)`;
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return 'has no base64 key after the type';
  const bytes = Buffer.from(blob, 'base64');
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (length <= 0 || length + 4 > bytes.length || bytes.subarray(4, 4 + length).toString('latin1') !== type) return `the base64 key is not a ${type} key`;
  return null;
}

/** `vhd:<host native id>:<path>` → its parts (the host id has colons itself: the path starts at `X:\` or `\\`). */
export function parseVhdSourceRef(ref: string): { hostNativeId: string; path: string } | null {
  const m = /^vhd:(.+?):([A-Za-z]:\\.*|\\\\.*)$/.exec(ref);
  return m ? { hostNativeId: m[1], path: m[2] } : null;
}

/** The template file a spec's source makes its disk from, or a problem with the source. */
export function templateFileOf(spec: ProvisionSpec): { path: string } | { problem: string } {
  const source = spec.source;
  if (source.kind === 'template-vhd') {
    const parsed = parseVhdSourceRef(source.ref);
    if (!parsed) return { problem: `source: '${source.ref.slice(0, 200)}' is not a Hyper-V template VHD ref (vhd:<host>:<path>)` };
    try {
      return { path: parseVhdPath(parsed.path) };
    } catch (error) {
      return { problem: `source: ${(error as Error).message}` };
    }
  }
  if (source.kind === 'template-vm') {
    if (!/^vm:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(source.ref)) return { problem: `source: '${source.ref.slice(0, 200)}' is not a Hyper-V template VM ref (vm:<VM GUID>)` };
    const disk = source.details.diskPath;
    if (typeof disk !== 'string' || disk === '') return { problem: `source: template VM '${source.name}' has no hard disk to copy` };
    try {
      return { path: parseVhdPath(disk) };
    } catch (error) {
      return { problem: `source: ${(error as Error).message}` };
    }
  }
  return { problem: `source: a ${source.kind} source is not a Hyper-V one (Hyper-V makes VMs from template-vhd and template-vm sources)` };
}

/** The generation a spec's VM gets: the asked one, else the source's, else 2. */
export function generationOf(spec: ProvisionSpec): 1 | 2 {
  return spec.size.generation ?? spec.source.generation ?? 2;
}

/** Every problem of one spec that needs no host. `hostIds`: this provider's host native ids. */
export function checkSpecShape(spec: ProvisionSpec, hostIds: readonly string[]): string[] {
  const problems = [...vmNameProblems(spec.name)];
  const of = spec.name ? ` (VM '${String(spec.name).slice(0, 100)}')` : '';
  const { cpuCount, memoryMB, generation } = spec.size ?? {};
  const gen = generation ?? spec.source?.generation ?? 2;
  if (generation !== undefined && generation !== 1 && generation !== 2) problems.push(`size.generation: must be 1 or 2${of}`);
  if (cpuCount !== undefined) {
    const max = gen === 1 ? HYPERV_MAX_CPU_COUNT_GEN1 : HYPERV_MAX_CPU_COUNT;
    if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > max) problems.push(`size.cpuCount: must be a whole number from 1 to ${max} for a generation ${gen} VM${of}`);
  }
  if (memoryMB !== undefined && (!Number.isInteger(memoryMB) || memoryMB < HYPERV_MIN_MEMORY_MB || memoryMB % 2 !== 0)) {
    problems.push(`size.memoryMB: must be a whole multiple of 2 MB of at least ${HYPERV_MIN_MEMORY_MB} (Hyper-V rounds nothing)${of}`);
  }
  if (spec.size?.vmSize !== undefined) problems.push(`size.vmSize: Hyper-V has no VM sizes; give cpuCount and memoryMB${of}`);

  const host = spec.placement?.hostNativeId;
  if (!host) problems.push(`placement.hostNativeId: must name the host to make the VM on${of}`);
  else if (!hostIds.includes(host)) problems.push(`placement.hostNativeId: '${host}' is not one of this provider's hosts (${hostIds.join(', ')})${of}`);
  if (!spec.placement?.switchName) problems.push(`placement.switchName: must name the virtual switch of the VM's network adapter${of}`);
  else if (spec.placement.switchName.length > 100) problems.push(`placement.switchName: longer than any switch name${of}`);
  if (spec.placement?.vhdFolder !== undefined) {
    const problem = windowsFolderProblem(spec.placement.vhdFolder);
    if (problem) problems.push(`placement.vhdFolder: ${problem}${of}`);
  }

  const file = spec.source ? templateFileOf(spec) : { problem: 'source: must be given' };
  if ('problem' in file) problems.push(`${file.problem}${of}`);
  else {
    if (spec.source.hostNativeId && host && spec.source.hostNativeId !== host) {
      problems.push(`source: '${spec.source.name}' is on host ${spec.source.hostNativeId}, not on ${host}: a VM made from it goes on the host that holds it${of}`);
    }
    if (gen === 2 && /\.vhd$/i.test(file.path)) problems.push(`size.generation: a generation 2 VM cannot use the .vhd file ${file.path} (VHDX only)${of}`);
    if (spec.source.kind === 'template-vm' && spec.source.generation && spec.size?.generation && spec.size.generation !== spec.source.generation) {
      problems.push(`size.generation: template VM '${spec.source.name}' is generation ${spec.source.generation}; its disk boots with that generation's firmware only${of}`);
    }
  }

  if (spec.userData !== null && spec.userData !== undefined) {
    problems.push(`userData: Hyper-V has no channel to hand cloud-init user data to a new guest (no metadata service, and we attach no NoCloud seed disk); bake it into the template instead${of}`);
  }

  const keyProblem = sshPublicKeyProblem(spec.admin?.sshPublicKey);
  if (keyProblem) problems.push(`admin.sshPublicKey: ${keyProblem}${of}`);
  const user = spec.admin?.username;
  if (typeof user !== 'string' || !LINUX_USERNAME.test(user) || user === 'root') problems.push(`admin.username: must be a Linux user name (lower-case, up to 32 characters) other than root${of}`);
  return problems;
}
