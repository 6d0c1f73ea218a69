import type { FleetVmFacts, GuestProbeResult } from './fleet-facts.js';
import { reconcile, sortFindings } from './reconcile.rules.js';

const NOW = new Date('2026-12-08T04:00:00Z');
const hoursAgo = (hours: number): Date => new Date(NOW.getTime() - hours * 3_600_000);

const PAYG_IMAGE = { kind: 'marketplace', publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2' } as const;
const BYOS_IMAGE = { kind: 'marketplace', publisher: 'RedHat', offer: 'rhel-byos', sku: 'rhel-lvm97-gen2' } as const;
const NO_RHUI = { repoFiles: [], packages: [] };

function azureVm(overrides: Partial<FleetVmFacts> = {}): FleetVmFacts {
  return {
    id: 'vm-1',
    name: 'rhel-web-01',
    providerType: 'azure',
    osFamily: 'rhel',
    osVersion: '9.7',
    osSource: 'guest-agent',
    licenseModel: 'payg',
    licenseType: null,
    image: PAYG_IMAGE,
    guestAgentVersion: '2.15.1.3',
    powerState: 'running',
    archivedAt: null,
    ...overrides,
  };
}

function hypervVm(overrides: Partial<FleetVmFacts> = {}): FleetVmFacts {
  return azureVm({ providerType: 'hyperv', osSource: 'kvp', licenseModel: 'byos', image: null, guestAgentVersion: '3.1', ...overrides });
}

function probe(overrides: Partial<GuestProbeResult> = {}): GuestProbeResult {
  return {
    status: 'ok',
    probedAt: hoursAgo(2),
    osRelease: { id: 'rhel', versionId: '9.7', name: 'Red Hat Enterprise Linux' },
    redhatRelease: 'Red Hat Enterprise Linux release 9.7 (Plow)',
    kernel: '5.14.0-611.5.1.el9_7.x86_64',
    rhsm: { registered: false, orgId: null, sca: null, purpose: null },
    rhui: { repoFiles: ['rh-cloud-rhel9.repo'], packages: ['rhui-azure-rhel9'] },
    agent: { waagentVersion: '2.15.1.3', hypervDaemons: { kvp: true, vss: true } },
    insights: { registered: null },
    ...overrides,
  };
}

const registered = (orgId: string | null = '1234567') => ({ registered: true, orgId, sca: true, purpose: null });

describe('reconcile: what is reconciled', () => {
  it('finds nothing on a healthy PAYG VM on Azure and a healthy registered VM on Hyper-V', () => {
    expect(reconcile(azureVm(), probe(), NOW)).toEqual([]);
    expect(reconcile(hypervVm(), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
  });

  it('reconciles only RHEL, and no archived VM', () => {
    const broken = probe({ rhsm: registered() });
    expect(reconcile(azureVm({ osFamily: 'windows', osVersion: null }), broken, NOW)).toEqual([]);
    expect(reconcile(azureVm({ osFamily: 'linux-other' }), null, NOW)).toEqual([]);
    expect(reconcile(azureVm({ osFamily: 'unknown', guestAgentVersion: null }), null, NOW)).toEqual([]);
    expect(reconcile(azureVm({ archivedAt: hoursAgo(24), osVersion: '7.9', guestAgentVersion: null }), broken, NOW)).toEqual([]);
  });
});

describe('reconcile: double_billing', () => {
  it('flags a PAYG marketplace VM that is also registered to RHSM, naming the image and the org', () => {
    expect(reconcile(azureVm(), probe({ rhsm: registered() }), NOW)).toEqual([
      { code: 'double_billing', severity: 'critical', reason: 'PAYG image (RedHat:RHEL:9-lvm-gen2) billed by Azure and registered to RHSM org 1234567' },
    ]);
  });

  it('flags a VM made PAYG by its licenseType, even with an unknown org', () => {
    const vm = azureVm({ image: { kind: 'custom', publisher: null, offer: null, sku: null }, licenseType: 'RHEL_BASE' });
    expect(reconcile(vm, probe({ rhsm: registered(null) }), NOW)).toEqual([
      { code: 'double_billing', severity: 'critical', reason: 'PAYG by licenseType RHEL_BASE billed by Azure and registered to RHSM (org unknown)' },
    ]);
  });

  it('does not flag a PAYG VM that is not registered, nor one Hybrid Benefit moved to BYOS billing, nor any Hyper-V VM', () => {
    expect(reconcile(azureVm(), probe(), NOW).map((f) => f.code)).not.toContain('double_billing');
    const ahb = azureVm({ licenseModel: 'byos', licenseType: 'RHEL_BYOS' });
    expect(reconcile(ahb, probe({ rhsm: registered(), rhui: NO_RHUI }), NOW).map((f) => f.code)).toEqual(['license_mismatch']);
    // licenseModel payg with a stale RHEL_BYOS: the licenseType is what Azure bills by.
    expect(reconcile(azureVm({ licenseType: 'rhel_byos' }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW).map((f) => f.code)).toEqual(['license_mismatch']);
    expect(reconcile(hypervVm({ licenseModel: 'payg' }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
  });

  it('does not flag without a probe that read the guest', () => {
    expect(reconcile(azureVm(), null, NOW).map((f) => f.code)).toEqual(['probe_stale']);
    expect(reconcile(azureVm(), probe({ status: 'timeout', rhsm: registered() }), NOW).map((f) => f.code)).toEqual(['probe_stale']);
  });

  it('still uses the subscription facts of an ok probe that is stale, and says it is stale', () => {
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(100), rhsm: registered() }), NOW).map((f) => f.code)).toEqual(['double_billing', 'probe_stale']);
  });
});

describe('reconcile: uncovered', () => {
  it('flags a Cloud Access VM on Azure that is not registered and has no RHUI', () => {
    expect(reconcile(azureVm({ licenseModel: 'byos', image: BYOS_IMAGE }), probe({ rhui: NO_RHUI }), NOW)).toEqual([
      {
        code: 'uncovered',
        severity: 'critical',
        reason: 'BYOS (Cloud Access) image RedHat:rhel-byos:rhel-lvm97-gen2 on Azure, not registered to RHSM and no RHUI repository or package: no subscription covers it',
      },
    ]);
  });

  it('says when subscription-manager is missing', () => {
    const [finding] = reconcile(azureVm({ licenseModel: 'byos', image: null }), probe({ rhsm: null, rhui: null }), NOW);
    expect(finding).toEqual({
      code: 'uncovered',
      severity: 'critical',
      reason: 'BYOS (Cloud Access) on Azure, subscription-manager is not installed and no RHUI repository or package: no subscription covers it',
    });
  });

  it('flags an unregistered Hyper-V VM', () => {
    expect(reconcile(hypervVm(), probe({ rhui: NO_RHUI }), NOW)).toEqual([
      { code: 'uncovered', severity: 'critical', reason: 'On-premises on Hyper-V, not registered to RHSM and no RHUI repository or package: no subscription covers it' },
    ]);
  });

  it('does not flag a registered BYOS VM, a PAYG VM, nor without a probe that read the guest', () => {
    expect(reconcile(azureVm({ licenseModel: 'byos', image: BYOS_IMAGE }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
    expect(reconcile(azureVm(), probe({ rhui: NO_RHUI }), NOW)).toEqual([]);
    expect(reconcile(azureVm({ licenseModel: 'unknown', image: null }), probe({ rhui: NO_RHUI }), NOW)).toEqual([]);
    expect(reconcile(hypervVm(), probe({ status: 'auth_failed', rhui: NO_RHUI }), NOW).map((f) => f.code)).toEqual(['probe_stale']);
  });

  it('counts RHUI by a repo file or a package alone (then it is a mismatch, not uncovered)', () => {
    const byRepo = reconcile(azureVm({ licenseModel: 'byos', image: BYOS_IMAGE }), probe({ rhui: { repoFiles: ['rh-cloud-rhel9.repo'], packages: [] } }), NOW);
    expect(byRepo).toEqual([
      { code: 'license_mismatch', severity: 'warning', reason: 'BYOS VM gets content from RHUI (rh-cloud-rhel9.repo), which is for PAYG images' },
    ]);
    const byPackage = reconcile(hypervVm(), probe({ rhui: { repoFiles: [], packages: ['rhui-azure-rhel9'] } }), NOW);
    expect(byPackage.map((f) => f.code)).toEqual(['license_mismatch']);
  });
});

describe('reconcile: license_mismatch', () => {
  it('names a Hybrid Benefit conversion of a PAYG image to BYOS billing', () => {
    const vm = azureVm({ licenseModel: 'byos', licenseType: 'RHEL_BYOS' });
    expect(reconcile(vm, probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([
      {
        code: 'license_mismatch',
        severity: 'warning',
        reason: 'PAYG image (RedHat:RHEL:9-lvm-gen2) with licenseType RHEL_BYOS: converted to BYOS billing by Azure Hybrid Benefit, it needs its own Red Hat subscription',
      },
    ]);
  });

  it('names a BYOS image switched to PAYG billing, sorted after the critical double billing it causes', () => {
    const vm = azureVm({ image: BYOS_IMAGE, licenseType: 'RHEL_BASE' });
    expect(reconcile(vm, probe({ rhsm: registered() }), NOW)).toEqual([
      { code: 'double_billing', severity: 'critical', reason: 'PAYG by licenseType RHEL_BASE billed by Azure and registered to RHSM org 1234567' },
      { code: 'license_mismatch', severity: 'warning', reason: 'BYOS image (RedHat:rhel-byos:rhel-lvm97-gen2) with licenseType RHEL_BASE: switched to PAYG billing by Azure Hybrid Benefit' },
    ]);
  });

  it('joins both kinds in one line when a converted VM still uses RHUI', () => {
    const vm = azureVm({ licenseModel: 'byos', licenseType: 'RHEL_BYOS' });
    const findings = reconcile(vm, probe({ rhsm: registered() }), NOW);
    expect(findings).toHaveLength(1);
    expect(findings[0].reason).toBe(
      'PAYG image (RedHat:RHEL:9-lvm-gen2) with licenseType RHEL_BYOS: converted to BYOS billing by Azure Hybrid Benefit, it needs its own Red Hat subscription; ' +
        'BYOS VM gets content from RHUI (rh-cloud-rhel9.repo, rhui-azure-rhel9), which is for PAYG images',
    );
  });

  it('does not flag an image and licenseType that agree, a custom image, or a PAYG VM using RHUI', () => {
    expect(reconcile(azureVm({ licenseType: 'RHEL_BASE' }), probe(), NOW)).toEqual([]);
    expect(reconcile(azureVm({ licenseModel: 'byos', image: BYOS_IMAGE, licenseType: 'RHEL_BYOS' }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
    expect(reconcile(azureVm({ licenseModel: 'byos', image: { kind: 'custom', publisher: null, offer: null, sku: null } }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
  });
});

describe('reconcile: end_of_life and extended_support_only', () => {
  it('flags 7.9 under ELS only, from the fresh probe', () => {
    const vm = azureVm({ osVersion: '7', osSource: 'image', image: { kind: 'marketplace', publisher: 'RedHat', offer: 'RHEL', sku: '7-LVM' } });
    const p = probe({ osRelease: { id: 'rhel', versionId: '7.9', name: 'Red Hat Enterprise Linux Server' } });
    expect(reconcile(vm, p, NOW)).toEqual([
      {
        code: 'extended_support_only',
        severity: 'warning',
        reason: 'RHEL 7.9 ended maintenance on 2024-06-30; only Extended Life-cycle Support (an add-on) covers it, until 2028-06-30 (version from the guest probe)',
      },
    ]);
  });

  it('flags a minor past its EUS as end of life, preferring the fresh probe over the inventory', () => {
    expect(reconcile(azureVm({ osVersion: '9.7' }), probe({ osRelease: { id: 'rhel', versionId: '9.4', name: null } }), NOW)).toEqual([
      {
        code: 'end_of_life',
        severity: 'critical',
        reason: 'RHEL 9.4 is past its end: its Extended Update Support ended on 2026-04-30; update to 9.7 (version from the guest probe)',
      },
    ]);
    expect(reconcile(azureVm({ osVersion: '9.4' }), probe(), NOW)).toEqual([]);
  });

  it('falls back to the inventory when the probe is stale, failed, or names another distribution', () => {
    const vm = azureVm({ osVersion: '9.4' });
    const reason = 'RHEL 9.4 is past its end: its Extended Update Support ended on 2026-04-30; update to 9.7 (version from the inventory, guest-agent)';
    expect(reconcile(vm, probe({ probedAt: hoursAgo(72) }), NOW)).toEqual([
      { code: 'end_of_life', severity: 'critical', reason },
      { code: 'probe_stale', severity: 'info', reason: 'Last probe (2026-12-05T04:00:00.000Z) is 72 h old, over the 48 h limit' },
    ]);
    expect(reconcile(vm, probe({ status: 'unreachable', osRelease: null }), NOW).map((f) => f.code)).toEqual(['end_of_life', 'probe_stale']);
    expect(reconcile(vm, probe({ osRelease: { id: 'centos', versionId: '9', name: 'CentOS Stream' } }), NOW)[0].reason).toBe(reason);
    expect(reconcile(hypervVm({ osVersion: '8.6', osSource: null }), null, NOW)[0].reason).toBe(
      'RHEL 8.6 is past its end: its Extended Update Support ended on 2024-05-31; update to 8.10 (version from the inventory)',
    );
  });

  it('does not flag supported versions, EUS, or a version it cannot judge', () => {
    for (const osVersion of ['9', '9.7', '8.10', '8', '10.1', null, 'garbage', '6.10']) {
      expect(reconcile(azureVm({ osVersion }), probe({ osRelease: null }), NOW)).toEqual([]);
    }
    expect(reconcile(azureVm({ osVersion: '9.4' }), probe({ osRelease: null }), new Date('2026-01-15T00:00:00Z'))).toEqual([]);
  });
});

describe('reconcile: no_guest_agent (Azure)', () => {
  it('flags a running VM without an agent version, saying whether the probe confirmed it', () => {
    expect(reconcile(azureVm({ guestAgentVersion: null }), null, NOW)).toEqual([
      { code: 'no_guest_agent', severity: 'warning', reason: 'Running on Azure and no guest agent version reported to Azure' },
      { code: 'probe_stale', severity: 'info', reason: 'Running and never probed' },
    ]);
    const p = probe({ agent: { waagentVersion: null, hypervDaemons: { kvp: false, vss: false } } });
    expect(reconcile(azureVm({ guestAgentVersion: '  ' }), p, NOW)).toEqual([
      { code: 'no_guest_agent', severity: 'warning', reason: 'Running on Azure, no guest agent version reported to Azure and the probe found no WALinuxAgent' },
    ]);
  });

  it('does not flag when the probe found WALinuxAgent, when the VM is not running, or on Hyper-V', () => {
    expect(reconcile(azureVm({ guestAgentVersion: null }), probe(), NOW)).toEqual([]);
    expect(reconcile(azureVm({ guestAgentVersion: null, powerState: 'deallocated' }), null, NOW)).toEqual([]);
    expect(reconcile(hypervVm({ guestAgentVersion: null }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW).map((f) => f.code)).toEqual(['no_integration_services']);
  });
});

describe('reconcile: no_integration_services (Hyper-V)', () => {
  const healthy = { rhsm: registered(), rhui: NO_RHUI };

  it('flags a running VM whose probe shows neither daemon, or whose KVP data is missing, or both', () => {
    const noDaemons = probe({ ...healthy, agent: { waagentVersion: null, hypervDaemons: { kvp: false, vss: false } } });
    expect(reconcile(hypervVm(), noDaemons, NOW)).toEqual([
      { code: 'no_integration_services', severity: 'warning', reason: 'Running on Hyper-V and the probe found neither hypervkvpd nor hypervvssd running' },
    ]);
    expect(reconcile(hypervVm({ guestAgentVersion: null }), probe(healthy), NOW)).toEqual([
      { code: 'no_integration_services', severity: 'warning', reason: 'Running on Hyper-V and the host has no KVP data from the guest' },
    ]);
    expect(reconcile(hypervVm({ guestAgentVersion: null }), noDaemons, NOW)[0].reason).toBe(
      'Running on Hyper-V and the probe found neither hypervkvpd nor hypervvssd running, and the host has no KVP data from the guest',
    );
  });

  it('does not flag one daemon running, a stopped VM, or an Azure VM', () => {
    expect(reconcile(hypervVm(), probe({ ...healthy, agent: { waagentVersion: null, hypervDaemons: { kvp: true, vss: false } } }), NOW)).toEqual([]);
    expect(reconcile(hypervVm(), probe({ ...healthy, agent: { waagentVersion: null, hypervDaemons: { kvp: false, vss: true } } }), NOW)).toEqual([]);
    expect(reconcile(hypervVm({ guestAgentVersion: null, powerState: 'suspended' }), null, NOW)).toEqual([]);
    expect(reconcile(azureVm(), probe({ agent: { waagentVersion: '2.15.1.3', hypervDaemons: { kvp: false, vss: false } } }), NOW)).toEqual([]);
  });
});

describe('reconcile: probe_stale', () => {
  it('flags a running VM never probed, probed too long ago, or whose last probe failed (saying how)', () => {
    expect(reconcile(azureVm(), null, NOW)).toEqual([{ code: 'probe_stale', severity: 'info', reason: 'Running and never probed' }]);
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(49) }), NOW)).toEqual([
      { code: 'probe_stale', severity: 'info', reason: 'Last probe (2026-12-06T03:00:00.000Z) is 49 h old, over the 48 h limit' },
    ]);
    for (const status of ['unreachable', 'auth_failed', 'timeout'] as const) {
      expect(reconcile(azureVm(), probe({ status, probedAt: hoursAgo(1) }), NOW)).toEqual([
        { code: 'probe_stale', severity: 'info', reason: `Last probe (2026-12-08T03:00:00.000Z) failed: ${status}` },
      ]);
    }
  });

  it('keeps a probe fresh up to the limit, which options can change', () => {
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(48) }), NOW)).toEqual([]);
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(30) }), NOW, { staleAfterHours: 24 })[0].reason).toBe(
      'Last probe (2026-12-06T22:00:00.000Z) is 30 h old, over the 24 h limit',
    );
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(30) }), NOW, { staleAfterHours: Number.NaN })).toEqual([]);
    expect(reconcile(azureVm(), probe({ probedAt: hoursAgo(30) }), NOW, { staleAfterHours: -1 })).toEqual([]);
  });

  it('does not flag a VM that is not running', () => {
    for (const powerState of ['stopped', 'deallocated', 'suspended', 'unknown'] as const) expect(reconcile(azureVm({ powerState }), null, NOW)).toEqual([]);
  });
});

