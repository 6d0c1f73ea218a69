import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, BadInputError, NotFoundError, ProviderError, SECRET_BOX, SEALED_MARKER, redactSecrets, type AppConfig, type ProvisionSpec, type SecretBox } from '@hybridforms/core';
import { PlaybookCatalog, sealSensitiveVars } from '@hybridforms/automation';
import { ProvidersService } from '@hybridforms/discovery';
import { MachineCredentialRepository, ProvisionRequestRepository, VmQueryRepository, type ProvisionRequestEntity } from '@hybridforms/persistence';
import type { Requester } from '@hybridforms/operations';
import { autoApproval, parseProvisionRequest, sourceProblems, type ProvisionRequestInput } from './provision-request.rules.js';
import { ProvisionSources, type ListedSource } from './provision-sources.query.js';
import { RunProvisionRequest } from './run-provision-request.usecase.js';

/**
 * Takes a provision request: checked whole before anything is stored (its shape, the source, names
 * taken in the inventory, the provider's own rules and live state, the quotas), every problem in
 * one 400; then stored, approved at once when the approval policy allows it, else left for an admin.
 */
@Injectable()
export class SubmitProvisionRequest {
  private readonly logger = new Logger(SubmitProvisionRequest.name);

  constructor(
    private readonly requests: ProvisionRequestRepository,
    private readonly sources: ProvisionSources,
    private readonly providers: ProvidersService,
    private readonly vms: VmQueryRepository,
    private readonly credentials: MachineCredentialRepository,
    private readonly playbooks: PlaybookCatalog,
    private readonly execution: RunProvisionRequest,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
  ) {}

  async submit(body: unknown, requester: Requester, now = new Date()): Promise<ProvisionRequestEntity> {
    const quota = this.config.provisioning;
    const input = parseProvisionRequest(body, quota, now);
    const opened = await this.providers.openContext(input.providerId, AbortSignal.timeout(60_000)).catch((error: unknown) => {
      throw error instanceof NotFoundError ? new BadInputError(`provider: no provider ${input.providerId}`) : error;
    });
    const { provider, plugin, credentials, ctx } = opened;
    if (!plugin.provisionSources || !plugin.checkProvision) throw new BadInputError(`provider: ${provider.name} (${provider.type}) cannot provision VMs`);

    const problems: string[] = [];
    const source = await this.sources.find(opened, input.sourceRef);
    if (!source) throw new BadInputError(`source: ${input.sourceRef} is not a source of provider ${provider.name} (GET /provisioning/sources?provider=${provider.id})`);
    problems.push(...sourceProblems(input, source));

    const taken = await this.vms.liveNamesAmong(provider.id, input.names);
    if (taken.length > 0) problems.push(`name: the inventory of ${provider.name} already has VM(s) named ${taken.slice(0, 20).join(', ')}${taken.length > 20 ? ` and ${taken.length - 20} more` : ''}`);
    const duplicated = input.names.filter((name, i) => input.names.findIndex((other) => other.toLowerCase() === name.toLowerCase()) !== i);
    if (duplicated.length > 0) problems.push(`namePattern: gives the same name twice (${duplicated.slice(0, 5).join(', ')})`);

    if (input.postProvision) {
      if (!(await this.credentials.findById(input.postProvision.credentialId))) problems.push(`postProvision.credentialId: no machine credential ${input.postProvision.credentialId}`);
      await this.playbooks.resolve(input.postProvision.playbook).catch((error: Error) => problems.push(`postProvision.playbook: ${error.message}`));
    }

    if (requester.tokenId) {
      const active = await this.requests.countActiveOf(requester.tokenId);
      if (active >= quota.maxActivePerToken) {
        problems.push(`quota: ${requester.name} has ${active} provision request(s) pending or running, the most one token may have (provisioning.maxActivePerToken: ${quota.maxActivePerToken})`);
      }
    }

    const id = randomUUID();
    const specs = input.names.map((name): ProvisionSpec => specOf(id, randomUUID(), name, input, source));
    const check = await plugin.checkProvision(ctx, specs).catch((error: unknown) => {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), [credentials]);
      // The provider could not be asked: not the request's fault, and nothing is stored.
      throw ProviderError.is(error) ? new ProviderError(error.code, `the provider could not check the request: ${message}`) : new Error(message);
    });
    problems.push(...check.problems);
    const vcpus = (check.vcpusPerVm ?? input.size.cpuCount ?? 0) * input.count;
    if (vcpus > quota.maxVcpusPerRequest) problems.push(`quota: ${input.count} VM(s) of ${check.vcpusPerVm ?? input.size.cpuCount} vCPU(s) is ${vcpus} vCPUs, more than one request may make (provisioning.maxVcpusPerRequest: ${quota.maxVcpusPerRequest})`);
    if (problems.length > 0) throw new BadInputError(problems.join('; '), problems);

    const approval = autoApproval(input, provider.type, quota);
    const request: ProvisionRequestEntity = {
      id,
      status: approval ? 'approved' : 'pending_approval',
      providerId: provider.id,
      sourceRef: source.ref,
      source: sourceRecord(source),
      count: input.count,
      names: input.names,
      vcpus,
      spec: storedSpec(input, specs, this.secretBox),
      requestedBy: requester.name,
      requestedByTokenId: requester.tokenId,
      decidedBy: approval ? 'policy' : null,
      reason: approval,
      requestedAt: now,
      decidedAt: approval ? now : null,
      finishedAt: null,
    };
    await this.requests.add(request);
    this.logger.log(`provision request ${id} (${input.count} VM(s) from ${source.name} on ${provider.name}) by ${requester.name}: ${request.status}`);
    if (request.status === 'approved') await this.execution.startOrLeave(id);
    return (await this.requests.findById(id)) ?? request;
  }
}

/** One VM's spec: the request's shared parts, its own name and task id. */
function specOf(requestId: string, taskId: string, name: string, input: ProvisionRequestInput, source: ListedSource): ProvisionSpec {
  return {
    requestId,
    taskId,
    name,
    source,
    size: input.size,
    placement: input.placement as ProvisionSpec['placement'],
    admin: input.admin,
    userData: input.userData,
    tags: input.tags,
    licenseModel: input.licenseModel,
  };
}

function sourceRecord(source: ListedSource): Record<string, unknown> {
  const { providerId: _id, providerName: _name, providerType: _type, ...own } = source;
  return own;
}

/**
 * What the tasks need later; the task ids are fixed now, so the names made from them are too. The
 * user data (it may carry a registration key) and the playbook's secret-like extra vars are
 * stored sealed, as a run's are; the API shows the user data by its size and digest only.
 */
function storedSpec(input: ProvisionRequestInput, specs: ProvisionSpec[], box: SecretBox): Record<string, unknown> {
  const userData = input.userData;
  return {
    size: input.size,
    placement: input.placement,
    admin: input.admin,
    userData: userData === null ? null : { [SEALED_MARKER]: box.seal(userData) },
    userDataBytes: userData === null ? null : Buffer.byteLength(userData),
    userDataSha256: userData === null ? null : createHash('sha256').update(userData).digest('hex'),
    tags: input.tags,
    licenseModel: input.licenseModel,
    retiresAt: input.retiresAt?.toISOString() ?? null,
    postProvision: input.postProvision ? { ...input.postProvision, extraVars: sealSensitiveVars(input.postProvision.extraVars ?? {}, box) } : null,
    keepOnFailure: input.keepOnFailure,
    taskIds: specs.map((spec) => spec.taskId),
  };
}
