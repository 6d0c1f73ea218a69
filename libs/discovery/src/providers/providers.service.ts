import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BadInputError,
  ConflictError,
  NotFoundError,
  ProviderError,
  ProviderRegistry,
  SECRET_BOX,
  SecretBox,
  redactSecrets,
  redactingLogger,
  type ProviderContext,
  type ProviderPlugin,
} from '@hybridforms/core';
import { MetricRepository, ProviderEntity, ProviderRepository } from '@hybridforms/persistence';

export interface CreateProviderInput {
  name: string;
  type: string;
  config: Record<string, unknown>;
  credentials: Record<string, unknown>;
  refreshIntervalSeconds?: number | null;
}

export type UpdateProviderInput = Partial<Omit<CreateProviderInput, 'type'>>;

/** A provider with its credentials opened, for the work that needs them. Never serialize it. */
export interface ProviderWithSecrets {
  provider: ProviderEntity;
  plugin: ProviderPlugin;
  credentials: Record<string, unknown>;
}

/**
 * Provider records: created only after the plugin has proven the connection; credentials sealed
 * before they reach the database and never handed back.
 */
@Injectable()
export class ProvidersService {
  private readonly logger = new Logger(ProvidersService.name);

  constructor(
    private readonly providers: ProviderRepository,
    private readonly registry: ProviderRegistry,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly metrics: MetricRepository,
  ) {}

  list(): Promise<ProviderEntity[]> {
    return this.providers.list();
  }

  async get(id: string): Promise<ProviderEntity> {
    const provider = await this.providers.findById(id);
    if (!provider) throw new NotFoundError(`provider ${id} not found`);
    return provider;
  }

  async findByName(name: string): Promise<ProviderEntity | null> {
    return this.providers.findByName(name);
  }

  async create(input: CreateProviderInput): Promise<ProviderEntity> {
    const plugin = this.registry.find(input.type);
    if (!plugin) throw new BadInputError(`type: unknown provider type "${input.type}" (known: ${this.registry.types().join(', ')})`);
    this.checkShape(plugin, input.config, input.credentials);
    if (await this.providers.existsByName(input.name)) throw new ConflictError(`a provider named "${input.name}" already exists`);
    await this.prove(plugin, input.config, input.credentials);
    const now = new Date();
    const provider: ProviderEntity = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      config: input.config,
      credentialsCiphertext: this.secrets.seal(input.credentials),
      refreshIntervalSeconds: input.refreshIntervalSeconds ?? null,
      lastFullRefreshAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.providers.save(provider);
    this.logger.log(`provider ${provider.name} (${provider.type}) created as ${provider.id}`);
    return provider;
  }

  /** Changing the config or credentials re-proves the connection before anything is stored. */
  async update(id: string, input: UpdateProviderInput): Promise<ProviderEntity> {
    const provider = await this.get(id);
    const plugin = this.registry.get(provider.type);
    const config = input.config ?? provider.config;
    const credentials = input.credentials ?? this.openCredentials(provider);
    if (input.config || input.credentials) {
      this.checkShape(plugin, config, credentials);
      await this.prove(plugin, config, credentials);
    }
    if (input.name && input.name !== provider.name && (await this.providers.existsByName(input.name))) {
      throw new ConflictError(`a provider named "${input.name}" already exists`);
    }
    provider.name = input.name ?? provider.name;
    provider.config = config;
    if (input.credentials) provider.credentialsCiphertext = this.secrets.seal(input.credentials);
    if (input.refreshIntervalSeconds !== undefined) provider.refreshIntervalSeconds = input.refreshIntervalSeconds;
    provider.updatedAt = new Date();
    await this.providers.save(provider);
    return provider;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.providers.delete(id, (manager) => this.metrics.deleteForProvider(manager, id));
    this.logger.log(`provider ${id} deleted`);
  }

  async withSecrets(id: string): Promise<ProviderWithSecrets> {
    const provider = await this.get(id);
    return { provider, plugin: this.registry.get(provider.type), credentials: this.openCredentials(provider) };
  }

  /** A plugin's context for one piece of work on the provider: its secrets open, a logger that redacts them. */
  async openContext(id: string, signal?: AbortSignal): Promise<ProviderWithSecrets & { ctx: ProviderContext }> {
    const opened = await this.withSecrets(id);
    const ctx: ProviderContext = {
      providerId: opened.provider.id,
      config: opened.provider.config,
      credentials: opened.credentials,
      logger: redactingLogger(new Logger(`provider:${opened.provider.name}`), [opened.credentials]),
      ...(signal ? { signal } : {}),
    };
    return { ...opened, ctx };
  }

  private openCredentials(provider: ProviderEntity): Record<string, unknown> {
    return this.secrets.open<Record<string, unknown>>(provider.credentialsCiphertext);
  }

  private checkShape(plugin: ProviderPlugin, config: unknown, credentials: unknown): void {
    const problems = plugin.validateConfig(config, credentials);
    if (problems.length > 0) throw new BadInputError(problems.join('; '), problems);
  }

  private async prove(plugin: ProviderPlugin, config: Record<string, unknown>, credentials: Record<string, unknown>): Promise<void> {
    try {
      await plugin.validate(config, credentials, redactingLogger(this.logger, [credentials]));
    } catch (error) {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), [credentials]);
      if (ProviderError.is(error)) throw new BadInputError(`provider validation failed (${error.code}): ${message}`);
      throw new BadInputError(`provider validation failed: ${message}`);
    }
  }
}
