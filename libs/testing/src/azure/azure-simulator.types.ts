/** The VM long-running operations the simulator serves: the power actions, DELETE and the create (PUT of a new VM). */
export type SimVmAction = 'start' | 'powerOff' | 'deallocate' | 'restart' | 'delete' | 'create';

/** The resources a PUT creates: a VM, a NIC or a public IP. */
export type SimCreationKind = 'vm' | 'nic' | 'publicIp';

/** The resources besides VMs that the simulator deletes as long-running operations. */
export type SimDeletableKind = 'disk' | 'nic' | 'publicIp';

/** The power states Azure reports as `PowerState/<state>` in a VM's instance view. */
export type SimPowerState = 'running' | 'starting' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

export interface AzureSimulatorOptions {
  /** Entra ID tenant the token endpoint serves; default a fixed GUID. */
  tenantId?: string;
  /** The only client id the token endpoint accepts; default a fixed GUID. */
  clientId?: string;
  /** The secret of `clientId`; default a fixed random-looking string. */
  clientSecret?: string;
  /** Subscriptions the tokens give access to; default one fixed GUID. */
  subscriptionIds?: string[];
  /** Generated VMs per subscription (default 36, enough for every case of the estate mix). */
  vmCount?: number;
  /** Seed of the estate generator; the same seed yields the same estate. Default 1. */
  seed?: number;
  /** Items per list page; ARM style nextLink paging with `$skiptoken`. Default 100. */
  pageSize?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0 (ephemeral). */
  port?: number;
  /**
   * Per-subscription read token bucket like ARM's (real values: bucket 250, refill 25/s).
   * Default `false` (no limit) so that the demo and large benchmarks are never throttled.
   */
  rateLimit?: { bucket: number; refillPerSecond: number } | false;
  /**
   * A network round trip: every ARM request waits this long before it is served (default 0), so
   * that concurrent requests overlap at the simulator as they would at ARM (see
   * `peakConcurrentSubscriptions`).
   */
  latencyMs?: number;
  /** How long a VM power action or DELETE stays InProgress on its status URL (default 3000 ms). */
  operationDelayMs?: number;
  /** The Retry-After (seconds) of a VM operation's 202 and of its InProgress status answers (default 1). */
  operationRetryAfterSeconds?: number;
  /**
   * The approved vCPU quota ("Total Regional Cores") of every subscription in every location,
   * default 1000; a VM PUT that would exceed it is refused (setCoreQuota changes one).
   */
  coreQuota?: number;
  /**
   * The marketplace images the listings serve, publisher → offer → skus, in every known location;
   * default Red Hat's RHEL (8-lvm-gen2, 9-lvm-gen2, 9-lvm, 8-lvm) and rhel-byos (rhel-lvm9, rhel-lvm8, rhel-lvm87).
   */
  imageCatalogue?: Record<string, Record<string, string[]>>;
}

export interface SimVmSpec {
  name: string;
  /** Default 'rg-sim'. The casing given here is the casing of the VM's id. */
  resourceGroup?: string;
  /** Default 'eastus'. */
  location?: string;
  /** Default 'Standard_D2s_v3'. */
  vmSize?: string;
  /** The OS disk's osType; default Linux. */
  osType?: 'Linux' | 'Windows';
  imageReference?: {
    publisher?: string;
    offer?: string;
    sku?: string;
    version?: string;
    exactVersion?: string;
    id?: string;
  };
  plan?: { name: string; publisher: string; product: string } | null;
  licenseType?: string | null;
  /** Default running. */
  powerState?: SimPowerState;
  /** instanceView.osName as the guest agent reports it (null when no agent). */
  guestOsName?: string | null;
  guestOsVersion?: string | null;
  /** instanceView.vmAgent.vmAgentVersion; null means no agent reports (Azure then says 'Unknown'). */
  vmAgentVersion?: string | null;
  tags?: Record<string, string>;
  /** Default false; when true a public IP resource is joined through the NIC's ipconfig. */
  publicIp?: boolean;
  /** Managed data disks; default 0. */
  dataDisks?: number;
  /** ISO timestamp; default derived from the seed. */
  timeCreated?: string;
  /**
   * What a DELETE of the VM does to its disks and NICs (`storageProfile.osDisk.deleteOption`,
   * `dataDisks[].deleteOption`, `networkInterfaces[].properties.deleteOption`); each defaults to
   * Detach, the API's default. The portal creates VMs with Delete for the OS disk and the NIC.
   */
  deleteOptions?: { osDisk?: 'Delete' | 'Detach'; dataDisks?: 'Delete' | 'Detach'; nics?: 'Delete' | 'Detach' };
}

