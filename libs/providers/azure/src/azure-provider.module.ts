import { Module } from '@nestjs/common';
import { AzureProviderPlugin } from './azure-provider.plugin.js';

/** Registers the Azure provider plugin; the core registry discovers it by its decorator. */
@Module({
  providers: [AzureProviderPlugin],
  exports: [AzureProviderPlugin],
})
export class AzureProviderModule {}
