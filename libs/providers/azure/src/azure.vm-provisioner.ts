import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import {
  ProviderError,
  ProviderErrorCode,
  redactSecrets,
  type MarketplacePlan,
  type ProviderLogger,
  type ProvisionCheck,
  type ProvisionSource,
  type ProvisionSpec,
} from '@hybridforms/core';
import type { AzureClientSource, AzureLifecycleClients } from './azure-client.factory.js';
import { toProviderError } from './azure-error.mapper.js';
import { classifyAzureVm } from './rhel-classification.js';

/** Red Hat's marketplace publisher, and its two RHEL offers: On-Demand (RHEL) and Cloud Access Gold Images (rhel-byos). */
export const REDHAT_PUBLISHER = 'RedHat';
export const RHEL_PAYG_OFFER = 'RHEL';
export const RHEL_BYOS_OFFER = 'rhel-byos';
const RHEL_OFFERS = [RHEL_PAYG_OFFER, RHEL_BYOS_OFFER] as const;

/** Marketplace Ordering's api-version for agreements (what `az vm image terms show` sends). */
export const MARKETPLACE_AGREEMENTS_API_VERSION = '2021-01-01';

/** The largest cloud-init payload: customData decodes to at most 65535 bytes (OSProfile.customData), i.e. 87,380 base64 characters. */
export const CUSTOM_DATA_MAX_BYTES = 65535;

/**
 * Admin user names Azure refuses for a Linux VM (OSProfile.adminUsername, "Disallowed values"),
 * compared case-insensitively.
 */
export const RESERVED_ADMIN_USERNAMES: ReadonlySet<string> = new Set([
  'administrator', 'admin', 'user', 'user1', 'test', 'user2', 'test1', 'user3', 'admin1', '1', '123', 'a', 'actuser', 'adm',
  'admin2', 'aspnet', 'backup', 'console', 'david', 'guest', 'john', 'owner', 'root', 'server', 'sql', 'support',
  'support_388945a0', 'sys', 'test2', 'test3', 'user4', 'user5',
]);

/** The marketplace image a ref names: `marketplace:<location>:<publisher>:<offer>:<sku>`. */
export interface MarketplaceRef {
  location: string;
  publisher: string;
  offer: string;
  sku: string;
}

export function marketplaceRef(image: MarketplaceRef): string {
  return `marketplace:${image.location}:${image.publisher}:${image.offer}:${image.sku}`;
}

export function parseMarketplaceRef(ref: string): MarketplaceRef | null {
  const match = /^marketplace:([a-z0-9]+):([^:]+):([^:]+):([^:]+)$/i.exec(ref);
  return match ? { location: match[1].toLowerCase(), publisher: match[2], offer: match[3], sku: match[4] } : null;
}

/** The plan block a Cloud Access (rhel-byos) image needs; null for other images (the docs write it in lower case). */
export function rhelPlanOf(offer: string, sku: string): MarketplacePlan | null {
  return offer.toLowerCase() === RHEL_BYOS_OFFER ? { publisher: 'redhat', product: RHEL_BYOS_OFFER, name: sku } : null;
}

/** The Hyper-V generation a marketplace sku needs: `-gen2` skus are generation 2, the others 1. */
export function generationOfSku(sku: string): 1 | 2 {
  return /-gen2$/i.test(sku) ? 2 : 1;
}

/** The source of one marketplace image, classified by the rules the inventory classifier uses. */
export function marketplaceSource(image: MarketplaceRef): ProvisionSource {
  const plan = rhelPlanOf(image.offer, image.sku);
  const imageReference = { publisher: image.publisher, offer: image.offer, sku: image.sku, version: 'latest' };
  const classification = classifyAzureVm({ imageReference, plan });
  return {
    ref: marketplaceRef(image),
    kind: 'marketplace',
    name: `${image.publisher}:${image.offer}:${image.sku}:latest`,
    osFamily: classification.osFamily,
    osVersion: classification.osVersion,
    licenseModel: classification.osFamily === 'rhel' ? classification.rhelLicenseModel : null,
    location: image.location,
    hostNativeId: null,
    generation: generationOfSku(image.sku),
    plan,
    details: { ...imageReference },
  };
}

