import { Logger } from '@nestjs/common';
import { ProviderError, ProviderErrorCode, type ProviderPlugin } from '@hybridforms/core';
import type { ProviderEntity } from '@hybridforms/persistence';
import { ProviderTasks } from './provider-tasks.js';
import type { ProvidersService } from './providers.service.js';

const SECRET = 's3cr3t-value-of-the-tenant';

function tasksWith(plugin: Partial<ProviderPlugin>): ProviderTasks {
  const providers = {
    withSecrets: async () => ({ provider: { id: 'p1', name: 'prod', config: {} } as unknown as ProviderEntity, plugin: plugin as ProviderPlugin, credentials: { clientSecret: SECRET } }),
  } as unknown as ProvidersService;
  const quiet = new Logger('test');
  quiet.warn = () => undefined;
  return new ProviderTasks(providers, 'event poll', quiet);
}

describe('ProviderTasks', () => {
  it('runs one task per provider at a time and says busy to the second', async () => {
    const tasks = tasksWith({ type: 'x' });
    let release!: () => void;
    const first = tasks.run('p1', () => true, () => new Promise<string>((resolve) => (release = () => resolve('done'))), async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await tasks.run('p1', () => true, async () => 'second', async () => undefined)).toEqual({ status: 'busy' });
    release();
    expect(await first).toBe('done');
    expect(await tasks.run('p1', () => true, async () => 'third', async () => undefined)).toBe('third');
  });

  it('skips a plugin without the capability', async () => {
    expect(await tasksWith({ type: 'x' }).run('p1', (plugin) => typeof plugin.collectEvents === 'function', async () => 'ran', async () => undefined)).toEqual({
      status: 'unsupported',
    });
  });

  it('records a failure with its code and the credentials redacted, and hands the plugin a context with them', async () => {
    const recorded: string[] = [];
    const outcome = await tasksWith({ type: 'x' }).run(
      'p1',
      () => true,
      async ({ ctx }) => {
        expect(ctx.credentials).toEqual({ clientSecret: SECRET });
        expect(ctx.signal?.aborted).toBe(false);
        throw new ProviderError(ProviderErrorCode.Throttled, `429 for client secret ${SECRET}`, true);
      },
      async (message) => void recorded.push(message),
    );
    expect(outcome).toMatchObject({ status: 'failed', code: 'throttled' });
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatch(/^throttled: 429 for client secret/);
    expect(recorded[0]).not.toContain(SECRET);
  });
});
