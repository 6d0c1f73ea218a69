import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ProviderPlugin } from './provider-plugin.js';
import { PROVIDER_PLUGIN_METADATA } from './provider-plugin.decorator.js';

/** The plugins of this process, keyed by provider type. */
@Injectable()
export class ProviderRegistry implements OnModuleInit {
  private readonly logger = new Logger(ProviderRegistry.name);
  private readonly plugins = new Map<string, ProviderPlugin>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || !Reflect.getMetadata(PROVIDER_PLUGIN_METADATA, metatype)) continue;
      this.register(instance as ProviderPlugin);
    }
    this.logger.log(`provider plugins: ${[...this.plugins.keys()].join(', ') || 'none'}`);
  }

  register(plugin: ProviderPlugin): void {
    const existing = this.plugins.get(plugin.type);
    if (existing && existing !== plugin) throw new Error(`two provider plugins claim type "${plugin.type}"`);
    this.plugins.set(plugin.type, plugin);
  }

  types(): string[] {
    return [...this.plugins.keys()].sort();
  }

  find(type: string): ProviderPlugin | undefined {
    return this.plugins.get(type);
  }

  get(type: string): ProviderPlugin {
    const plugin = this.plugins.get(type);
    if (!plugin) throw new Error(`no provider plugin for type "${type}"`);
    return plugin;
  }
}
