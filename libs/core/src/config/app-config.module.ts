import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, SECRET_BOX, type AppConfig, type SecretBox } from '@hybridforms/core';

/** Makes the boot-time configuration and the credentials key injectable everywhere. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, secretBox: SecretBox): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SECRET_BOX, useValue: secretBox },
      ],
      exports: [APP_CONFIG, SECRET_BOX],
    };
  }
}
