import type { SimDeleteOption, SimImageReference } from './sim-estate.model.js';

/**
 * The PUT bodies of the creates the simulator serves (VM, NIC, public IP), parsed from ARM's
 * wire shape and checked the way the resource providers check them before accepting: a missing
 * required field is a synchronous 400 `InvalidParameter` whose `target` is the bare property name
 * (Compute answers "Required parameter 'adminPassword' is missing (null)." with Target
 * "adminPassword", seen in gardener/gardener-extension-provider-azure#397), not a dotted path.
 */

/** A synchronous refusal of a PUT: ARM's `{ error: { code, message, target? } }` with its status. */
export interface CreateRefusal {
  status: number;
  code: string;
  message: string;
  target?: string;
}

export interface VmCreateRequest {
  location: string;
  tags?: Record<string, string>;
  zones?: string[];
  plan?: { name: string; publisher: string; product: string };
  licenseType?: string;
  vmSize: string;
  imageReference: SimImageReference;
  osDisk: { name?: string; storageAccountType?: string; deleteOption: SimDeleteOption; diskSizeGB?: number };
  computerName: string;
  adminUsername: string;
  disablePasswordAuthentication: boolean;
  sshPublicKeys: { path: string; keyData: string }[];
  /** Decoded customData (cloud-init); never served back, as Compute does not return it. */
  customData?: string;
  networkInterfaces: { id: string; primary?: boolean; deleteOption: SimDeleteOption }[];
}

export interface NicCreateRequest {
  location: string;
  tags?: Record<string, string>;
  ipConfigurations: { name: string; subnetId: string; publicIpId?: string; primary?: boolean }[];
  enableAcceleratedNetworking: boolean;
  networkSecurityGroupId?: string;
}

export interface PublicIpCreateRequest {
  location: string;
  tags?: Record<string, string>;
  zones?: string[];
  skuName: 'Basic' | 'Standard';
  allocation: 'Static' | 'Dynamic';
  domainNameLabel?: string;
}

type Json = Record<string, unknown>;

const CUSTOM_DATA_MAX = 87_380;

