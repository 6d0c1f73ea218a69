import { Module } from '@nestjs/common';
import { HyperVProviderPlugin } from './hyperv-provider.plugin.js';

/** Registers the Hyper-V plugin; the provider registry discovers it. */
@Module({ providers: [HyperVProviderPlugin], exports: [HyperVProviderPlugin] })
export class HyperVProviderModule {}