// VM names (Microsoft.Compute/virtualMachines, Linux): 1-64 characters; letters, digits, '-', '_'
// and '.'; not starting with '_', not ending with '.' or '-' (Azure's naming rules for resources).
const VM_NAME_CHARS = /^[A-Za-z0-9._-]+$/;
// The VM name is also its computer name (the Linux hostname, osProfile.computerName): Azure refuses
// '_' and '.' there, and an all-digit name; a hostname label is letters, digits and inner hyphens.
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/**
 * The problems of a VM name, as `name: …` messages. Enforced: Azure's VM resource name rule, and
 * (because the name is also the computer name) a valid hostname: no '_' or '.', not all digits.
 */
export function vmNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 1 || name.length > 64) problems.push(`name: '${name}' must be 1-64 characters long (Azure's limit for a Linux VM), it has ${name.length}`);
  if (name.length > 0 && !VM_NAME_CHARS.test(name)) problems.push(`name: '${name}' may only hold letters, digits, hyphens, periods and underscores`);
  if (name.startsWith('_')) problems.push(`name: '${name}' must not start with an underscore`);
  if (/[.-]$/.test(name)) problems.push(`name: '${name}' must not end with a period or a hyphen`);
  if (problems.length === 0) {
    if (/[._]/.test(name)) problems.push(`name: '${name}' is also the computer name (hostname), which may not hold periods or underscores; use hyphens`);
    else if (/^\d+$/.test(name)) problems.push(`name: '${name}' is also the computer name (hostname), which may not be all digits`);
    else if (!HOSTNAME.test(name)) problems.push(`name: '${name}' is also the computer name (hostname), which must start with a letter or digit`);
  }
  return problems;
}

// Resource group names: 1-90 characters of letters (Unicode too), digits, '_', '-', '.', '(' and ')'; not ending with '.'.
const GROUP_NAME = /^[\p{L}\p{N}_().-]{1,90}$/u;

export function resourceGroupProblems(resourceGroup: string | undefined): string[] {
  if (resourceGroup === undefined || resourceGroup === '') return ['placement.resourceGroup: a resource group is required'];
  if (!GROUP_NAME.test(resourceGroup) || resourceGroup.endsWith('.')) {
    return [`placement.resourceGroup: '${resourceGroup}' is not a valid resource group name (1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period)`];
  }
  return [];
}

