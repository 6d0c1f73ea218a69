import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import { ProviderError, ProviderErrorCode, type ProvisionSpec, type ProvisionStepPlan, type ProvisionStepProgress, type ResourceRef } from '@hybridforms/core';
import type { AzureVmOperator } from './azure.vm-operator.js';
import { parseMarketplaceRef, parseSubnetId } from './azure.vm-provisioner.js';

/** The tags every resource a task makes carries: an operator (and a resumed task) can tell it is ours and whose. */
export const REQUEST_TAG = 'hybridforms-request';
export const TASK_TAG = 'hybridforms-task';

/** Where a spec's resources go: the subnet's subscription, the placement's group and location. */
interface Placement {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  subnetId: string;
}

/** The deterministic names of what one VM's task makes: a task asked again PUTs the same names and finds them. */
export function azureResourceNames(vmName: string): { nic: string; publicIp: string; osDisk: string } {
  return { nic: `${vmName}-nic`, publicIp: `${vmName}-ip`, osDisk: `${vmName}-osdisk` };
}

function placementOf(spec: ProvisionSpec): Placement {
  const { resourceGroup, location, subnetId } = spec.placement;
  const subnet = subnetId ? parseSubnetId(subnetId) : null;
  if (!resourceGroup || !location || !subnet) {
    throw new ProviderError(ProviderErrorCode.InvalidConfig, 'an Azure VM needs placement.resourceGroup, placement.location and placement.subnetId (a subnet resource id)');
  }
  return { subscriptionId: subnet.subscriptionId, resourceGroup, location, subnetId: subnetId! };
}

