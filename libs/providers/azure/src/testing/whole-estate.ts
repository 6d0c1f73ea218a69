import type { InventoryGraph, ProviderContext } from '@hybridforms/core';
import { AzureClientFactory, type AzureClientSource } from '../azure-client.factory.js';
import { parseAzureInventory } from '../azure-inventory.parser.js';
import { resolveAzureConfig, type AzureCredentials, type AzureProviderConfig } from '../azure-provider.config.js';
import { AzureCollector } from '../azure.collector.js';

/**
 * Tests only: the collector's whole-estate read (every list of every subscription read whole, a
 * failed subscription left out entirely), parsed at once: the reference a full stream is held to.
 */
export async function wholeEstate(ctx: ProviderContext<AzureProviderConfig, AzureCredentials>, clients?: AzureClientSource): Promise<InventoryGraph> {
  const resolved = resolveAzureConfig(ctx.config);
  const collector = new AzureCollector(clients ?? new AzureClientFactory(resolved, ctx.credentials.clientSecret), {
    subscriptionIds: resolved.subscriptionIds,
    subscriptionConcurrency: resolved.subscriptionConcurrency,
    secrets: [ctx.credentials.clientSecret],
    logger: ctx.logger,
    progress: ctx.progress,
  });
  const collected = await collector.collectFull();
  return { ...parseAzureInventory(collected.inventories), partErrors: collected.partErrors };
}