// Characters Azure refuses in a Linux adminUsername.
const ADMIN_FORBIDDEN = /[\\/"[\]:|<>+=;,?*@#\s]/;

export function adminProblems(admin: ProvisionSpec['admin']): string[] {
  const problems: string[] = [];
  const username = admin?.username ?? '';
  if (username.length < 1 || username.length > 64) problems.push(`admin.username: must be 1-64 characters long, it has ${username.length}`);
  else if (ADMIN_FORBIDDEN.test(username) || username.endsWith('.') || username.startsWith('-')) {
    problems.push(`admin.username: '${username}' may not hold spaces or any of \\/"[]:|<>+=;,?*@#, start with '-' or end with '.'`);
  } else if (RESERVED_ADMIN_USERNAMES.has(username.toLowerCase())) {
    problems.push(`admin.username: '${username}' is a name Azure reserves (like root and admin); choose another`);
  }
  if (!isOpenSshPublicKey(admin?.sshPublicKey ?? '')) {
    problems.push('admin.sshPublicKey: must be an OpenSSH public key line (ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521 followed by its base64 key)');
  }
  return problems;
}

const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

/** An OpenSSH public key line: `<type> <base64 blob> [comment]`, the blob's first field naming the same type. */
export function isOpenSshPublicKey(line: string): boolean {
  const match = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/.exec(line.trim());
  if (!match || !SSH_KEY_TYPES.includes(match[1])) return false;
  const blob = Buffer.from(match[2], 'base64');
  if (blob.length < 4) return false;
  const typeLength = blob.readUInt32BE(0);
  return typeLength === match[1].length && blob.subarray(4, 4 + typeLength).toString('latin1') === match[1];
}

export function userDataProblems(userData: string | null): string[] {
  if (userData === null || userData === undefined) return [];
  const bytes = Buffer.byteLength(userData, 'utf8');
  if (bytes <= CUSTOM_DATA_MAX_BYTES) return [];
  return [`userData: ${bytes} bytes is more than Azure's customData limit of ${CUSTOM_DATA_MAX_BYTES} bytes (${Buffer.from(userData).toString('base64').length} base64 characters, at most 87380)`];
}

// A subnet's ARM id.
const SUBNET_ID =
  /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourcegroups\/([-\w.()]{1,90})\/providers\/microsoft\.network\/virtualnetworks\/([-\w.]{1,80})\/subnets\/([-\w.]{1,80})$/i;

export interface SubnetPath {
  subscriptionId: string;
  resourceGroup: string;
  virtualNetwork: string;
  subnet: string;
}

export function parseSubnetId(id: string): SubnetPath | null {
  const match = SUBNET_ID.exec(id);
  if (!match) return null;
  return { subscriptionId: match[1].toLowerCase(), resourceGroup: match[2], virtualNetwork: match[3], subnet: match[4] };
}

/** The checks that need no request, in field order. */
export function staticProblems(spec: ProvisionSpec): string[] {
  const problems = [...vmNameProblems(spec.name ?? '')];
  problems.push(...sourceProblems(spec.source));
  const location = spec.placement?.location;
  if (!location) problems.push('placement.location: a location is required');
  else if (spec.source?.kind === 'marketplace' && spec.source.location && spec.source.location.toLowerCase() !== location.toLowerCase()) {
    problems.push(`placement.location: '${location}' is not where the source is offered ('${spec.source.location}'); a VM from it must be made there`);
  }
  problems.push(...resourceGroupProblems(spec.placement?.resourceGroup));
  if (!spec.size?.vmSize) problems.push('size.vmSize: a VM size is required (e.g. Standard_D2s_v3)');
  if (!spec.placement?.subnetId) problems.push('placement.subnetId: a subnet id is required');
  else if (!parseSubnetId(spec.placement.subnetId)) {
    problems.push(`placement.subnetId: '${spec.placement.subnetId}' is not a subnet's resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)`);
  }
  problems.push(...adminProblems(spec.admin));
  problems.push(...userDataProblems(spec.userData));
  return problems;
}

const MANAGED_IMAGE_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/images\/([^/]+)$/i;

/** The parts of a managed image's resource id, or null. */
function parseManagedImageId(id: string): { subscriptionId: string; resourceGroup: string; name: string } | null {
  const match = MANAGED_IMAGE_ID.exec(id);
  return match ? { subscriptionId: match[1], resourceGroup: match[2], name: match[3] } : null;
}

function sourceProblems(source: ProvisionSource | undefined): string[] {
  if (!source) return ['source: a source is required'];
  if (source.kind === 'marketplace') {
    return parseMarketplaceRef(source.ref) ? [] : [`source: '${source.ref}' is not a marketplace ref (marketplace:<location>:<publisher>:<offer>:<sku>)`];
  }
  if (source.kind === 'custom-image') {
    return parseManagedImageId(source.ref)
      ? []
      : [`source: '${source.ref}' is not the resource id of a managed image`];
  }
  return [`source: a ${source.kind} source is a Hyper-V one; an Azure VM is made from a marketplace or custom image`];
}

export interface AzureVmProvisionerOptions {
  subscriptionIds: readonly string[];
  /** The ARM endpoint (config.resourceManagerUrl): where the Marketplace Ordering agreements are read. */
  resourceManagerUrl: string;
  /** Regions whose marketplace images are listed (config.locations). */
  locations: readonly string[];
  secrets: readonly unknown[];
  logger: ProviderLogger;
  signal?: AbortSignal;
}

interface SizeInfo {
  name: string;
  cores: number;
}

/**
 * Provisioning's read-only duties on Azure: the RHEL marketplace images offered in the configured
 * locations (listed live), and the checks of specs against Azure's rules and the live
 * subscription (sizes, subnet, terms, quota) before anything is made.
 */
export class AzureVmProvisioner {
  constructor(
    private readonly clients: AzureClientSource,
    private readonly options: AzureVmProvisionerOptions,
  ) {}

  /**
   * Red Hat's RHEL and rhel-byos skus in every configured location, for every subscription (only a
   * Cloud Access enrolled one sees rhel-byos), deduplicated by ref. An offer a subscription does
   * not see (404) gives nothing; a location that fails is left out (in the log), and only when
   * every one fails is the listing an error.
   */
  async sources(): Promise<ProvisionSource[]> {
    if (this.options.locations.length === 0) {
      this.options.logger.warn('azure: no locations configured (config.locations); no marketplace sources offered');
      return [];
    }
    const found = new Map<string, ProvisionSource>();
    const places = this.options.subscriptionIds.flatMap((subscriptionId) => this.options.locations.map((location) => ({ subscriptionId, location })));
    const results = await Promise.allSettled(
      places.map(({ subscriptionId, location }) =>
        this.call(`listing RHEL images in ${location}`, subscriptionId, async () => {
          const { compute } = this.lifecycle(subscriptionId);
          const offers = await compute.virtualMachineImages.listOffers(location, REDHAT_PUBLISHER, { abortSignal: this.options.signal });
          const wanted = RHEL_OFFERS.map((offer) => offers.find((o) => o.name.toLowerCase() === offer.toLowerCase())?.name).filter((o): o is string => !!o);
          const listed: ProvisionSource[] = [];
          for (const offer of wanted) {
            const skus = await compute.virtualMachineImages.listSkus(location, REDHAT_PUBLISHER, offer, { abortSignal: this.options.signal });
            for (const sku of skus) listed.push(marketplaceSource({ location, publisher: REDHAT_PUBLISHER, offer, sku: sku.name }));
          }
          return listed;
        }),
      ),
    );
    // One location Azure does not answer for (a typo, an outage) leaves the others' sources listed.
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0 && failures.length === results.length) throw failures[0].reason;
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.options.logger.warn(`azure: RHEL images of ${places[i].location} in subscription ${places[i].subscriptionId} not listed: ${(result.reason as Error).message}`);
        return;
      }
      for (const source of result.value) if (!found.has(source.ref)) found.set(source.ref, source);
    });
    return [...found.values()].sort((a, b) => a.ref.localeCompare(b.ref));
  }

  /** One message per problem, each starting with its field; [] when every spec can be made. */
  async check(specs: ProvisionSpec[]): Promise<ProvisionCheck> {
    const problems: string[] = [];
    // The vCPUs of the first spec's size (the specs of one request share it), for the host's quotas.
    let vcpusPerVm: number | null = null;
    // Each message starts with its field; with several specs, the VM it is about follows in brackets.
    const prefix = (spec: ProvisionSpec, message: string) => (specs.length > 1 ? `${message} [VM ${spec.name}]` : message);
    const sizeCache = new Map<string, Promise<Map<string, SizeInfo>>>();
    const groupCache = new Map<string, Promise<boolean>>();
    const termsCache = new Map<string, Promise<boolean>>();
    const skuCache = new Map<string, Promise<Set<string>>>();
    const imageCache = new Map<string, Promise<{ location: string; osType: string | null } | null>>();
    // vCPUs wanted per subscription and location, for the quota check.
    const demand = new Map<string, { subscriptionId: string; location: string; cores: number; names: string[] }>();

    for (const spec of specs) {
      const own = staticProblems(spec);
      const subnet = spec.placement?.subnetId ? parseSubnetId(spec.placement.subnetId) : null;
      const subscriptionId = subnet?.subscriptionId ?? this.options.subscriptionIds[0];
      const known = this.options.subscriptionIds.some((id) => id.toLowerCase() === subscriptionId.toLowerCase());
      if (subnet && !known) own.push(`placement.subnetId: subscription ${subnet.subscriptionId} is not one of this provider's subscriptions`);
      const location = spec.placement?.location?.toLowerCase();
      if (known && location) {
        const { compute, network, resources } = this.lifecycle(subscriptionId);
        // The resource group the VM goes in (Azure would refuse the first PUT with ResourceGroupNotFound).
        const group = spec.placement?.resourceGroup;
        if (group && !resourceGroupProblems(group).length) {
          const key = `${subscriptionId}/${group}`.toLowerCase();
          let found = groupCache.get(key);
          if (!found) {
            found = this.call(`reading resource group ${group}`, subscriptionId, async () => {
              try {
                await resources.resourceGroups.get(group, { abortSignal: this.options.signal });
                return true;
              } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return false;
                throw error;
              }
            });
            groupCache.set(key, found);
          }
          if (!(await found)) own.push(`placement.resourceGroup: resource group '${group}' does not exist in subscription ${subscriptionId}; create it first (az group create --name ${group} --location ${location})`);
        }
        // Sizes of the location.
        if (spec.size?.vmSize) {
          const key = `${subscriptionId}/${location}`;
          let sizes = sizeCache.get(key);
          if (!sizes) {
            sizes = this.call(`listing VM sizes in ${location}`, subscriptionId, async () => {
              const map = new Map<string, SizeInfo>();
              for await (const size of compute.virtualMachineSizes.list(location, { abortSignal: this.options.signal })) {
                if (size.name) map.set(size.name.toLowerCase(), { name: size.name, cores: size.numberOfCores ?? 0 });
              }
              return map;
            });
            sizeCache.set(key, sizes);
          }
          const size = (await sizes).get(spec.size.vmSize.toLowerCase());
          if (!size) own.push(`size.vmSize: '${spec.size.vmSize}' is not offered in ${location}`);
          else {
            if (spec === specs[0]) vcpusPerVm = size.cores;
            const entry = demand.get(key) ?? { subscriptionId, location, cores: 0, names: [] };
            entry.cores += size.cores;
            entry.names.push(spec.name);
            demand.set(key, entry);
          }
        }
        // The subnet.
        if (subnet) {
          const exists = await this.call(`reading subnet ${subnet.subnet}`, subscriptionId, async () => {
            try {
              await network.subnets.get(subnet.resourceGroup, subnet.virtualNetwork, subnet.subnet, { abortSignal: this.options.signal });
              return true;
            } catch (error) {
              if ((error as { statusCode?: number }).statusCode === 404) return false;
              throw error;
            }
          });
          if (!exists) own.push(`placement.subnetId: subnet '${subnet.subnet}' of virtual network '${subnet.virtualNetwork}' in resource group '${subnet.resourceGroup}' does not exist`);
        }
        // A managed image still exists, is a Linux one, and lies in the VM's region (Azure makes a
        // VM only from an image of its own region; the inventory may name one deleted since).
        const managed = spec.source?.kind === 'custom-image' ? parseManagedImageId(spec.source.ref) : null;
        const imageSubscription = managed ? this.options.subscriptionIds.find((id) => id.toLowerCase() === managed.subscriptionId.toLowerCase()) : undefined;
        if (managed && imageSubscription) {
          const key = spec.source!.ref.toLowerCase();
          let read = imageCache.get(key);
          if (!read) {
            const { compute: imageCompute } = this.lifecycle(imageSubscription);
            read = this.call(`reading managed image ${managed.name}`, imageSubscription, async () => {
              try {
                const image = await imageCompute.images.get(managed.resourceGroup, managed.name, { abortSignal: this.options.signal });
                return { location: (image.location ?? '').toLowerCase().replace(/\s+/g, ''), osType: image.storageProfile?.osDisk?.osType ?? null };
              } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return null;
                throw error;
              }
            });
            imageCache.set(key, read);
          }
          const image = await read;
          if (!image) own.push(`source: managed image '${managed.name}' no longer exists in resource group '${managed.resourceGroup}' (the VMs made from it remain); choose another source`);
          else {
            if (image.location !== location) own.push(`placement.location: managed image '${managed.name}' is in ${image.location}; a VM made from it must be there too (copy the image to ${location}, or place the VM in ${image.location})`);
            if (image.osType && image.osType !== 'Linux') own.push(`source: managed image '${managed.name}' is a ${image.osType} image; Hybridforms provisions RHEL (Linux) VMs`);
          }
        }
        // The image is offered to this subscription there (rhel-byos only to a Cloud Access enrolled one).
        const image = spec.source?.kind === 'marketplace' ? parseMarketplaceRef(spec.source.ref) : null;
        if (image && image.location === location) {
          const key = `${subscriptionId}/${location}/${image.publisher}/${image.offer}`.toLowerCase();
          let skus = skuCache.get(key);
          if (!skus) {
            skus = this.call(`listing the skus of ${image.offer} in ${location}`, subscriptionId, async () => {
              try {
                const listed = await compute.virtualMachineImages.listSkus(location, image.publisher, image.offer, { abortSignal: this.options.signal });
                return new Set(listed.map((sku) => sku.name.toLowerCase()));
              } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return new Set<string>();
                throw error;
              }
            });
            skuCache.set(key, skus);
          }
          if (!(await skus).has(image.sku.toLowerCase())) {
            const cloudAccess = image.offer.toLowerCase() === RHEL_BYOS_OFFER ? ' (rhel-byos is only offered to subscriptions enrolled in Red Hat Cloud Access)' : '';
            own.push(`source: ${image.publisher}:${image.offer}:${image.sku} is not offered to subscription ${subscriptionId} in ${location}${cloudAccess}`);
          }
        }
        // The plan's terms.
        const plan = spec.source?.plan;
        if (plan) {
          const key = `${subscriptionId}/${plan.publisher}/${plan.product}/${plan.name}`.toLowerCase();
          let accepted = termsCache.get(key);
          if (!accepted) {
            accepted = this.termsAccepted(compute, subscriptionId, plan);
            termsCache.set(key, accepted);
          }
          if (!(await accepted)) {
            own.push(
              `source: the marketplace terms of plan ${plan.publisher}/${plan.product}/${plan.name} are not accepted in subscription ${subscriptionId}; ` +
                `accept them once with \`az vm image terms accept --publisher ${plan.publisher} --offer ${plan.product} --plan ${plan.name} --subscription ${subscriptionId}\``,
            );
          }
        }
      }
      problems.push(...own.map((message) => prefix(spec, message)));
    }

    // The regional vCPU quota, for all the specs of a subscription and location together.
    for (const entry of demand.values()) {
      const { compute } = this.lifecycle(entry.subscriptionId);
      const cores = await this.call(`reading the vCPU quota of ${entry.location}`, entry.subscriptionId, async () => {
        for await (const usage of compute.usage.list(entry.location, { abortSignal: this.options.signal })) {
          if (usage.name?.value?.toLowerCase() === 'cores') return { limit: usage.limit, current: usage.currentValue };
        }
        return null;
      });
      if (cores && entry.cores > cores.limit - cores.current) {
        problems.push(
          `size.vmSize: ${entry.names.length} VM(s) need ${entry.cores} vCPUs in ${entry.location}, but only ${Math.max(0, cores.limit - cores.current)} of the ` +
            `subscription's Total Regional vCPUs quota are free (limit ${cores.limit}, in use ${cores.current}); ask for a quota increase or choose smaller sizes`,
        );
      }
    }
    return { problems: problems.map((message) => redactSecrets(message, this.options.secrets)), vcpusPerVm };
  }

  /** GET …/Microsoft.MarketplaceOrdering/offerTypes/virtualmachine/…/agreements/current through the compute client's pipeline (its token and throttling). */
  private async termsAccepted(compute: AzureLifecycleClients['compute'], subscriptionId: string, plan: MarketplacePlan): Promise<boolean> {
    return this.call(`reading the marketplace terms of ${plan.product}/${plan.name}`, subscriptionId, async () => {
      const base = this.options.resourceManagerUrl;
      const path =
        `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.MarketplaceOrdering/offerTypes/virtualmachine` +
        `/publishers/${encodeURIComponent(plan.publisher)}/offers/${encodeURIComponent(plan.product)}/plans/${encodeURIComponent(plan.name)}/agreements/current`;
      const request = createPipelineRequest({
        url: `${base.replace(/\/+$/, '')}${path}?api-version=${MARKETPLACE_AGREEMENTS_API_VERSION}`,
        method: 'GET',
        abortSignal: this.options.signal,
      });
      const response = await compute.pipeline.sendRequest(createDefaultHttpClient(), request);
      if (response.status === 404) return false;
      if (response.status < 200 || response.status >= 300) {
        let body: { error?: { code?: string; message?: string } } = {};
        try {
          body = JSON.parse(response.bodyAsText ?? '{}');
        } catch {
          body = {};
        }
        throw Object.assign(new Error(body.error?.message ?? `HTTP ${response.status}`), { statusCode: response.status, code: body.error?.code });
      }
      const agreement = JSON.parse(response.bodyAsText ?? '{}') as { properties?: { accepted?: unknown } };
      return agreement.properties?.accepted === true;
    });
  }

  private async call<T>(what: string, subscriptionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toProviderError(error, { operation: what, subscriptionId, secrets: this.options.secrets, access: 'read' });
    }
  }

  private lifecycle(subscriptionId: string): AzureLifecycleClients {
    if (!this.clients.lifecycleFor) throw new ProviderError(ProviderErrorCode.InvalidConfig, 'this Azure client source cannot read provisioning facts');
    return this.clients.lifecycleFor(subscriptionId);
  }
}