function object(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function missing(name: string): CreateRefusal {
  return { status: 400, code: 'InvalidParameter', message: `Required parameter '${name}' is missing (null).`, target: name };
}

function invalid(name: string, message: string): CreateRefusal {
  return { status: 400, code: 'InvalidParameter', message, target: name };
}

function body(raw: string): Json | CreateRefusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { status: 400, code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized.' };
  }
  return object(parsed) ?? { status: 400, code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized.' };
}

function location(json: Json): string | CreateRefusal {
  return text(json.location) ?? { status: 400, code: 'LocationRequired', message: 'The location property is required for this definition.' };
}

function tags(json: Json): Record<string, string> | undefined {
  const value = object(json.tags);
  return value ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : undefined;
}

function deleteOption(value: unknown, name: string): SimDeleteOption | CreateRefusal {
  if (value === undefined || value === null) return 'Detach';
  if (value === 'Delete' || value === 'Detach') return value;
  return invalid(name, `The value '${String(value)}' of parameter '${name}' is not allowed. Allowed values are 'Delete', 'Detach'.`);
}

export function isRefusal(value: unknown): value is CreateRefusal {
  return object(value) !== undefined && typeof (value as CreateRefusal).code === 'string' && typeof (value as CreateRefusal).status === 'number';
}

/** A VM PUT body; checks the fields a create from an image needs, in the order Compute reports them. */
export function parseVmCreate(raw: string): VmCreateRequest | CreateRefusal {
  const json = body(raw);
  if (isRefusal(json)) return json;
  const where = location(json);
  if (isRefusal(where)) return where;
  const properties = object(json.properties) ?? {};

  const vmSize = text(object(properties.hardwareProfile)?.vmSize);
  if (!vmSize) return missing('vmSize');

  const storage = object(properties.storageProfile);
  const image = object(storage?.imageReference);
  if (!image) return missing('imageReference');
  const imageId = text(image.id);
  const publisher = text(image.publisher);
  const offer = text(image.offer);
  const sku = text(image.sku);
  if (!imageId && !(publisher && offer && sku)) {
    return invalid('imageReference', 'The value of parameter imageReference is invalid: give either id, or publisher, offer and sku.');
  }
  const imageReference: SimImageReference = imageId ? { id: imageId } : { publisher, offer, sku, version: text(image.version) ?? 'latest' };
  const osDisk = object(storage?.osDisk) ?? {};
  const createOption = text(osDisk.createOption) ?? 'FromImage';
  if (createOption.toLowerCase() !== 'fromimage') {
    return invalid('createOption', `The value '${createOption}' of parameter 'createOption' is not supported here: a VM from an image needs 'FromImage'.`);
  }
  const osDeleteOption = deleteOption(osDisk.deleteOption, 'deleteOption');
  if (isRefusal(osDeleteOption)) return osDeleteOption;
  const diskSizeGB = typeof osDisk.diskSizeGB === 'number' ? osDisk.diskSizeGB : undefined;

  const os = object(properties.osProfile);
  if (!os) return missing('osProfile');
  const computerName = text(os.computerName);
  if (!computerName) return missing('computerName');
  const adminUsername = text(os.adminUsername);
  if (!adminUsername) return missing('adminUsername');
  const linux = object(os.linuxConfiguration) ?? {};
  const disablePasswordAuthentication = linux.disablePasswordAuthentication === true;
  const keys = Array.isArray(object(linux.ssh)?.publicKeys) ? (object(linux.ssh)!.publicKeys as unknown[]) : [];
  const sshPublicKeys = keys.flatMap((k) => {
    const key = object(k);
    const keyData = text(key?.keyData);
    return keyData ? [{ path: text(key?.path) ?? `/home/${adminUsername}/.ssh/authorized_keys`, keyData }] : [];
  });
  if (sshPublicKeys.length === 0 && (disablePasswordAuthentication || !text(os.adminPassword))) {
    // Wording from memory of Compute's answer (unverified against a primary source).
    return invalid('linuxConfiguration', 'Authentication using either SSH or by user name and password must be enabled in Linux profile.');
  }
  let customData: string | undefined;
  if (os.customData !== undefined && os.customData !== null) {
    const encoded = String(os.customData);
    if (encoded.length > CUSTOM_DATA_MAX || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      return invalid('customData', `Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${CUSTOM_DATA_MAX} characters.`);
    }
    customData = Buffer.from(encoded, 'base64').toString('utf8');
  }

  const entries = object(properties.networkProfile)?.networkInterfaces;
  if (!Array.isArray(entries) || entries.length === 0) return missing('networkProfile');
  const networkInterfaces: VmCreateRequest['networkInterfaces'] = [];
  for (const entry of entries) {
    const id = text(object(entry)?.id);
    if (!id) return missing('id');
    const nicProperties = object(object(entry)?.properties) ?? {};
    const option = deleteOption(nicProperties.deleteOption, 'deleteOption');
    if (isRefusal(option)) return option;
    networkInterfaces.push({ id, primary: typeof nicProperties.primary === 'boolean' ? nicProperties.primary : undefined, deleteOption: option });
  }
  if (networkInterfaces.length > 1 && networkInterfaces.filter((n) => n.primary === true).length !== 1) {
    return invalid('networkInterfaces', `Virtual machine ${computerName} must have one network interface set as the primary.`);
  }

  const planJson = object(json.plan);
  let plan: VmCreateRequest['plan'];
  if (planJson) {
    const name = text(planJson.name);
    const planPublisher = text(planJson.publisher);
    const product = text(planJson.product);
    if (!name) return missing('name');
    if (!planPublisher) return missing('publisher');
    if (!product) return missing('product');
    plan = { name, publisher: planPublisher, product };
  }
  const zones = Array.isArray(json.zones) ? json.zones.map(String) : undefined;
  return {
    location: where,
    tags: tags(json),
    zones,
    plan,
    licenseType: text(properties.licenseType),
    vmSize,
    imageReference,
    osDisk: { name: text(osDisk.name), storageAccountType: text(object(osDisk.managedDisk)?.storageAccountType), deleteOption: osDeleteOption, diskSizeGB },
    computerName,
    adminUsername,
    disablePasswordAuthentication,
    sshPublicKeys,
    customData,
    networkInterfaces,
  };
}

/** A NIC PUT body: at least one ipConfiguration with a subnet id. */
export function parseNicCreate(raw: string): NicCreateRequest | CreateRefusal {
  const json = body(raw);
  if (isRefusal(json)) return json;
  const where = location(json);
  if (isRefusal(where)) return where;
  const properties = object(json.properties) ?? {};
  const configs = properties.ipConfigurations;
  if (!Array.isArray(configs) || configs.length === 0) return missing('ipConfigurations');
  const ipConfigurations: NicCreateRequest['ipConfigurations'] = [];
  for (const [index, config] of configs.entries()) {
    const configProperties = object(object(config)?.properties) ?? {};
    const subnetId = text(object(configProperties.subnet)?.id);
    if (!subnetId) return missing('subnet');
    ipConfigurations.push({
      name: text(object(config)?.name) ?? `ipconfig${index + 1}`,
      subnetId,
      publicIpId: text(object(configProperties.publicIPAddress)?.id),
      primary: typeof configProperties.primary === 'boolean' ? configProperties.primary : undefined,
    });
  }
  return {
    location: where,
    tags: tags(json),
    ipConfigurations,
    enableAcceleratedNetworking: properties.enableAcceleratedNetworking === true,
    networkSecurityGroupId: text(object(properties.networkSecurityGroup)?.id),
  };
}

/** A public IP PUT body; the SKU defaults to Standard, whose addresses are Static. */
export function parsePublicIpCreate(raw: string): PublicIpCreateRequest | CreateRefusal {
  const json = body(raw);
  if (isRefusal(json)) return json;
  const where = location(json);
  if (isRefusal(where)) return where;
  const properties = object(json.properties) ?? {};
  const skuName = text(object(json.sku)?.name) ?? 'Standard';
  if (skuName !== 'Basic' && skuName !== 'Standard') return invalid('sku', `The SKU '${skuName}' of the public IP address is not valid.`);
  const allocation = text(properties.publicIPAllocationMethod) ?? (skuName === 'Standard' ? 'Static' : 'Dynamic');
  if (allocation !== 'Static' && allocation !== 'Dynamic') {
    return invalid('publicIPAllocationMethod', `The value '${allocation}' of publicIPAllocationMethod is not valid.`);
  }
  return {
    location: where,
    tags: tags(json),
    zones: Array.isArray(json.zones) ? json.zones.map(String) : undefined,
    skuName,
    allocation,
    domainNameLabel: text(object(properties.dnsSettings)?.domainNameLabel),
  };
}

/**
 * The request body in a canonical form (keys sorted, recursively): two PUTs with the same content
 * compare equal whatever order their serializers wrote the keys in.
 */
export function canonicalBody(raw: string): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    const json = object(value);
    if (!json) return value;
    return Object.fromEntries(Object.keys(json).sort().map((k) => [k, sort(json[k])]));
  };
  try {
    return JSON.stringify(sort(JSON.parse(raw)));
  } catch {
    return raw;
  }
}
