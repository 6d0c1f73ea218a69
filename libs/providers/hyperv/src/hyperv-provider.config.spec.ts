import { resolveHyperVConfig, validateHyperVConfig } from './hyperv-provider.config.js';

describe('eventsInitialLookbackMinutes', () => {
  const base = { username: 'svc', hosts: [{ host: 'hv01', skipHostKeyCheck: true }] };
  const credentials = { password: 'x' };

  it('defaults to 60 minutes', () => {
    expect(resolveHyperVConfig(base).eventsInitialLookbackMinutes).toBe(60);
    expect(resolveHyperVConfig({ ...base, eventsInitialLookbackMinutes: 15 }).eventsInitialLookbackMinutes).toBe(15);
  });

  it('accepts 1 to 10080 whole minutes', () => {
    expect(validateHyperVConfig({ ...base, eventsInitialLookbackMinutes: 1 }, credentials)).toEqual([]);
    expect(validateHyperVConfig({ ...base, eventsInitialLookbackMinutes: 10080 }, credentials)).toEqual([]);
    for (const bad of [0, 10081, 1.5, '60']) {
      expect(validateHyperVConfig({ ...base, eventsInitialLookbackMinutes: bad }, credentials)).toEqual([
        'config.eventsInitialLookbackMinutes: must be an integer from 1 to 10080',
      ]);
    }
  });
});

describe('guestWaitSeconds', () => {
  const base = { username: 'svc', hosts: [{ host: 'hv01', skipHostKeyCheck: true }] };

  it('defaults to 10 minutes and takes 5 to 3600 whole seconds', () => {
    expect(resolveHyperVConfig(base).guestWaitMs).toBe(600_000);
    expect(resolveHyperVConfig({ ...base, guestWaitSeconds: 30 }).guestWaitMs).toBe(30_000);
    expect(validateHyperVConfig({ ...base, guestWaitSeconds: 5 }, { password: 'x' })).toEqual([]);
    expect(validateHyperVConfig({ ...base, guestWaitSeconds: 4 }, { password: 'x' })).toEqual(['config.guestWaitSeconds: must be an integer from 5 to 3600']);
  });
});