describe('reconcile: odd input', () => {
  it('never throws, and finds only what the facts support', () => {
    const nulls = { id: null, name: null, providerType: null, osFamily: 'rhel', osVersion: null, osSource: null, licenseModel: null, licenseType: null, image: null, guestAgentVersion: null, powerState: null, archivedAt: null } as unknown as FleetVmFacts;
    expect(reconcile(nulls, null, NOW)).toEqual([]);
    const emptyProbe = { status: 'ok', probedAt: null, osRelease: null, redhatRelease: null, kernel: null, rhsm: null, rhui: null, agent: null, insights: null } as unknown as GuestProbeResult;
    expect(reconcile(azureVm(), emptyProbe, NOW)).toEqual([{ code: 'probe_stale', severity: 'info', reason: 'Last probe has no valid time' }]);
    const garbled = { ...probe(), probedAt: new Date('nope'), rhui: { repoFiles: 'rh-cloud.repo', packages: [null, 3] }, osRelease: { id: 7 } } as unknown as GuestProbeResult;
    expect(() => reconcile(hypervVm(), garbled, NOW)).not.toThrow();
    expect(reconcile(hypervVm(), garbled, NOW).map((f) => f.code)).toEqual(['uncovered', 'probe_stale']);
    expect(reconcile(azureVm({ osVersion: '9.4' }), probe(), new Date('invalid'))).toEqual([]);
    expect(reconcile(null as unknown as FleetVmFacts, null, NOW)).toEqual([]);
    expect(reconcile(azureVm({ image: { kind: 'marketplace', publisher: null, offer: null, sku: null } }), probe({ rhsm: registered() }), NOW)[0].reason).toBe(
      'PAYG VM billed by Azure and registered to RHSM org 1234567',
    );
  });

  it('leaves cloud rules out for a provider type it does not know', () => {
    expect(reconcile(azureVm({ providerType: 'vsphere', guestAgentVersion: null }), probe({ rhsm: registered(), rhui: NO_RHUI }), NOW)).toEqual([]);
  });

  it('sorts by severity, then code', () => {
    const sorted = sortFindings([
      { code: 'probe_stale', severity: 'info', reason: '' },
      { code: 'no_guest_agent', severity: 'warning', reason: '' },
      { code: 'uncovered', severity: 'critical', reason: '' },
      { code: 'license_mismatch', severity: 'warning', reason: '' },
      { code: 'end_of_life', severity: 'critical', reason: '' },
    ]);
    expect(sorted.map((f) => f.code)).toEqual(['end_of_life', 'uncovered', 'license_mismatch', 'no_guest_agent', 'probe_stale']);
  });
});
