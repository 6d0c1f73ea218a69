import type { LicenseModel, OsFamily } from './inventory-graph.js';
import type { CloudRequestProgress, ResourceRef } from './provider-plugin.js';

/**
 * What a VM can be made from:
 * - `marketplace`: an Azure marketplace image (publisher RedHat: offer RHEL is On-Demand, offer
 *   rhel-byos is Cloud Access and needs a plan block and accepted terms);
 * - `custom-image`: an image the customer uploaded (Azure managed image), as the inventory has it;
 * - `template-vhd`: a template VHDX under one of a Hyper-V host's library paths;
 * - `template-vm`: a Hyper-V VM marked as a template (its Notes hold `#template`); its first disk is the parent.
 */
export const PROVISION_SOURCE_KINDS = ['marketplace', 'custom-image', 'template-vhd', 'template-vm'] as const;
export type ProvisionSourceKind = (typeof PROVISION_SOURCE_KINDS)[number];

/** An Azure marketplace plan block (Cloud Access images need one). */
export interface MarketplacePlan {
  publisher: string;
  product: string;
  name: string;
}

/** One source, with the classification a VM made from it would get (the same rules as the classifier's). */
export interface ProvisionSource {
  /**
   * Stable and unique within its provider: what a request names as `source`. Azure marketplace
   * `marketplace:<location>:<publisher>:<offer>:<sku>`; a custom image its resource id; Hyper-V
   * `vhd:<host native id>:<path>` or `vm:<VM GUID>`.
   */
  ref: string;
  kind: ProvisionSourceKind;
  name: string;
  osFamily: OsFamily;
  osVersion: string | null;
  licenseModel: LicenseModel | null;
  /** Azure: the location it is offered in (a VM made from it must be there). */
  location: string | null;
  /** Hyper-V: the host that holds it (a VM made from it goes on that host). */
  hostNativeId: string | null;
  /** The Hyper-V generation (or Azure hyperVGeneration) the image needs. */
  generation: 1 | 2 | null;
  /** Azure Cloud Access images: the plan block a create must carry, and whose terms must be accepted. */
  plan: MarketplacePlan | null;
  /** Provider-specific facts shown to the operator (publisher/offer/sku/version; the VHD path). */
  details: Record<string, string | number | null>;
}

/** One VM to make, resolved from a request by the host (names already expanded, one spec per VM). */
export interface ProvisionSpec {
  /** Our request and task ids: tagged onto what is made, so an operator (and a resumed task) can tell it is ours. */
  requestId: string;
  taskId: string;
  /** The VM's name, also its computer name. */
  name: string;
  source: ProvisionSource;
  /** Azure: vmSize. Hyper-V: cpuCount, memoryMB and generation (default the source's, else 2). */
  size: { vmSize?: string; cpuCount?: number; memoryMB?: number; generation?: 1 | 2 };
  /**
   * Azure: resourceGroup, location, subnetId (a subnet's resource id), publicIp, zone.
   * Hyper-V: hostNativeId, switchName, vhdFolder, copyVhd (a full copy of the template instead of a differencing disk).
   */
  placement: {
    resourceGroup?: string;
    location?: string;
    subnetId?: string;
    publicIp?: boolean;
    zone?: string | null;
    hostNativeId?: string;
    switchName?: string;
    vhdFolder?: string;
    copyVhd?: boolean;
  };
  /** The admin account: an SSH public key only, never a password. */
  admin: { username: string; sshPublicKey: string };
  /** cloud-init user data (plain text; the plugin encodes it as its cloud wants). */
  userData: string | null;
  tags: Record<string, string>;
  /** Azure: `byos` sends licenseType RHEL_BYOS (Hybrid Benefit) where the image allows it; `payg` sends none. */
  licenseModel: 'payg' | 'byos' | null;
}

/** What {@link ProvisioningDuties.checkProvision} found. */
export interface ProvisionCheck {
  /** One message per problem, each starting with its field path (`size.vmSize: …`). */
  problems: string[];
  /** The vCPUs one VM of the first spec gets (Azure: the size's cores), for the host's quotas; null when unknown (the size is wrong). */
  vcpusPerVm: number | null;
}

/** One step of making a VM, in the order the plugin runs them. */
export interface ProvisionStepPlan {
  /** e.g. Azure `publicIp`, `nic`, `vm`; Hyper-V `vhd`, `vm`, `processor`, `memory`, `network`, `start`, `guest`. */
  name: string;
  /**
   * What the step makes, when it makes a resource (deleted again, last first, when the task fails
   * or is canceled). Its native id may be unknown until made (a Hyper-V VM's GUID): the step's
   * answer then names it.
   */
  creates: ResourceRef | null;
}

/** A step's answer: how the request stands, and (when it made a resource whose id was not known before) what it made. */
export type ProvisionStepProgress = CloudRequestProgress & { made?: ResourceRef };

/**
 * The optional provisioning duties of a plugin. Every call is idempotent: a step asked again
 * (a retried or resumed task) finds what it made already, by its deterministic name, and answers
 * `done` without making a second one (Azure PUT semantics; Hyper-V looks the name up first).
 */
export interface ProvisioningDuties<TContext> {
  /** The sources this provider offers, read live (custom images the host adds from the inventory). */
  provisionSources?(ctx: TContext): Promise<ProvisionSource[]>;
  /**
   * Checks specs against the cloud's rules and the live provider before anything is made: names
   * as the cloud allows them, the size in the location's sizes, the subnet, the plan's terms (and
   * how to accept them), the cloud's quota, the host's memory, the switch. The specs of one call
   * share everything but their names.
   */
  checkProvision?(ctx: TContext, specs: ProvisionSpec[]): Promise<ProvisionCheck>;
  /** The steps that make one VM, in order. Pure: the same spec always gives the same steps and names. */
  provisionSteps?(spec: ProvisionSpec): ProvisionStepPlan[];
  /** Runs one step of {@link provisionSteps}; `resumed`: asked before without an answer on record. */
  provisionStep?(ctx: TContext, spec: ProvisionSpec, step: string, resumed: boolean): Promise<ProvisionStepProgress>;
}
