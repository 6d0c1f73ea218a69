import { abortableSleep, ProviderError, ProviderErrorCode, type ProviderLogger, type ProvisionSpec, type ProvisionStepProgress } from '@hybridforms/core';
import { hostNativeId, hyperVConnection } from './hyperv.collector.js';
import type { HyperVCredentials, ResolvedHyperVConfig } from './hyperv-provider.config.js';
import { createFailure, parseVmCreateResult, type CreatedVm, type VmCreateResult } from './hyperv-vm-create.parser.js';
import { buildVmCreateScript, HYPERV_CREATE_STEPS, VM_CREATE_COMMAND_NAME, vmCreateInputOf, type HyperVCreateStep, type VmCreateInput } from './hyperv-vm-create.script.js';
import { PowerShellSession } from './powershell.session.js';

type Host = ResolvedHyperVConfig['hosts'][number];

/** How often the `guest` step asks the host whether the guest reported itself. */
export const GUEST_POLL_MS = 1000;

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * The create steps on the spec's host: one SSH session and one script per step (the `guest` step
 * asks again in the same session until the guest reports), each synchronous, so every answer is
 * `done`. The VHD and the VM are returned as `made` once they exist: the host cleans up with them.
 */
export class HyperVVmCreateClient {
  constructor(
    private readonly config: ResolvedHyperVConfig,
    private readonly credentials: HyperVCredentials,
    private readonly options: { logger: ProviderLogger; signal?: AbortSignal; guestPollMs?: number },
  ) {}

  async run(spec: ProvisionSpec, step: string): Promise<ProvisionStepProgress> {
    if (!(HYPERV_CREATE_STEPS as readonly string[]).includes(step)) throw new ProviderError(ProviderErrorCode.Unknown, `Hyper-V provisioning has no step '${step}' (it has ${HYPERV_CREATE_STEPS.join(', ')})`);
    const input = vmCreateInputOf(spec);
    const host = this.hostOf(spec);
    const hostId = hostNativeId(host);
    const session = await PowerShellSession.open(hyperVConnection(this.config, this.credentials, host));
    try {
      const ask = () => this.ask(session, host, step as HyperVCreateStep, input);
      if (step === 'guest') return await this.waitForGuest(ask, input, hostId);
      const result = await ask();
      if (step === 'vhd') {
        const vhd = this.ownVhd(result, input, hostId);
        return { state: 'done', made: { kind: 'disk', nativeId: vhd, name: input.file, hostNativeId: hostId } };
      }
      const vm = this.ownVm(result, input, hostId);
      if (step === 'vm') {
        if (!result.acted) this.options.logger.log(`hyperv: VM '${input.name}' (${vm.vmId}) of this task is on host ${hostId} already`);
        return { state: 'done', made: { kind: 'vm', nativeId: vm.vmId, name: input.name, hostNativeId: hostId } };
      }
      if (step === 'network' && result.switchName?.toLowerCase() !== input.switchName.toLowerCase()) {
        throw new ProviderError(ProviderErrorCode.Unknown, `the network adapter of VM '${input.name}' is on switch '${result.switchName ?? '(none)'}' after Connect-VMNetworkAdapter, not '${input.switchName}'`);
      }
      return { state: 'done' };
    } finally {
      session.close();
    }
  }

  private async ask(session: PowerShellSession, host: Host, step: HyperVCreateStep, input: VmCreateInput): Promise<VmCreateResult> {
    const where = `${host.host}:${host.port}`;
    const result = await session.exec(VM_CREATE_COMMAND_NAME, buildVmCreateScript(step, input, this.config.commandTimeoutMs / 2), { signal: this.options.signal });
    const subject = step === 'vhd' ? `VHD ${input.file}` : `VM '${input.name}'`;
    if (result.code !== 0) throw createFailure(result, { subject, where, command: VM_CREATE_COMMAND_NAME });
    return parseVmCreateResult(result.stdout, `${VM_CREATE_COMMAND_NAME} (${step}) on ${where}`);
  }

