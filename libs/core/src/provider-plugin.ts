import type { InventoryChunk, PowerState } from './inventory-graph.js';
import type { ProvisioningDuties } from './provisioning-contract.js';

/** Structured logging a plugin may use; the host adds provider and refresh context. */
export interface ProviderLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Everything a plugin needs for one unit of work. */
export interface ProviderContext<TConfig = Record<string, unknown>, TCredentials = Record<string, unknown>> {
  /** Our id of the provider record. */
  providerId: string;
  /** Non-secret settings, already validated by {@link ProviderPlugin.validateConfig}. */
  config: TConfig;
  /** Decrypted secrets. Never log them, never put them in an error message. */
  credentials: TCredentials;
  logger: ProviderLogger;
  /** Aborted when the work is canceled or the process shuts down. */
  signal?: AbortSignal;
  /** Reports progress (e.g. pages or VMs collected) while a long collection runs. */
  progress?: (counts: Record<string, number>) => void;
}

/** What to collect: the whole estate, or the machines with these native ids. */
export type InventoryScope = { kind: 'full' } | { kind: 'targeted'; nativeIds: string[] };

/** Our event vocabulary, the same for every provider; anything else is `other`. */
export const PROVIDER_EVENT_TYPES = [
  'vm.created',
  'vm.deleted',
  'vm.started',
  'vm.stopped',
  'vm.deallocated',
  'vm.restarted',
  'vm.resized',
  'vm.updated',
  // Raised by Hybridforms itself: a VM's retirement date is near (operations.retirementWarningDays).
  'vm.retirement_warning',
  'other',
] as const;
export type ProviderEventType = (typeof PROVIDER_EVENT_TYPES)[number];

/** One event of a provider, normalized by its plugin. */
export interface ProviderEvent {
  /**
   * Unique per provider and stable across polls (Azure `eventDataId`; Hyper-V host, log, RecordId
   * and time, since RecordIds restart when a log is cleared): the store keeps each once.
   */
  nativeId: string;
  occurredAt: Date;
  type: ProviderEventType;
  /** The VM concerned, in the same form as `VmRecord.nativeId`; null when the event names none. */
  vmNativeId: string | null;
  /** The VM's name as the event states it (useful once the VM is gone). */
  vmName: string | null;
  /** Outcome as the provider states it (Azure `Started`/`Succeeded`/`Failed`, Hyper-V the level). */
  status: string | null;
  /** Who caused it (a UPN, an app id, a SID), when the provider says. */
  actor: string | null;
  /** A one-line human description. */
  message: string | null;
  /**
   * True when the event reports a settled change of the VM that the inventory should pick up
   * (the end of an operation, not its start): the host then queues a targeted refresh of the VM.
   */
  refreshesVm: boolean;
  /** The provider's record as received, kept for operators and later parsers. */
  raw: unknown;
}

export interface EventBatch {
  events: ProviderEvent[];
  /**
   * Opaque; handed back as `since` on the next call. It must never skip an event: the host stores
   * the events and this checkpoint in one transaction, and drops events it already has, so a
   * checkpoint that re-reads an overlap is safe and one that runs ahead loses events.
   */
  checkpoint: string | null;
}

