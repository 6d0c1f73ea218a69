import { SetMetadata } from '@nestjs/common';

export const PROVIDER_PLUGIN_METADATA = 'hybridforms:provider-plugin';

/**
 * Marks a NestJS provider as a {@link ProviderPlugin}. The registry discovers every class with
 * this decorator at start-up: adding a provider type is one library and one module import.
 */
export const ProviderPluginImpl = (): ClassDecorator => SetMetadata(PROVIDER_PLUGIN_METADATA, true);
