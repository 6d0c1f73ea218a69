import { validateExtraVars } from '@hybridforms/automation';
import { BadInputError, type AppConfig, type ProvisionSource } from '@hybridforms/core';

/** A provision request as the operator sends it (POST /provision-requests), before any check. */
export type ProvisionRequestBody = Record<string, unknown>;

/** The post-provision playbook run, once the VM answers SSH. */
export interface PostProvision {
  playbook: string;
  credentialId: string;
  extraVars: Record<string, unknown>;
}

/** A request whose shape is right: what the use-case checks against the inventory and the provider. */
export interface ProvisionRequestInput {
  providerId: string;
  sourceRef: string;
  count: number;
  names: string[];
  size: { vmSize?: string; cpuCount?: number; memoryMB?: number; generation?: 1 | 2 };
  placement: Record<string, string | boolean | null>;
  admin: { username: string; sshPublicKey: string };
  userData: string | null;
  tags: Record<string, string>;
  licenseModel: 'payg' | 'byos' | null;
  retiresAt: Date | null;
  postProvision: PostProvision | null;
  keepOnFailure: boolean;
}

const TOP_KEYS = ['provider', 'source', 'count', 'name', 'namePattern', 'size', 'placement', 'admin', 'userData', 'tags', 'licenseModel', 'retiresAt', 'postProvision', 'keepOnFailure'];
const SIZE_KEYS = ['vmSize', 'cpuCount', 'memoryMB', 'generation'];
const PLACEMENT_KEYS: Record<string, 'string' | 'boolean' | 'nullable-string'> = {
  resourceGroup: 'string',
  location: 'string',
  subnetId: 'string',
  publicIp: 'boolean',
  zone: 'nullable-string',
  hostNativeId: 'string',
  switchName: 'string',
  vhdFolder: 'string',
  copyVhd: 'boolean',
};
const ADMIN_KEYS = ['username', 'sshPublicKey'];
const POST_PROVISION_KEYS = ['playbook', 'credentialId', 'extraVars'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure's tag limits (50 per resource, names ≤ 512, values ≤ 256); our own `hybridforms-*` tags are reserved.
const MAX_TAGS = 50;
const NAME_TOKEN = '{n}';

/**
 * Checks a request's shape and expands its names; throws a BadInputError listing every problem
 * (each starting with its field path). What only the inventory or the provider can tell (a name
 * taken, a size not offered, terms not accepted) is checked afterwards, by the use-case.
 */
export function parseProvisionRequest(body: unknown, config: AppConfig['provisioning'], now = new Date()): ProvisionRequestInput {
  const problems: string[] = [];
  if (!isObject(body)) throw new BadInputError('the body must be a JSON object');
  for (const key of Object.keys(body)) if (!TOP_KEYS.includes(key)) problems.push(`${key}: unknown field`);

  const providerId = typeof body.provider === 'string' && UUID.test(body.provider) ? body.provider : null;
  if (!providerId) problems.push('provider: must be the id of a provider (GET /providers)');
  const sourceRef = typeof body.source === 'string' && body.source.length > 0 && body.source.length <= 1024 ? body.source : null;
  if (!sourceRef) problems.push('source: must be the ref of a source of GET /provisioning/sources');

  let count = 1;
  if (body.count !== undefined) {
    if (!Number.isInteger(body.count) || (body.count as number) < 1) problems.push('count: must be a whole number of at least 1');
    else if ((body.count as number) > config.maxVmsPerRequest) problems.push(`count: ${body.count} VMs is more than one request may make (quota provisioning.maxVmsPerRequest: ${config.maxVmsPerRequest})`);
    else count = body.count as number;
  }
  const names = namesOf(body, count, problems);
  const size = sizeOf(body.size, problems);
  const placement = placementOf(body.placement, problems);
  const admin = adminOf(body.admin, problems);

  let userData: string | null = null;
  if (body.userData !== undefined && body.userData !== null) {
    if (typeof body.userData !== 'string') problems.push('userData: must be the cloud-init user data as text');
    else if (Buffer.byteLength(body.userData) > config.maxUserDataBytes) problems.push(`userData: ${Buffer.byteLength(body.userData)} bytes is more than the ${config.maxUserDataBytes} allowed (provisioning.maxUserDataBytes)`);
    else userData = body.userData;
  }
  const tags = tagsOf(body.tags, problems);

  let licenseModel: ProvisionRequestInput['licenseModel'] = null;
  if (body.licenseModel !== undefined && body.licenseModel !== null) {
    if (body.licenseModel !== 'payg' && body.licenseModel !== 'byos') problems.push('licenseModel: must be payg or byos');
    else licenseModel = body.licenseModel;
  }

  let retiresAt: Date | null = null;
  if (body.retiresAt !== undefined && body.retiresAt !== null) {
    const date = typeof body.retiresAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(body.retiresAt) ? new Date(body.retiresAt) : null;
    if (!date || Number.isNaN(date.getTime())) problems.push('retiresAt: must be an ISO 8601 date-time (e.g. 2027-01-31T18:00:00Z)');
    else if (date.getTime() <= now.getTime()) problems.push('retiresAt: is in the past');
    else retiresAt = date;
  }
  const postProvision = postProvisionOf(body.postProvision, problems);
  if (body.keepOnFailure !== undefined && typeof body.keepOnFailure !== 'boolean') problems.push('keepOnFailure: must be true or false');

  if (problems.length > 0) throw new BadInputError(problems.join('; '), problems);
  return {
    providerId: providerId!,
    sourceRef: sourceRef!,
    count,
    names,
    size,
    placement,
    admin: admin!,
    userData,
    tags,
    licenseModel,
    retiresAt,
    postProvision,
    keepOnFailure: body.keepOnFailure === true,
  };
}

/** The problems of a request against its source (the license it allows, the generation it needs). */
export function sourceProblems(input: ProvisionRequestInput, source: ProvisionSource): string[] {
  const problems: string[] = [];
  if (source.licenseModel === 'byos' && input.licenseModel === 'payg') {
    problems.push(`licenseModel: ${source.name} is a Cloud Access (BYOS) image: a VM made from it uses the customer's own RHEL subscription and cannot be payg`);
  }
  if (source.generation && input.size.generation && source.generation !== input.size.generation) {
    problems.push(`size.generation: ${source.name} is a generation ${source.generation} image`);
  }
  return problems;
}

/** The approval policy: approved at once (with the rule that allowed it), or null: an admin decides. */
export function autoApproval(input: ProvisionRequestInput, providerType: string, config: AppConfig['provisioning']): string | null {
  if (config.autoApproveMaxCount === 0 || input.count > config.autoApproveMaxCount) return null;
  if (providerType === 'azure') {
    const size = input.size.vmSize?.toLowerCase();
    const allowed = config.autoApproveVmSizes.find((candidate) => candidate.toLowerCase() === size);
    return allowed ? `policy: ${input.count} VM(s) of ${allowed}, within provisioning.autoApproveMaxCount and autoApproveVmSizes` : null;
  }
  const { cpuCount = 1, memoryMB = 0 } = input.size;
  if (cpuCount <= config.autoApproveMaxCpuCount && memoryMB <= config.autoApproveMaxMemoryMB) {
    return `policy: ${input.count} VM(s) of ${cpuCount} processor(s) and ${memoryMB} MB, within provisioning.autoApproveMaxCount, autoApproveMaxCpuCount and autoApproveMaxMemoryMB`;
  }
  return null;
}

function namesOf(body: Record<string, unknown>, count: number, problems: string[]): string[] {
  const { name, namePattern } = body;
  if ((name === undefined) === (namePattern === undefined)) {
    problems.push('name: give exactly one of name (one VM) or namePattern (e.g. "web-{n}")');
    return [];
  }
  if (name !== undefined) {
    if (typeof name !== 'string' || name.length === 0) problems.push('name: must be a non-empty string');
    else if (count > 1) problems.push(`name: one name for ${count} VMs; give namePattern (e.g. "${name}-{n}") instead`);
    else return [name];
    return [];
  }
  if (typeof namePattern !== 'string' || namePattern.split(NAME_TOKEN).length !== 2) {
    problems.push('namePattern: must hold {n} once (e.g. "web-{n}": web-1, web-2, …)');
    return [];
  }
  return Array.from({ length: count }, (_, i) => namePattern.replace(NAME_TOKEN, String(i + 1)));
}

function sizeOf(value: unknown, problems: string[]): ProvisionRequestInput['size'] {
  if (!isObject(value)) {
    problems.push('size: must be an object ({ vmSize } on Azure; { cpuCount, memoryMB, generation } on Hyper-V)');
    return {};
  }
  for (const key of Object.keys(value)) if (!SIZE_KEYS.includes(key)) problems.push(`size.${key}: unknown field`);
  const size: ProvisionRequestInput['size'] = {};
  if (value.vmSize !== undefined) {
    if (typeof value.vmSize !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(value.vmSize)) problems.push('size.vmSize: must be an Azure VM size such as Standard_D2s_v5');
    else size.vmSize = value.vmSize;
  }
  if (value.cpuCount !== undefined) {
    if (!Number.isInteger(value.cpuCount) || (value.cpuCount as number) < 1 || (value.cpuCount as number) > 240) problems.push('size.cpuCount: must be a whole number from 1 to 240');
    else size.cpuCount = value.cpuCount as number;
  }
  if (value.memoryMB !== undefined) {
    if (!Number.isInteger(value.memoryMB) || (value.memoryMB as number) < 32) problems.push('size.memoryMB: must be a whole number of MB, at least 32');
    else size.memoryMB = value.memoryMB as number;
  }
  if (value.generation !== undefined) {
    if (value.generation !== 1 && value.generation !== 2) problems.push('size.generation: must be 1 or 2');
    else size.generation = value.generation;
  }
  if (size.vmSize === undefined && size.cpuCount === undefined && size.memoryMB === undefined) problems.push('size: give vmSize (Azure) or cpuCount and memoryMB (Hyper-V)');
  return size;
}

function placementOf(value: unknown, problems: string[]): ProvisionRequestInput['placement'] {
  if (!isObject(value)) {
    problems.push('placement: must be an object (Azure: resourceGroup, location, subnetId, publicIp, zone; Hyper-V: hostNativeId, switchName, vhdFolder, copyVhd)');
    return {};
  }
  const placement: ProvisionRequestInput['placement'] = {};
  for (const [key, raw] of Object.entries(value)) {
    const kind = PLACEMENT_KEYS[key];
    if (!kind) problems.push(`placement.${key}: unknown field`);
    else if (kind === 'boolean' && typeof raw !== 'boolean') problems.push(`placement.${key}: must be true or false`);
    else if (kind !== 'boolean' && !(typeof raw === 'string' && raw.length > 0 && raw.length <= 1024) && !(kind === 'nullable-string' && raw === null)) problems.push(`placement.${key}: must be a non-empty string`);
    else placement[key] = raw as string | boolean | null;
  }
  return placement;
}

function adminOf(value: unknown, problems: string[]): ProvisionRequestInput['admin'] | null {
  if (!isObject(value)) {
    problems.push('admin: must be an object { username, sshPublicKey }');
    return null;
  }
  for (const key of Object.keys(value)) {
    if (key === 'password') problems.push('admin.password: not accepted: VMs are made with an SSH public key only (admin.sshPublicKey)');
    else if (!ADMIN_KEYS.includes(key)) problems.push(`admin.${key}: unknown field`);
  }
  const username = typeof value.username === 'string' && /^[a-z_][a-z0-9_-]{0,31}$/.test(value.username) ? value.username : null;
  if (!username) problems.push('admin.username: must be a Linux user name (lower case letters, digits, _ and -, at most 32, not starting with a digit)');
  const key = typeof value.sshPublicKey === 'string' ? value.sshPublicKey.trim() : null;
  const sshPublicKey = key && /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/.test(key) && key.length <= 16 * 1024 ? key : null;
  if (!sshPublicKey) problems.push('admin.sshPublicKey: must be one OpenSSH public key line (ssh-ed25519 AAAA… comment)');
  return username && sshPublicKey ? { username, sshPublicKey } : null;
}

function tagsOf(value: unknown, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    problems.push('tags: must be an object of names to text values');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS - 3) problems.push(`tags: at most ${MAX_TAGS - 3} tags (Azure allows ${MAX_TAGS}; Hybridforms adds its own)`);
  const tags: Record<string, string> = {};
  for (const [name, raw] of entries) {
    if (name.length === 0 || name.length > 512 || /[<>%&\\?/]/.test(name)) problems.push(`tags.${name}: a tag name is 1 to 512 characters, none of < > % & \\ ? /`);
    else if (/^hybridforms/i.test(name)) problems.push(`tags.${name}: names starting with hybridforms are Hybridforms' own`);
    else if (typeof raw !== 'string' || raw.length > 256) problems.push(`tags.${name}: must be text of at most 256 characters`);
    else tags[name] = raw;
  }
  return tags;
}

function postProvisionOf(value: unknown, problems: string[]): PostProvision | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    problems.push('postProvision: must be an object { playbook, credentialId, extraVars }');
    return null;
  }
  for (const key of Object.keys(value)) if (!POST_PROVISION_KEYS.includes(key)) problems.push(`postProvision.${key}: unknown field`);
  const playbook = typeof value.playbook === 'string' && value.playbook.length > 0 && value.playbook.length <= 512 ? value.playbook : null;
  if (!playbook) problems.push('postProvision.playbook: must be a playbook id of GET /playbooks');
  const credentialId = typeof value.credentialId === 'string' && UUID.test(value.credentialId) ? value.credentialId : null;
  if (!credentialId) problems.push('postProvision.credentialId: must be the id of a machine credential (GET /machine-credentials)');
  let extraVars: Record<string, unknown> = {};
  if (value.extraVars !== undefined) {
    try {
      extraVars = validateExtraVars(value.extraVars);
    } catch (error) {
      const messages = error instanceof BadInputError ? error.problems : [(error as Error).message];
      problems.push(...messages.map((message) => `postProvision.${message.startsWith('extraVars') ? message : `extraVars: ${message}`}`));
    }
  }
  return playbook && credentialId ? { playbook, credentialId, extraVars } : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
