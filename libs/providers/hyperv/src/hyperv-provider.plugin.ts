import { Injectable } from '@nestjs/common';
import {
  ProviderError,
  ProviderErrorCode,
  ProviderPluginImpl,
  chunkOfGraph,
  type CloudRequestProgress,
  type EventBatch,
  type InventoryChunk,
  type InventoryGraph,
  type InventoryScope,
  type MetricSample,
  type MetricTarget,
  type MetricWindow,
  type ProviderContext,
  type ProviderLogger,
  type ProviderPlugin,
  type ProvisionSource,
  type ProvisionCheck,
  type ProvisionSpec,
  type ProvisionStepPlan,
  type ProvisionStepProgress,
  type ProvisioningDuties,
  type ResourceRef,
  type VmAction,
  type VmActionRequest,
  type VmActionTarget,
} from '@hybridforms/core';
import { HyperVLifecycleClient } from './hyperv-lifecycle.client.js';
import { HyperVProvisionClient } from './hyperv-provision.client.js';
import { HyperVVmCreateClient } from './hyperv-vm-create.client.js';
import { HYPERV_CREATE_STEPS, vhdPathOf, vmCreateInputOf } from './hyperv-vm-create.script.js';
import { HYPERV_VM_ACTIONS } from './hyperv-vm-action.script.js';
import { HyperVCollector } from './hyperv.collector.js';
import { formatHyperVEventsCheckpoint, parseHyperVEventsCheckpoint } from './hyperv-events.checkpoint.js';
import { resolveHyperVConfig, validateHyperVConfig, type HyperVCredentials, type HyperVProviderConfig } from './hyperv-provider.config.js';

/**
 * The Hyper-V provider plugin: RHEL guests of one or several Hyper-V hosts, inventoried over SSH
 * with one PowerShell script per host (collector → parser; the shared persister saves the graph);
 * events from the hosts' Hyper-V admin event logs and metrics from their performance counters,
 * one script per host each time as well. Power actions and deletions are one script on the VM's
 * host and synchronous (the cmdlets wait for the change), so they answer `done` and there is
 * nothing for `awaitSettled` to poll.
 */
