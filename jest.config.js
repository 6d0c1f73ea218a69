// Jest runs our ESM TypeScript through ts-jest (NestJS 12 ships ES modules only), so every
// script starts node with --experimental-vm-modules. Tiers are projects named by file suffix.
const base = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^@hybridforms/providers/(azure|hyperv)$': '<rootDir>/libs/providers/$1/src/index.ts',
    '^@hybridforms/persistence/testing$': '<rootDir>/libs/persistence/src/testing/index.ts',
    '^@hybridforms/(access|core|persistence|discovery|telemetry|automation|jobs|observability|operations|provisioning|fleet|runtime|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  rootDir: '.',
};
export default {
  // Integration and end-to-end suites start servers and databases; the benchmark sets its own.
  testTimeout: 60_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.integration-spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // Fault injection: simulator faults, a dropped database, killed processes; each checks the same invariants.
    { ...base, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
    { ...base, displayName: 'bench', testMatch: ['<rootDir>/test/bench/**/*.bench.ts'] },
  ],
};
