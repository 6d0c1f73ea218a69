import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  ProviderError,
  ProviderErrorCode,
  ProviderPluginImpl,
  type EventBatch,
  type InventoryChunk,
  type MetricSample,
  type MetricTarget,
  type MetricWindow,
  type InventoryScope,
  type ProviderContext,
  type ProviderLogger,
  type ProviderPlugin,
  type CloudRequestProgress,
  type ProvisionCheck,
  type ProvisionSpec,
  type ProvisionStepPlan,
  type ProvisionStepProgress,
  type ResourceRef,
  type VmActionRequest,
  type VmActionTarget,
  type ProvisionSource,
} from '@hybridforms/core';
import { AzureClientFactory, type AzureClientSource } from './azure-client.factory.js';
import { resolveAzureConfig, validateAzureConfig, type AzureCredentials, type AzureProviderConfig, type ResolvedAzureConfig } from './azure-provider.config.js';
import { AzureCollector } from './azure.collector.js';
import { AzureEventCatcher } from './azure.event-catcher.js';
import { AzureMetricsCollector } from './azure.metrics-collector.js';
import { AzureVmBuilder, azureProvisionSteps } from './azure.vm-builder.js';
import { AZURE_VM_ACTIONS, AzureVmOperator } from './azure.vm-operator.js';
import { AzureVmProvisioner } from './azure.vm-provisioner.js';

/** Builds the SDK clients of a provider; replaceable in tests. */
export type AzureClientSourceFactory = (config: ResolvedAzureConfig, clientSecret: string) => AzureClientSource;

// Lifecycle client sources kept: one per provider in practice, dropped after ten idle minutes.
const LIFECYCLE_SOURCE_MAX = 64;
const LIFECYCLE_SOURCE_IDLE_MS = 10 * 60 * 1000;

/** Injection token of an {@link AzureClientSourceFactory} to use instead of the real SDK clients. */
export const AZURE_CLIENT_SOURCE_FACTORY = Symbol('AZURE_CLIENT_SOURCE_FACTORY');

/**
 * The Azure provider plugin: validates the config, proves access, and collects the inventory of
 * one or many subscriptions (collector → parser; the shared persister saves the graph).
 */
@ProviderPluginImpl()
@Injectable()
export class AzureProviderPlugin implements ProviderPlugin<AzureProviderConfig, AzureCredentials> {
  readonly type = 'azure';

  /** stop is powerOff: the guest stops but the VM stays allocated and billed; deallocate ends compute billing. */
  readonly vmActions = AZURE_VM_ACTIONS;

  private readonly clientSourceFactory: AzureClientSourceFactory;
  /**
   * The client sources of lifecycle calls, per provider settings and secret: the hundreds of calls
   * of a bulk action share one credential (one token) and one throttling policy per subscription.
   */
  private readonly lifecycleSources = new Map<string, { source: ReturnType<AzureClientSourceFactory>; usedAt: number }>();

  constructor(@Optional() @Inject(AZURE_CLIENT_SOURCE_FACTORY) clientSourceFactory?: AzureClientSourceFactory) {
    this.clientSourceFactory = clientSourceFactory ?? ((config, secret) => new AzureClientFactory(config, secret));
  }

  validateConfig(config: unknown, credentials: unknown): string[] {
    return validateAzureConfig(config, credentials);
  }

  async validate(config: AzureProviderConfig, credentials: AzureCredentials, logger: ProviderLogger): Promise<void> {
    const collector = this.collector(config, credentials, { logger });
    await collector.validateAccess();
    logger.log(`azure: access to ${config.subscriptionIds.length} subscription(s) proven`);
  }

  /**
   * A full refresh page by page: per subscription (several at once, up to subscriptionConcurrency)
   * resource groups, then VM pages, then NIC and disk pages; a failed subscription is a part error.
   * A targeted refresh is one chunk, of single GETs or of lists kept to the targets (whichever
   * costs fewer requests), parsed by the same stream parser.
   */
  async *collectInventory(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, scope: InventoryScope): AsyncGenerator<InventoryChunk> {
    const collector = this.collector(ctx.config, ctx.credentials, { logger: ctx.logger, signal: ctx.signal, progress: ctx.progress });
    if (scope.kind === 'full') {
      yield* collector.streamFull();
      return;
    }
    if (scope.nativeIds.length === 0) return;
    yield await collector.collectTargeted(scope.nativeIds);
  }

  /**
   * The Activity Log's Compute records of every subscription since the checkpoint (minus an
   * overlap), normalized; the checkpoint is JSON `{ v: 1, subscriptions: { <id>: <ISO> } }`.
   */
  async collectEvents(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, since: string | null): Promise<EventBatch> {
    const resolved = this.resolve(ctx.config, ctx.credentials);
    const catcher = new AzureEventCatcher(this.clientSourceFactory(resolved, ctx.credentials.clientSecret), {
      subscriptionIds: resolved.subscriptionIds,
      subscriptionConcurrency: resolved.subscriptionConcurrency,
      overlapMinutes: resolved.eventsOverlapMinutes,
      initialLookbackMinutes: resolved.eventsInitialLookbackMinutes,
      secrets: [ctx.credentials.clientSecret],
      logger: ctx.logger,
      signal: ctx.signal,
    });
    return catcher.collect(since);
  }

  /** PT1M samples of the targets over the window, through metrics:getBatch (50 VMs of one subscription and region per call). */
  async collectMetrics(
    ctx: ProviderContext<AzureProviderConfig, AzureCredentials>,
    targets: MetricTarget[],
    window: MetricWindow,
  ): Promise<MetricSample[]> {
    const resolved = this.resolve(ctx.config, ctx.credentials);
    const collector = new AzureMetricsCollector(this.clientSourceFactory(resolved, ctx.credentials.clientSecret), {
      concurrency: resolved.metricsConcurrency,
      secrets: [ctx.credentials.clientSecret],
      logger: ctx.logger,
      signal: ctx.signal,
    });
    return collector.collect(targets, window);
  }