@ProviderPluginImpl()
@Injectable()
export class HyperVProviderPlugin
  implements ProviderPlugin<HyperVProviderConfig, HyperVCredentials>, Required<ProvisioningDuties<ProviderContext<HyperVProviderConfig, HyperVCredentials>>>
{
  readonly type = 'hyperv';

  validateConfig(config: unknown, credentials: unknown): string[] {
    return validateHyperVConfig(config, credentials);
  }

  async validate(config: HyperVProviderConfig, credentials: HyperVCredentials, logger: ProviderLogger): Promise<void> {
    await this.collector(config, credentials, { logger }).validateAccess();
    logger.log(`hyperv: access to ${config.hosts.length} host(s) proven`);
  }

  /** One chunk: a host answers for all its VMs in one script, so there are no pages to stream. */
  async *collectInventory(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, scope: InventoryScope): AsyncGenerator<InventoryChunk> {
    yield chunkOfGraph(await this.collectGraph(ctx, scope));
  }

  private async collectGraph(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, scope: InventoryScope): Promise<InventoryGraph> {
    const graph = await this.collector(ctx.config, ctx.credentials, { logger: ctx.logger, signal: ctx.signal, progress: ctx.progress }).collect();
    if (scope.kind === 'full') return graph;
    // The host answers for all its VMs in one script; keep only the asked-for ones. A VM is
    // "not found" only when every host answered (a failed host may still hold it).
    const asked = new Set(scope.nativeIds);
    const vms = graph.vms.filter((vm) => asked.has(vm.nativeId));
    const seen = new Set(vms.map((vm) => vm.nativeId));
    return {
      ...graph,
      hosts: graph.hosts.filter((host) => vms.some((vm) => vm.hostNativeId === host.nativeId)),
      vms,
      nics: graph.nics.filter((nic) => nic.vmNativeId !== null && seen.has(nic.vmNativeId)),
      disks: graph.disks.filter((disk) => disk.vmNativeId !== null && seen.has(disk.vmNativeId)),
      notFound: graph.partErrors.length === 0 ? scope.nativeIds.filter((id) => !seen.has(id)) : [],
    };
  }

  /**
   * The Hyper-V admin events (VMMS-Admin, Worker-Admin) of every host after the checkpoint, one
   * script per host. The checkpoint holds the last RecordId per log per host (see
   * hyperv-events.checkpoint.ts); a host or log without one, and a cleared log, is read by time
   * (`eventsInitialLookbackMinutes`). A failure throws, and the host keeps its checkpoint.
   */
  async collectEvents(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, since: string | null): Promise<EventBatch> {
    const collector = this.collector(ctx.config, ctx.credentials, { logger: ctx.logger, signal: ctx.signal });
    let checkpoint = parseHyperVEventsCheckpoint(since);
    if (checkpoint === null) {
      ctx.logger.warn('hyperv: the events checkpoint is not one this plugin wrote; reading every host from its initial look-back again');
      checkpoint = {};
    }
    const batch = await collector.collectEvents(checkpoint);
    return { events: batch.events, checkpoint: formatHyperVEventsCheckpoint(batch.checkpoint) };
  }

  /**
   * The current counter values of the targets (Get-Counter, one script per host for all of its
   * VMs). Counters are instantaneous: the samples are of the minute of the call, whatever the
   * window (a past window cannot be read back from a Hyper-V host).
   */
  async collectMetrics(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, targets: MetricTarget[], _window: MetricWindow): Promise<MetricSample[]> {
    if (targets.length === 0) return [];
    const collector = this.collector(ctx.config, ctx.credentials, { logger: ctx.logger, signal: ctx.signal });
    return collector.collectMetrics(targets.map((t) => t.vmNativeId));
  }

  /** start → Start-VM, stop → Stop-VM -Force (guest shutdown; `force`: -TurnOff), suspend → Save-VM, resume → Resume-VM or Start-VM, restart → Restart-VM -Force. */
  readonly vmActions: readonly VmAction[] = HYPERV_VM_ACTIONS;

  /**
   * Runs the action on the VM's host (`vm.hostNativeId`), selecting the VM by its GUID. A VM in
   * the action's end state already is left alone; a state Hyper-V refuses, an unknown VM or a
   * guest that cannot shut down throws a ProviderError with Hyper-V's reason.
   */
  async act(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, vm: VmActionTarget, request: VmActionRequest): Promise<CloudRequestProgress> {
    if (!(HYPERV_VM_ACTIONS as readonly string[]).includes(request.action)) {
      throw new ProviderError(ProviderErrorCode.Unknown, `Hyper-V VMs have no '${request.action}' action (they have ${HYPERV_VM_ACTIONS.join(', ')})`);
    }
    await this.lifecycle(ctx).act(vm, request);
    return { state: 'done' };
  }

  /**
   * A VM: turned off unless Off, then Remove-VM (its VHD files stay). A disk (an inventory disk id,
   * or the bare VHD path of a disk the `vhd` step made): its VHD file is
   * deleted unless a VM holds it or another VHD of the host has it as parent; on the ref's host,
   * or the provider's only host (with several, the ref must name one). Gone already is `done`.
   */
  async deleteResource(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, ref: ResourceRef): Promise<CloudRequestProgress> {
    const client = this.lifecycle(ctx);
    if (ref.kind === 'vm') {
      if (!(await client.removeVm(ref))) ctx.logger.log(`hyperv: VM '${ref.name}' (${ref.nativeId}) was gone already`);
    } else if (ref.kind === 'disk') {
      if (!(await client.removeVhd(ref))) ctx.logger.log(`hyperv: disk ${ref.nativeId} was gone already`);
    } else {
      throw new ProviderError(
        ProviderErrorCode.Unknown,
        `Hyper-V has no separately deletable ${ref.kind === 'nic' ? 'network adapters' : 'public IPs'} ('${ref.name}'): a VM's adapters are part of its configuration and go with Remove-VM`,
      );
    }
    return { state: 'done' };
  }

  /**
   * The template VHDX files under each host's `libraryPaths` (classified from their file names,
   * the weakest evidence) and the VMs whose Notes hold `#template` (classified from their KVP while
   * they run, else from their names), one script per host. Refs: `vhd:<host native id>:<path>`,
   * `vm:<VM GUID>`. A host that fails is logged and left out; all failing throws.
   */
  async provisionSources(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>): Promise<ProvisionSource[]> {
    return this.provision(ctx).sources();
  }

  /**
   * One message per problem, each starting with its field path: the pure rules
   * (hyperv-provision.checks.ts), then one script per host for the live facts (the switch, a VM
   * of the same name, the template file, the VHD folder, processors and memory for the specs on
   * that host together).
   */
  async checkProvision(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, specs: ProvisionSpec[]): Promise<ProvisionCheck> {
    // New-VM gives one virtual processor unless Set-VMProcessor says otherwise.
    return { problems: await this.provision(ctx).check(specs), vcpusPerVm: specs[0]?.size.cpuCount ?? 1 };
  }

  /**
   * `vhd` (a differencing disk of the template, or a full copy with placement.copyVhd, as
   * `<vhdFolder>\\<name>.vhdx`), `vm` (New-VM with that disk, no switch yet; Notes carry our request
   * and task ids), `processor`, `memory`, `network` (the switch), `start`, `guest` (until the
   * guest reports its OS and an address through KVP). The disk's path is known here when a VHD
   * folder is given; the VM's GUID only once made.
   */
  provisionSteps(spec: ProvisionSpec): ProvisionStepPlan[] {
    const hostId = spec.placement.hostNativeId ?? null;
    // A spec the checks would refuse still gets its names; provisionStep says what is wrong.
    let file = `${spec.name}.vhdx`;
    let path: string | null = null;
    try {
      const input = vmCreateInputOf(spec);
      file = input.file;
      path = vhdPathOf(input);
    } catch {
      // the step itself reports the problem
    }
    return HYPERV_CREATE_STEPS.map((name) => ({
      name,
      creates:
        name === 'vhd'
          ? { kind: 'disk' as const, nativeId: path ?? '', name: file, hostNativeId: hostId }
          : name === 'vm'
            ? { kind: 'vm' as const, nativeId: '', name: spec.name, hostNativeId: hostId }
            : null,
    }));
  }

  /**
   * One step on the spec's host. Each looks up what it would make first (the VHD by path, the VM
   * by name and our task's tag in its Notes) and answers `done` without making a second one; a
   * same-named VM that is not ours is a Conflict. The cmdlets are synchronous: every answer is
   * `done`, the VHD and the VM with what was made. `resumed` changes nothing: every step looks
   * first anyway.
   *
   * Nothing goes into the guest: Hyper-V has no user-data channel (checkProvision refuses
   * userData), so the template must carry cloud-init or the admin's key itself.
   */
  async provisionStep(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>, spec: ProvisionSpec, step: string, _resumed = false): Promise<ProvisionStepProgress> {
    const problems = validateHyperVConfig(ctx.config, ctx.credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Hyper-V provider settings: ${problems.join('; ')}`);
    return new HyperVVmCreateClient(resolveHyperVConfig(ctx.config), ctx.credentials, { logger: ctx.logger, signal: ctx.signal }).run(spec, step);
  }

  private provision(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>): HyperVProvisionClient {
    const problems = validateHyperVConfig(ctx.config, ctx.credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Hyper-V provider settings: ${problems.join('; ')}`);
    return new HyperVProvisionClient(resolveHyperVConfig(ctx.config), ctx.credentials, { logger: ctx.logger, signal: ctx.signal });
  }

  private lifecycle(ctx: ProviderContext<HyperVProviderConfig, HyperVCredentials>): HyperVLifecycleClient {
    const problems = validateHyperVConfig(ctx.config, ctx.credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Hyper-V provider settings: ${problems.join('; ')}`);
    return new HyperVLifecycleClient(resolveHyperVConfig(ctx.config), ctx.credentials, { logger: ctx.logger, signal: ctx.signal });
  }

  private collector(config: HyperVProviderConfig, credentials: HyperVCredentials, options: ConstructorParameters<typeof HyperVCollector>[2]): HyperVCollector {
    // A stored config is re-checked: it may predate a stricter schema.
    const problems = validateHyperVConfig(config, credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Hyper-V provider settings: ${problems.join('; ')}`);
    return new HyperVCollector(resolveHyperVConfig(config), credentials, options);
  }
}
