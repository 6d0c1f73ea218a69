import { Injectable, Logger } from '@nestjs/common';
import { licenseModelFor, ProviderError, type OsFamily, redactSecrets, type ProviderContext, type ProviderPlugin, type ProvisionSource } from '@hybridforms/core';
import { ProvidersService } from '@hybridforms/discovery';
import { InventoryQueryRepository, type ImageEntity, type ProviderEntity } from '@hybridforms/persistence';

export interface ProvisionSourceFilter {
  providerId?: string;
  osFamily?: string;
  /** A version or its prefix: `9` matches 9.4. */
  osVersion?: string;
  licenseModel?: string;
}

/** A provider with its secrets and plugin context open. */
export type OpenedProvider = Awaited<ReturnType<ProvidersService['openContext']>>;

/** A source with the provider it belongs to. */
export interface ListedSource extends ProvisionSource {
  providerId: string;
  providerName: string;
  providerType: string;
}

/** The sources of the providers asked, and the providers that could not say (their error, secrets out). */
export interface SourceListing {
  items: ListedSource[];
  errors: Array<{ providerId: string; providerName: string; error: string }>;
}

/**
 * What VMs can be made from: each provider's own list, read live (marketplace images, template
 * VHDs and VMs), and the custom images the inventory discovered on Azure.
 */
@Injectable()
export class ProvisionSources {
  private readonly logger = new Logger(ProvisionSources.name);

  constructor(
    private readonly providers: ProvidersService,
    private readonly inventory: InventoryQueryRepository,
  ) {}

  async list(filter: ProvisionSourceFilter): Promise<SourceListing> {
    const providers = filter.providerId ? [await this.providers.get(filter.providerId)] : await this.providers.list();
    const listing: SourceListing = { items: [], errors: [] };
    const failed = (provider: ProviderEntity, error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      listing.errors.push({ providerId: provider.id, providerName: provider.name, error: message });
      this.logger.warn(`live sources of provider ${provider.name} not listed: ${message}`);
    };
    await Promise.all(
      providers.map(async (provider) => {
        try {
          const { items, liveError } = await this.ofOpened(await this.providers.openContext(provider.id, AbortSignal.timeout(60_000)));
          listing.items.push(...items.filter((source) => matches(source, filter)));
          if (liveError) failed(provider, liveError);
        } catch (error) {
          failed(provider, error);
        }
      }),
    );
    listing.items.sort((a, b) => a.providerName.localeCompare(b.providerName) || a.kind.localeCompare(b.kind) || a.ref.localeCompare(b.ref));
    return listing;
  }

  /**
   * One source of a provider already opened (ProvidersService.openContext) by its ref, or null when
   * it is not (or no longer) offered. A custom image of the inventory is found even while the
   * cloud's live listing fails; a live source then is not, and that failure is thrown.
   */
  async find(opened: OpenedProvider, ref: string): Promise<ListedSource | null> {
    const { items, liveError } = await this.ofOpened(opened);
    const found = items.find((source) => source.ref === ref) ?? null;
    if (!found && liveError) throw liveError;
    return found;
  }

  /** The provider's live sources and its inventory's custom images; a failed live listing does not hide the latter. */
  private async ofOpened({ provider, plugin, credentials, ctx }: OpenedProvider): Promise<{ items: ListedSource[]; liveError: Error | null }> {
    let own: ProvisionSource[] = [];
    let liveError: Error | null = null;
    if (plugin.provisionSources) {
      try {
        own = await live(plugin, ctx, credentials);
      } catch (error) {
        liveError = error as Error;
      }
    }
    const custom = provider.type === 'azure' ? (await this.inventory.customImagesOf(provider.id)).map(customImageSource) : [];
    const items = [...own, ...custom].map((source) => ({ ...source, providerId: provider.id, providerName: provider.name, providerType: provider.type }));
    return { items, liveError };
  }
}

/** The plugin's live list; its failure in words without secrets. */
async function live(plugin: ProviderPlugin, ctx: ProviderContext, credentials: Record<string, unknown>): Promise<ProvisionSource[]> {
  try {
    return await plugin.provisionSources!(ctx);
  } catch (error) {
    const message = redactSecrets(error instanceof Error ? error.message : String(error), [credentials]);
    // Still a provider's failure (a 502 to a request that waited on it), now without secrets.
    throw ProviderError.is(error) ? new ProviderError(error.code, message, error.retryable) : new Error(message);
  }
}

/**
 * A custom image of the inventory as a source. Its classification is the image's own when the
 * inventory has one, else what most live VMs made from it report (their guest agents): that is
 * what a new VM from it will report too.
 */
function customImageSource({ image, guests }: { image: ImageEntity; guests: { osFamily: OsFamily; osVersion: string | null; vms: number } | null }): ProvisionSource {
  const own = image.osFamily !== 'unknown';
  const osFamily = own ? image.osFamily : (guests?.osFamily ?? 'unknown');
  const osVersion = own ? image.osVersion : (guests?.osVersion ?? null);
  return {
    ref: image.nativeId,
    kind: 'custom-image',
    name: image.name,
    osFamily,
    osVersion,
    // An uploaded RHEL image carries no RHEL fee: the customer's own subscription (Cloud Access), unless Hybrid Benefit says otherwise per VM.
    licenseModel: licenseModelFor(osFamily, 'byos'),
    location: null,
    hostNativeId: null,
    generation: null,
    plan: null,
    details: { imageId: image.nativeId, osFrom: own ? 'image' : guests ? `the ${guests.vms} VM(s) made from it` : null },
  };
}

function matches(source: ProvisionSource, filter: ProvisionSourceFilter): boolean {
  if (filter.osFamily && source.osFamily !== filter.osFamily) return false;
  if (filter.licenseModel && source.licenseModel !== filter.licenseModel) return false;
  if (filter.osVersion) {
    const version = source.osVersion ?? '';
    if (version !== filter.osVersion && !version.startsWith(`${filter.osVersion}.`)) return false;
  }
  return true;
}