  /**
   * POSTs start / powerOff / deallocate / restart once (nothing when the VM's live power state is
   * already the action's end state) and returns the SDK poller's serialized state as the
   * continuation: JSON `{ v: 1, client: 'compute', subscriptionId, resourceGroup, name, request, poller }`.
   */
  async act(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, vm: VmActionTarget, request: VmActionRequest): Promise<CloudRequestProgress> {
    return this.operator(ctx).act(vm, request);
  }

  /**
   * DELETEs a VM (its disks and NICs stay unless their deleteOption is Delete), a disk, a NIC or a
   * public IP; gone already = done. ARM refuses a NIC or disk still attached: the error says so.
   */
  async deleteResource(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, ref: ResourceRef): Promise<CloudRequestProgress> {
    return this.operator(ctx).deleteResource(ref);
  }

  /** Restores the poller of a continuation (no request is sent again) and polls at Azure's Retry-After pace until it settles. */
  async resourcesOwnedBy(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, vm: VmActionTarget): Promise<ResourceRef[]> {
    return this.operator(ctx).resourcesOwnedBy(vm);
  }

  async awaitSettled(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, continuation: string): Promise<void> {
    return this.operator(ctx).awaitSettled(continuation);
  }

  /** Public IP (when asked), NIC, then the VM: deterministic names, so a task asked again finds what it made. */
  provisionSteps(spec: ProvisionSpec): ProvisionStepPlan[] {
    return azureProvisionSteps(spec);
  }

  /** One PUT through the SDK's create poller; its state is the continuation `awaitSettled` polls. */
  async provisionStep(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, spec: ProvisionSpec, step: string): Promise<ProvisionStepProgress> {
    return new AzureVmBuilder(this.operator(ctx)).run(spec, step);
  }

  /**
   * Red Hat's marketplace images (offer RHEL: On-Demand; rhel-byos: Cloud Access, with its plan)
   * in each of config.locations, listed live; none when no location is configured.
   */
  async provisionSources(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>): Promise<ProvisionSource[]> {
    return this.provisioner(ctx).sources();
  }

  /** Azure's naming rules, the location's sizes, the subnet, the plan's terms, the regional vCPU quota: one message per problem. */
  async checkProvision(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, specs: ProvisionSpec[]): Promise<ProvisionCheck> {
    return this.provisioner(ctx).check(specs);
  }

  private provisioner(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>): AzureVmProvisioner {
    const resolved = this.resolve(ctx.config, ctx.credentials);
    return new AzureVmProvisioner(this.lifecycleSource(ctx.providerId, resolved, ctx.credentials.clientSecret), {
      subscriptionIds: resolved.subscriptionIds,
      locations: resolved.locations,
      resourceManagerUrl: resolved.resourceManagerUrl,
      secrets: [ctx.credentials.clientSecret],
      logger: ctx.logger,
      signal: ctx.signal,
    });
  }

  private operator(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>): AzureVmOperator {
    const resolved = this.resolve(ctx.config, ctx.credentials);
    return new AzureVmOperator(this.lifecycleSource(ctx.providerId, resolved, ctx.credentials.clientSecret), {
      subscriptionIds: resolved.subscriptionIds,
      secrets: [ctx.credentials.clientSecret],
      logger: ctx.logger,
      signal: ctx.signal,
    });
  }

  private lifecycleSource(providerId: string, resolved: ResolvedAzureConfig, clientSecret: string): ReturnType<AzureClientSourceFactory> {
    // Keyed by a digest, never the secret itself: a rotated secret or changed settings get a new source.
    const key = createHash('sha256').update(JSON.stringify([providerId, resolved, clientSecret])).digest('hex');
    const now = Date.now();
    for (const [stale, entry] of this.lifecycleSources) if (now - entry.usedAt > LIFECYCLE_SOURCE_IDLE_MS) this.lifecycleSources.delete(stale);
    let entry = this.lifecycleSources.get(key);
    if (!entry) {
      if (this.lifecycleSources.size >= LIFECYCLE_SOURCE_MAX) this.lifecycleSources.delete(this.lifecycleSources.keys().next().value!);
      entry = { source: this.clientSourceFactory(resolved, clientSecret), usedAt: now };
      this.lifecycleSources.set(key, entry);
    }
    entry.usedAt = now;
    return entry.source;
  }

  private resolve(config: AzureProviderConfig, credentials: AzureCredentials): ResolvedAzureConfig {
    const problems = validateAzureConfig(config, credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Azure provider settings: ${problems.join('; ')}`);
    return resolveAzureConfig(config);
  }

  private collector(
    config: AzureProviderConfig,
    credentials: AzureCredentials,
    context: { logger: ProviderLogger; signal?: AbortSignal; progress?: (counts: Record<string, number>) => void },
  ): AzureCollector {
    // A stored config is re-checked: it may predate a stricter schema.
    const problems = validateAzureConfig(config, credentials);
    if (problems.length > 0) throw new ProviderError(ProviderErrorCode.InvalidConfig, `invalid Azure provider settings: ${problems.join('; ')}`);
    const resolved = resolveAzureConfig(config);
    return new AzureCollector(this.clientSourceFactory(resolved, credentials.clientSecret), {
      subscriptionIds: resolved.subscriptionIds,
      subscriptionConcurrency: resolved.subscriptionConcurrency,
      targetedListThreshold: resolved.targetedListThreshold,
      secrets: [credentials.clientSecret],
      logger: context.logger,
      signal: context.signal,
      progress: context.progress,
    });
  }
}
