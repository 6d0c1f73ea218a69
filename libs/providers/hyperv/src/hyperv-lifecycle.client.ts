import { ProviderError, ProviderErrorCode, type ProviderLogger, type ResourceRef, type VmActionRequest, type VmActionTarget } from '@hybridforms/core';
import { actionFailure, parseVhdFacts, parseVhdRemoveResult, parseVmActionResult, vhdRemovalRefusal, type VmActionResult } from './hyperv-action.parser.js';
import { hostNativeId, hyperVConnection } from './hyperv.collector.js';
import type { HyperVCredentials, HyperVHostConfig, ResolvedHyperVConfig } from './hyperv-provider.config.js';
import {
  buildRemoveVmScript,
  buildVhdFactsScript,
  buildVhdRemoveScript,
  buildVmActionScript,
  parseVhdPath,
  parseVmGuid,
  VHD_FACTS_COMMAND_NAME,
  VHD_REMOVE_COMMAND_NAME,
  VM_ACTION_COMMAND_NAME,
} from './hyperv-vm-action.script.js';
import { PowerShellSession } from './powershell.session.js';

type Host = HyperVHostConfig & { port: number };

/**
 * A Hyper-V disk's native id: `<vm guid>/disk/<lower-cased VHD path>` (or `passthrough<n>`), as the
 * inventory parser writes it; or the VHD path alone for a disk no VM holds yet (what the `vhd`
 * create step makes, before its VM exists): `vmId` is then null.
 */
export function parseDiskNativeId(nativeId: string): { vmId: string | null; path: string | null } {
  if (typeof nativeId === 'string' && /^(?:[A-Za-z]:\\|\\\\)/.test(nativeId)) return { vmId: null, path: parseVhdPath(nativeId) };
  const m = /^([^/]+)\/disk\/(.+)$/.exec(nativeId);
  if (!m) throw new ProviderError(ProviderErrorCode.NotFound, `'${nativeId.slice(0, 200)}' is not a Hyper-V disk id (<vm guid>/disk/<path>, or a VHD path)`);
  const vmId = parseVmGuid(m[1]);
  return { vmId, path: /^passthrough\d+$/.test(m[2]) ? null : parseVhdPath(m[2]) };
}

/**
 * The lifecycle duties on the hosts: one SSH session and one script per request (two for a disk:
 * the facts, then the removal), each of them synchronous on Hyper-V.
 */
export class HyperVLifecycleClient {
  constructor(
    private readonly config: ResolvedHyperVConfig,
    private readonly credentials: HyperVCredentials,
    private readonly options: { logger: ProviderLogger; signal?: AbortSignal },
  ) {}

  /** Runs a power action; `acted` is false when the VM was in the end state already. */
  async act(vm: VmActionTarget, request: VmActionRequest): Promise<VmActionResult> {
    const vmId = parseVmGuid(vm.nativeId);
    const script = buildVmActionScript(vmId, request);
    const result = await this.runVmScript(this.hostOf(vm.hostNativeId, `VM '${vm.name}' (${vmId})`), vm.name, vmId, script);
    if (!result.acted) this.options.logger.log(`hyperv: VM '${vm.name}' (${vmId}) is ${result.before} already: ${request.action} had nothing to do`);
    return result;
  }

  /** Turns the VM off and removes it; false when it was gone already. */
  async removeVm(ref: ResourceRef): Promise<boolean> {
    const vmId = parseVmGuid(ref.nativeId);
    const host = this.hostOf(ref.hostNativeId ?? null, `VM '${ref.name}' (${vmId})`);
    try {
      await this.runVmScript(host, ref.name, vmId, buildRemoveVmScript(vmId));
      return true;
    } catch (error) {
      if (error instanceof ProviderError && error.code === ProviderErrorCode.NotFound) return false;
      throw error;
    }
  }

  /**
   * Deletes a VHD file unless a VM holds it or it is the parent of another VHD the host knows;
   * false when it was gone already. The facts are read in one script and the file removed in the
   * next: between the two another client could attach it (the window is one round trip).
   */
  async removeVhd(ref: ResourceRef): Promise<boolean> {
    const { path } = parseDiskNativeId(ref.nativeId);
    if (path === null) throw new ProviderError(ProviderErrorCode.Unknown, `disk '${ref.name}' is a pass-through physical disk of the host: Hyper-V has no file to delete for it`);
    const host = this.diskHost(ref);
    const where = `${host.host}:${host.port}`;
    const session = await PowerShellSession.open(hyperVConnection(this.config, this.credentials, host));
    try {
      const facts = parseVhdFacts(await session.run(VHD_FACTS_COMMAND_NAME, buildVhdFactsScript(path), undefined, this.options.signal), `${VHD_FACTS_COMMAND_NAME} on ${where}`);
      if (!facts.exists) return false;
      const refusal = vhdRemovalRefusal(facts, path);
      if (refusal) throw new ProviderError(ProviderErrorCode.Unknown, `VHD ${path} on Hyper-V host ${where} is not deleted: ${refusal}`);
      const result = await session.exec(VHD_REMOVE_COMMAND_NAME, buildVhdRemoveScript(path), { signal: this.options.signal });
      if (result.code !== 0) throw actionFailure(result, { subject: `VHD ${path}`, where, command: VHD_REMOVE_COMMAND_NAME });
      return parseVhdRemoveResult(result.stdout, `${VHD_REMOVE_COMMAND_NAME} on ${where}`).removed;
    } finally {
      session.close();
    }
  }

  private async runVmScript(host: Host, name: string, vmId: string, script: string): Promise<VmActionResult> {
    const where = `${host.host}:${host.port}`;
    const session = await PowerShellSession.open(hyperVConnection(this.config, this.credentials, host));
    try {
      const result = await session.exec(VM_ACTION_COMMAND_NAME, script, { signal: this.options.signal });
      if (result.code !== 0) throw actionFailure(result, { subject: `VM '${name}' (${vmId})`, where, command: VM_ACTION_COMMAND_NAME });
      return parseVmActionResult(result.stdout, `${VM_ACTION_COMMAND_NAME} on ${where}`);
    } finally {
      session.close();
    }
  }

  private hostOf(id: string | null, subject: string): Host {
    const host = id === null ? undefined : this.config.hosts.find((h) => hostNativeId(h) === id);
    if (!host) throw new ProviderError(ProviderErrorCode.NotFound, `${subject}: its host ${id ?? '(none recorded)'} is not one of this provider's hosts`);
    if (host.skipHostKeyCheck) this.options.logger.warn(`hyperv: host key of ${host.host}:${host.port} is not pinned (skipHostKeyCheck)`);
    return host;
  }

  /**
   * The host of a disk: the ref's host when given; else the provider's only host. With several
   * hosts and none given, no guess: a path like C:\…\x.vhdx may exist on every host, and deleting
   * it on the wrong one would destroy another VM's disk.
   */
  private diskHost(ref: ResourceRef): Host {
    if (ref.hostNativeId) return this.hostOf(ref.hostNativeId, `disk '${ref.name}'`);
    if (this.config.hosts.length === 1) return this.hostOf(hostNativeId(this.config.hosts[0]), `disk '${ref.name}'`);
    throw new ProviderError(
      ProviderErrorCode.NotFound,
      `disk '${ref.name}' names no host and this provider has ${this.config.hosts.length}: a VHD path does not say which host holds it (give the VM's host)`,
    );
  }
}