function resourceId(p: Placement, type: string, name: string): string {
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/${type}/${name}`.toLowerCase();
}

/**
 * The steps that make one Azure VM: its public IP (when asked), its NIC, then the VM with its OS
 * disk (deleted with the VM: `deleteOption: Delete`, as the portal does). Pure.
 */
export function azureProvisionSteps(spec: ProvisionSpec): ProvisionStepPlan[] {
  const p = placementOf(spec);
  const names = azureResourceNames(spec.name);
  const steps: ProvisionStepPlan[] = [];
  if (spec.placement.publicIp) {
    steps.push({ name: 'publicIp', creates: { kind: 'publicIp', nativeId: resourceId(p, 'Microsoft.Network/publicIPAddresses', names.publicIp), name: names.publicIp } });
  }
  steps.push({ name: 'nic', creates: { kind: 'nic', nativeId: resourceId(p, 'Microsoft.Network/networkInterfaces', names.nic), name: names.nic } });
  steps.push({ name: 'vm', creates: { kind: 'vm', nativeId: resourceId(p, 'Microsoft.Compute/virtualMachines', spec.name), name: spec.name } });
  return steps;
}

/** The body of the VM's PUT: the image (marketplace with its plan, or a custom image's id), an SSH key only, cloud-init as customData. */
export function azureVmBody(spec: ProvisionSpec): VirtualMachine {
  const p = placementOf(spec);
  const names = azureResourceNames(spec.name);
  const { source } = spec;
  const image = source.kind === 'marketplace' ? parseMarketplaceRef(source.ref) : null;
  const imageReference = image
    ? { publisher: image.publisher, offer: image.offer, sku: image.sku, version: 'latest' }
    : source.kind === 'custom-image'
      ? { id: source.ref }
      : null;
  if (!imageReference) throw new ProviderError(ProviderErrorCode.InvalidConfig, `an Azure VM cannot be made from a ${source.kind} source`);
  // Hybrid Benefit: an On-Demand image billed as the customer's own subscription. A Cloud Access
  // image is BYOS by its plan and needs no licenseType.
  const licenseType = spec.licenseModel === 'byos' && source.licenseModel !== 'byos' ? 'RHEL_BYOS' : undefined;
  return {
    location: p.location,
    tags: ownTags(spec),
    ...(source.plan ? { plan: { publisher: source.plan.publisher, product: source.plan.product, name: source.plan.name } } : {}),
    ...(spec.placement.zone ? { zones: [spec.placement.zone] } : {}),
    hardwareProfile: { vmSize: spec.size.vmSize },
    storageProfile: {
      imageReference,
      osDisk: { name: names.osDisk, createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
    },
    osProfile: {
      computerName: spec.name,
      adminUsername: spec.admin.username,
      ...(spec.userData ? { customData: Buffer.from(spec.userData).toString('base64') } : {}),
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: [{ path: `/home/${spec.admin.username}/.ssh/authorized_keys`, keyData: spec.admin.sshPublicKey }] },
        provisionVMAgent: true,
      },
    },
    networkProfile: { networkInterfaces: [{ id: resourceId(p, 'Microsoft.Network/networkInterfaces', names.nic), primary: true, deleteOption: 'Delete' }] },
    ...(licenseType ? { licenseType } : {}),
  };
}

function ownTags(spec: ProvisionSpec): Record<string, string> {
  return { ...spec.tags, [REQUEST_TAG]: spec.requestId, [TASK_TAG]: spec.taskId };
}

/**
 * Runs the steps through the SDK's create pollers (PUT: 201 + Azure-AsyncOperation, then polls).
 * A PUT is idempotent: a step asked again sends the same body to the same name and Azure answers
 * with what it has, so a retried task never makes a second VM.
 */
export class AzureVmBuilder {
  constructor(private readonly operator: AzureVmOperator) {}

  async run(spec: ProvisionSpec, step: string): Promise<ProvisionStepProgress> {
    const p = placementOf(spec);
    const plan = azureProvisionSteps(spec).find((candidate) => candidate.name === step);
    if (!plan) throw new ProviderError(ProviderErrorCode.InvalidConfig, `'${step}' is not a step of making an Azure VM`);
    const made = plan.creates as ResourceRef;
    const names = azureResourceNames(spec.name);
    const path = { resourceGroup: p.resourceGroup, name: made.name };
    if (step === 'publicIp') {
      const body: PublicIPAddress = {
        location: p.location,
        tags: ownTags(spec),
        sku: { name: 'Standard' },
        publicIPAllocationMethod: 'Static',
        ...(spec.placement.zone ? { zones: [spec.placement.zone] } : {}),
      };
      return this.operator.send(`creating public IP ${made.name}`, p.subscriptionId, { client: 'network', request: 'createPublicIp', ...path }, async ({ network }, options) => {
        const poller = await network.publicIPAddresses.beginCreateOrUpdate(p.resourceGroup, made.name, body, options);
        return { poller, serialize: async () => poller.toString() };
      });
    }
    if (step === 'nic') {
      const publicIp = spec.placement.publicIp ? { id: resourceId(p, 'Microsoft.Network/publicIPAddresses', names.publicIp), deleteOption: 'Delete' } : undefined;
      const body: NetworkInterface = {
        location: p.location,
        tags: ownTags(spec),
        ipConfigurations: [{ name: 'ipconfig1', subnet: { id: p.subnetId }, privateIPAllocationMethod: 'Dynamic', primary: true, ...(publicIp ? { publicIPAddress: publicIp } : {}) }],
      };
      return this.operator.send(`creating NIC ${made.name}`, p.subscriptionId, { client: 'network', request: 'createNic', ...path }, async ({ network }, options) => {
        const poller = await network.networkInterfaces.beginCreateOrUpdate(p.resourceGroup, made.name, body, options);
        return { poller, serialize: async () => poller.toString() };
      });
    }
    const body = azureVmBody(spec);
    return this.operator.send(`creating VM ${made.name}`, p.subscriptionId, { client: 'compute', request: 'createVm', ...path }, async ({ compute }, options) => {
      const poller = await compute.virtualMachines.beginCreateOrUpdate(p.resourceGroup, made.name, body, options);
      return { poller, serialize: () => poller.serialize() };
    });
  }
}