/**
 * The route names a fault can target. 'virtualMachines' covers the VM lists without statusOnly
 * and single VM reads; 'virtualMachinesStatus' only the lists with statusOnly=true. Single NIC,
 * public IP and disk reads count as their list's route. Other ARM reads (a subscription, one
 * resource group) are reached only through '*'. 'activityLogs' is the Activity Log list (paged, so
 * `page` applies), 'metrics' the ARM per-resource metrics read, 'metricsBatch' the data-plane
 * metrics:getBatch POST. 'virtualMachineActions' are the long-running VM operations (POST start,
 * powerOff, deallocate, restart; DELETE of a VM), 'operations' the polls of their status and
 * Location URLs (and of the deletions' and creations'). 'resourceDeletions' are the DELETEs of disks, NICs and
 * public IPs; 'resourceCreations' the PUTs of VMs, NICs and public IPs. 'marketplaceAgreements' are
 * the GET and PUT of a plan's marketplace terms.
 */
export type FaultRoute =
  | 'token'
  | 'openid'
  | 'virtualMachines'
  | 'virtualMachinesStatus'
  | 'networkInterfaces'
  | 'publicIPAddresses'
  | 'disks'
  | 'resourceGroups'
  | 'vmSizes'
  | 'activityLogs'
  | 'metrics'
  | 'metricsBatch'
  | 'virtualMachineActions'
  | 'operations'
  | 'resourceDeletions'
  | 'resourceCreations'
  | 'marketplaceAgreements'
  | 'vmImageOffers'
  | 'vmImageSkus'
  | 'usages'
  | 'subnets'
  | 'images'
  | '*';

export interface FaultSpec {
  /** Which requests; see {@link FaultRoute}. */
  route: FaultRoute | string;
  /** Only the Nth page (1-based) of a paged list; omitted = every request of the route. */
  page?: number;
  kind: 'throttle' | 'error' | 'malformed' | 'slow' | 'drop';
  /** For 'error' (default 500); 'throttle' is always 429. */
  status?: number;
  /** For 'throttle': the Retry-After header value (default 1); null = no header at all. */
  retryAfterSeconds?: number | null;
  /** For 'slow': the delay before the request is served normally (default 1000). */
  delayMs?: number;
  /** How many matching requests the fault applies to; default 1, Infinity allowed. */
  times?: number;
}

export interface SimRequest {
  method: string;
  /** The path as received, without the query string. */
  path: string;
  /** Decoded query parameters; a parameter sent more than once is an array. */
  query: Record<string, string | string[]>;
  /** The status served; 0 when the connection was dropped by a fault. */
  status: number;
  /** The route the request matched (a {@link FaultRoute} name, or 'unknown'); set once routed. */
  route?: string;
  /** For a DELETE of a disk, NIC or public IP, on the DELETE and on every poll of its status or Location URL. */
  deletion?: SimDeletableKind;
  /**
   * For a long-running VM operation: its action ('start', 'powerOff', 'deallocate', 'restart',
   * 'delete'), on the POST or DELETE and on every poll of its status or Location URL.
   */
  vmAction?: SimVmAction;
  /** For a PUT that creates a VM, NIC or public IP: its kind, on the PUT and on every poll of its status URL. */
  creation?: SimCreationKind;
}