  /**
   * The VHD's path once it is there. One that was there before is taken as ours only when it is
   * what the step would have made (a differencing disk of the same template, or a full copy) and no
   * VM but ours holds it: anything else at that path is someone else's file.
   */
  private ownVhd(result: VmCreateResult, input: VmCreateInput, hostId: string): string {
    const vhd = result.vhd;
    if (!vhd) throw new ProviderError(ProviderErrorCode.MalformedResponse, `${VM_CREATE_COMMAND_NAME} (vhd) printed no Get-VHD of the new disk`);
    if (vhd.existed) {
      const same = (a: string | null) => a !== null && a.toLowerCase() === input.parent.toLowerCase();
      const shaped = input.copy ? vhd.vhdType !== 'Differencing' : vhd.vhdType === 'Differencing' && same(vhd.parentPath);
      const holders = vhd.attachedTo.filter((name) => name.toLowerCase() !== input.name.toLowerCase());
      if (!shaped || holders.length > 0) {
        const what = holders.length > 0 ? `it is attached to VM '${holders[0]}'` : `it is a ${vhd.vhdType} disk${vhd.parentPath ? ` of ${vhd.parentPath}` : ''}, not ${input.copy ? 'a copy' : `a differencing disk of ${input.parent}`}`;
        throw new ProviderError(ProviderErrorCode.Conflict, `VHD ${vhd.path} exists already on host ${hostId} and is not one this task made: ${what}`);
      }
      this.options.logger.log(`hyperv: VHD ${vhd.path} is on host ${hostId} already`);
    }
    return vhd.path;
  }

  private ownVm(result: VmCreateResult, input: VmCreateInput, hostId: string): CreatedVm {
    if (result.vm) return result.vm;
    if (result.others > 0) {
      throw new ProviderError(
        ProviderErrorCode.Conflict,
        `a VM named '${input.name}' is on host ${hostId} and is not this task's (its Notes carry no ${input.taskTag}); it is left alone`,
      );
    }
    throw new ProviderError(ProviderErrorCode.NotFound, `VM '${input.name}' of this task is not on host ${hostId} (removed since it was made?)`);
  }

  /** Asks until the guest's KVP daemon reports the OS and an IPv4 address, within the configured wait. */
  private async waitForGuest(ask: () => Promise<VmCreateResult>, input: VmCreateInput, hostId: string): Promise<ProvisionStepProgress> {
    const deadline = Date.now() + this.config.guestWaitMs;
    for (;;) {
      const result = await ask();
      const vm = this.ownVm(result, input, hostId);
      if (vm.state !== 'Running') throw new ProviderError(ProviderErrorCode.Conflict, `VM '${input.name}' (${vm.vmId}) is ${vm.state} while its guest was awaited`);
      if (result.kvp?.OSName && result.ipAddresses.some((a) => IPV4.test(a))) return { state: 'done' };
      if (Date.now() > deadline) {
        const seen = result.kvp ? `KVP says ${result.kvp.OSName ?? 'no OS name'}, addresses ${result.ipAddresses.join(', ') || 'none'}` : 'no KVP data (is hyperv-daemons installed in the template?)';
        throw new ProviderError(ProviderErrorCode.Timeout, `the guest of VM '${input.name}' did not report its OS and an IPv4 address within ${this.config.guestWaitMs / 1000} s: ${seen}`);
      }
      await abortableSleep(this.options.guestPollMs ?? GUEST_POLL_MS, this.options.signal);
    }
  }

  private hostOf(spec: ProvisionSpec): Host {
    const host = this.config.hosts.find((h) => hostNativeId(h) === spec.placement.hostNativeId);
    if (!host) throw new ProviderError(ProviderErrorCode.NotFound, `placement.hostNativeId: '${spec.placement.hostNativeId ?? ''}' is not one of this provider's hosts`);
    if (host.skipHostKeyCheck) this.options.logger.warn(`hyperv: host key of ${host.host}:${host.port} is not pinned (skipHostKeyCheck)`);
    return host;
  }
}