/** Our metric names, the same for every provider (DESIGN.md). Byte counts are per sample interval. */
export const METRIC_NAMES = [
  'cpu_percent',
  'memory_available_bytes',
  'disk_read_bytes',
  'disk_write_bytes',
  'network_in_bytes',
  'network_out_bytes',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The unit of each metric: fixed by the name, so a stored sample needs no unit of its own. */
export const METRIC_UNITS: Readonly<Record<MetricName, 'percent' | 'bytes'>> = {
  cpu_percent: 'percent',
  memory_available_bytes: 'bytes',
  disk_read_bytes: 'bytes',
  disk_write_bytes: 'bytes',
  network_in_bytes: 'bytes',
  network_out_bytes: 'bytes',
};

export interface MetricSample {
  /** The VM, in the same form as `VmRecord.nativeId`. */
  vmNativeId: string;
  name: MetricName;
  /** Start of the sample's interval (PT1M grain), UTC. */
  timestamp: Date;
  value: number;
}

/** A machine whose metrics are wanted. */
export interface MetricTarget {
  /** In the same form as `VmRecord.nativeId`. */
  vmNativeId: string;
  /** The VM's location as the inventory has it (Azure's metrics API is regional). */
  location: string | null;
}

export interface MetricWindow {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** The power actions of our API, the same words for every provider; each plugin lists those it offers. */
export const VM_ACTIONS = ['start', 'stop', 'deallocate', 'restart', 'suspend', 'resume'] as const;
export type VmAction = (typeof VM_ACTIONS)[number];

/** The VM an action or a deletion is for, as the inventory has it. */
export interface VmActionTarget {
  /** In the same form as `VmRecord.nativeId` (Azure resource id, Hyper-V VM GUID). */
  nativeId: string;
  name: string;
  /** The host it runs on (Hyper-V), as `HostRecord.nativeId`; null elsewhere. */
  hostNativeId: string | null;
  /** Its power state in the inventory when the action was asked. */
  powerState: PowerState;
}

export interface VmActionRequest {
  action: VmAction;
  /** `stop`: Hyper-V turns the VM off (pulls the plug); Azure powers off without the guest's shutdown. */
  force?: boolean;
  /**
   * This operation asked before and cannot tell whether the provider took it (its process died
   * between the call and its record): check the live state first instead of acting on trust.
   */
  resumed?: boolean;
}

/** Something a retirement deletes, as the inventory has it (a VM, or a NIC, public IP or disk it owns). */
export interface ResourceRef {
  kind: 'vm' | 'nic' | 'publicIp' | 'disk';
  /** In the form of the inventory's native ids (Azure resource ids; Hyper-V `<vm>/disk/<path>`). */
  nativeId: string;
  name: string;
  /** For a VM (Hyper-V): the host it is on. */
  hostNativeId?: string | null;
}

/**
 * Where a request to the cloud stands once the call returns. `done`: it has settled (a provider
 * that acts synchronously, or a resource already gone). `accepted`: the cloud took it and it
 * settles later; `continuation` (opaque to the host, e.g. the serialized Azure poller with its
 * async-operation URL) is stored with the operation before anything else and handed to
 * `awaitSettled`, also by another process after a crash, so a resumed step polls instead of
 * sending the request twice.
 */
export type CloudRequestProgress = { state: 'done' } | { state: 'accepted'; continuation: string };

/**
 * The contract every provider plugin implements. One plugin per provider type; it never touches
 * the database (the shared persister saves what it returns) and never imports another provider.
 */
export interface ProviderPlugin<TConfig = Record<string, unknown>, TCredentials = Record<string, unknown>>
  extends ProvisioningDuties<ProviderContext<TConfig, TCredentials>> {
  /** The provider type this plugin serves, e.g. `azure`. Unique across plugins. */
  readonly type: string;

  /**
   * Checks the shape of a config and credentials without any I/O. Returns one message per
   * problem (empty when valid); the API answers 400 with them.
   */
  validateConfig(config: unknown, credentials: unknown): string[];

  /**
   * Names of the config keys whose values are secret-free but sensitive enough to mask in
   * responses — none by default. Credentials are never returned at all.
   */
  readonly redactedConfigKeys?: readonly string[];

  /** Connects and proves access; throws a {@link ProviderError} with a clear reason on failure. */
  validate(config: TConfig, credentials: TCredentials, logger: ProviderLogger): Promise<void>;

  /**
   * Collects the inventory in scope as a stream of {@link InventoryChunk}s. The host saves each
   * chunk of a full refresh as it arrives (in its own transaction) while the plugin goes on
   * collecting, and reads the next chunk only once it has room for it: a plugin with a large
   * estate should produce lazily (page by page) so that a slow database slows collection down
   * rather than filling memory. A plugin that collects in one go (and any targeted refresh, which
   * the host saves whole at the end) yields a single chunk ({@link chunkOfGraph}).
   *
   * - Each chunk holds a bounded number of records (about a page of the provider's API), and what
   *   a record references must be in that chunk or an earlier one (or already stored): emit
   *   resource groups, images and networks before the VMs, and VMs before their NICs and disks.
   *   A VM emitted without its NICs should carry `ipAddresses`.
   * - The stream ends normally when collection is over, whether or not parts failed. A failed
   *   part (one subscription, one host) is reported as a `partErrors` entry on a chunk; whatever
   *   of that part was already yielded stays saved (it is true, current data), and the refresh
   *   then archives nothing. A failure of the whole collection throws a ProviderError from the
   *   iterator (the host records it; what earlier chunks saved stays, nothing is archived).
   * - A targeted refresh reports the asked-for ids the provider says are gone in `notFound`.
   * - Stop promptly when `ctx.signal` aborts, and release everything in a `finally`: the host
   *   also ends the iteration early (`return()`) on timeout or failure.
   */
  collectInventory(ctx: ProviderContext<TConfig, TCredentials>, scope: InventoryScope): AsyncIterable<InventoryChunk>;

  /**
   * Collects the events that happened after `since` (the checkpoint of the previous batch; null on
   * the first poll, which starts a short while back, not at the beginning of history). A failure
   * throws a ProviderError and the host keeps the old checkpoint.
   */
  collectEvents?(ctx: ProviderContext<TConfig, TCredentials>, since: string | null): Promise<EventBatch>;

  /**
   * Collects metric samples of the given running machines over a time window, in as few calls as
   * the provider allows (thousands of VMs must not cost thousands of sequential calls). A sample
   * the provider has no value for is left out, never reported as 0.
   */
  collectMetrics?(ctx: ProviderContext<TConfig, TCredentials>, targets: MetricTarget[], window: MetricWindow): Promise<MetricSample[]>;

  /** The power actions {@link act} accepts for this provider's VMs; absent = the provider cannot act. */
  readonly vmActions?: readonly VmAction[];

  /**
   * Asks the provider for a power action on one VM. Only actions of {@link vmActions} are asked.
   * A VM already in the action's end state is `done` without acting (a resumed operation may ask
   * again). A refusal (wrong state, not found, throttled) throws a ProviderError whose message
   * says the provider's reason.
   */
  act?(ctx: ProviderContext<TConfig, TCredentials>, vm: VmActionTarget, request: VmActionRequest): Promise<CloudRequestProgress>;

  /**
   * What a VM owns that its retirement deletes after the VM itself, read from the provider (not the
   * inventory) at the start of the retirement: Azure its NICs, their public IPs and its disks that
   * no other VM uses; never a shared resource. Absent: the host takes the inventory's NICs and disks.
   */
  resourcesOwnedBy?(ctx: ProviderContext<TConfig, TCredentials>, vm: VmActionTarget): Promise<ResourceRef[]>;

  /**
   * Deletes one resource of a retired VM (the VM first, then what it owned). Gone already = `done`.
   * Never deletes what the ref does not name (a Hyper-V parent disk, a shared disk).
   */
  deleteResource?(ctx: ProviderContext<TConfig, TCredentials>, ref: ResourceRef): Promise<CloudRequestProgress>;

  /**
   * Waits until an `accepted` request settles, polling at the pace the provider asks for
   * (Retry-After), until `ctx.signal` aborts. A failure the provider reports (the async
   * operation's error body) throws a ProviderError carrying its code and message.
   */
  awaitSettled?(ctx: ProviderContext<TConfig, TCredentials>, continuation: string): Promise<void>;
}
