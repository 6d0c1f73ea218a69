import { SeededRandom } from '../azure/seeded-random.js';
import type { HyperVSimSwitch } from './hyperv-estate.js';
import type {
  HyperVGuestKind,
  HyperVHardDriveSpec,
  HyperVKvp,
  HyperVVmSpec,
  HyperVVmState,
  InventoryHostJson,
} from './hyperv-host-simulator.types.js';

const GIB = 1024 ** 3;
const VHD_DIR = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks';

/** Guest kind and state pairs every estate of at least this many VMs contains, in this order. */
export const MANDATORY_CASES: ReadonlyArray<readonly [HyperVGuestKind, HyperVVmState]> = [
  ['rhel9', 'Running'],
  ['rhel8', 'Running'],
  ['rhel7', 'Running'],
  ['rhel-no-kvp', 'Running'],
  ['windows-server', 'Running'],
  ['ubuntu', 'Running'],
  ['rhel9', 'Off'],
  ['windows-server', 'Saved'],
  ['rhel8', 'Paused'],
];

/** What hv_kvp_daemon reports: os-release NAME and `uname -r` cut at the first '-'. */
const LINUX_KVP: Record<'rhel7' | 'rhel8' | 'rhel9' | 'ubuntu', { osName: string; versionId: string; build: string }> = {
  rhel7: { osName: 'Red Hat Enterprise Linux Server', versionId: '7.9', build: '3.10.0-1160.119.1.el7.x86_64' },
  rhel8: { osName: 'Red Hat Enterprise Linux', versionId: '8.10', build: '4.18.0-553.16.1.el8_10.x86_64' },
  rhel9: { osName: 'Red Hat Enterprise Linux', versionId: '9.6', build: '5.14.0-570.22.1.el9_6.x86_64' },
  ubuntu: { osName: 'Ubuntu', versionId: '22.04', build: '5.15.0-113-generic' },
};

const WINDOWS_GUESTS = [
  { osName: 'Windows Server 2022 Datacenter', osVersion: '10.0.20348' },
  { osName: 'Windows Server 2019 Standard', osVersion: '10.0.17763' },
];

const ROLES = ['web', 'db', 'app', 'batch', 'cache', 'mq', 'build'];

export interface GeneratedHyperVVm {
  kind: HyperVGuestKind;
  spec: HyperVVmSpec;
}

export interface GeneratedHyperVHost {
  host: InventoryHostJson;
  switches: HyperVSimSwitch[];
  vms: GeneratedHyperVVm[];
}

/** The link-local IPv6 address a guest derives from its MAC (EUI-64). */
function linkLocalFromMac(mac: string): string {
  const b = [0, 2, 4, 6, 8, 10].map((i) => mac.toLowerCase().slice(i, i + 2));
  const first = (parseInt(b[0], 16) ^ 0x02).toString(16);
  const group = (hi: string, lo: string) => parseInt(`${hi}${lo}`, 16).toString(16);
  return `fe80::${group(first, b[1])}:${group(b[2], 'ff')}:${group('fe', b[3])}:${group(b[4], b[5])}`;
}

/** Builds a deterministic host: the same seed and size always give the same estate. */
export class HyperVEstateGenerator {
  constructor(private readonly seed: number) {}

  generate(hostName: string, vmCount: number): GeneratedHyperVHost {
    const random = new SeededRandom(this.seed);
    const hostRandom = random.fork(1);
    const vmRandom = random.fork(2);
    const host: InventoryHostJson = {
      ComputerName: hostName,
      OsName: 'Microsoft Windows Server 2022 Datacenter',
      OsVersion: '10.0.20348',
      LogicalProcessorCount: hostRandom.pick([32, 48, 64]),
      MemoryCapacity: hostRandom.pick([256, 384, 512]) * GIB,
      HyperVVersion: '10.0.20348.1',
    };
    const switches: HyperVSimSwitch[] = [
      { name: 'vSwitch-LAN', switchType: 'External' },
      { name: 'vSwitch-NAT', switchType: 'Internal' },
    ];
    const vms: GeneratedHyperVVm[] = [];
    for (let i = 0; i < vmCount; i += 1) {
      const [kind, state] =
        i < MANDATORY_CASES.length
          ? MANDATORY_CASES[i]
          : [
              vmRandom.weighted<HyperVGuestKind>([
                ['rhel9', 30],
                ['rhel8', 25],
                ['rhel7', 10],
                ['rhel-no-kvp', 8],
                ['windows-server', 17],
                ['ubuntu', 10],
              ]),
              vmRandom.weighted<HyperVVmState>([
                ['Running', 70],
                ['Off', 18],
                ['Saved', 6],
                ['Paused', 6],
              ]),
            ];
      vms.push({ kind, spec: this.vm(vmRandom, i, kind, state, switches) });
    }
    return { host, switches, vms };
  }

  private vm(random: SeededRandom, index: number, kind: HyperVGuestKind, state: HyperVVmState, switches: HyperVSimSwitch[]): HyperVVmSpec {
    const windows = kind === 'windows-server';
    const prefix = windows ? 'win' : kind === 'rhel-no-kvp' ? 'rhel8' : kind;
    const name = `${prefix}-${random.pick(ROLES)}${String(index + 1).padStart(2, '0')}`;
    const fqdn = `${windows ? name.toUpperCase() : name}.corp.example.com`;
    const mac = `00155D0A${(index & 0xffff).toString(16).padStart(4, '0').toUpperCase()}`;
    const ipv4 = `10.20.${Math.floor(index / 250)}.${(index % 250) + 4}`;

    let kvp: HyperVKvp | null = null;
    if (windows) {
      const guest = random.pick(WINDOWS_GUESTS);
      const [major, minor, build] = guest.osVersion.split('.');
      kvp = {
        OSName: guest.osName,
        OSMajorVersion: major,
        OSMinorVersion: minor,
        OSVersion: guest.osVersion,
        OSBuildNumber: build,
        ProcessorArchitecture: '9',
        FullyQualifiedDomainName: fqdn,
        IntegrationServicesVersion: `${guest.osVersion}.1`,
      };
    } else if (kind !== 'rhel-no-kvp') {
      const linux = LINUX_KVP[kind];
      kvp = {
        OSName: linux.osName,
        OSMajorVersion: linux.versionId,
        OSMinorVersion: '',
        OSVersion: linux.build.split('-')[0],
        OSBuildNumber: linux.build,
        ProcessorArchitecture: 'x86_64',
        FullyQualifiedDomainName: fqdn,
        IntegrationServicesVersion: '3.1',
      };
    }

    const memoryGib = windows ? random.pick([8, 16]) : random.pick([2, 4, 8]);
    const creation = Date.parse('2021-03-01T08:00:00Z') + random.int(0, 1400) * 86_400_000 + random.int(0, 86_399_999);
    return {
      name,
      vmId: random.guid(),
      guest: kind,
      state,
      processorCount: random.pick(windows ? [4, 8] : [1, 2, 4]),
      memoryStartup: memoryGib * GIB,
      dynamicMemoryEnabled: windows ? random.chance(0.6) : random.chance(0.2),
      generation: kind === 'rhel7' && random.chance(0.5) ? 1 : 2,
      version: random.pick(['9.0', '10.0', '10.0']),
      // An apostrophe, angle brackets and an ampersand exercise 5.1's JavaScriptSerializer escaping.
      notes: kind === 'rhel7' && index < MANDATORY_CASES.length ? "Ops team's <legacy> box & friends" : random.pick(['', 'env=prod', 'env=test;owner=platform']),
      creationTime: new Date(creation).toISOString(),
      uptimeSeconds: random.int(60, 60 * 86_400),
      networkAdapters: [{ macAddress: mac, switchName: random.chance(0.8) ? switches[0].name : switches[1].name, ipAddresses: [ipv4, linkLocalFromMac(mac)] }],
      hardDrives: this.disks(random, name, windows),
      guestServices: kind === 'rhel-no-kvp' ? 'kernel-only' : 'full',
      kvp,
    };
  }

  private disks(random: SeededRandom, name: string, windows: boolean): HyperVHardDriveSpec[] {
    const osSize = windows ? 127 * GIB : random.pick([32, 64, 128]) * GIB;
    const differencing = !windows && random.chance(0.15);
    const disks: HyperVHardDriveSpec[] = [
      {
        path: `${VHD_DIR}\\${name}${differencing ? '_diff' : ''}.vhdx`,
        vhdType: differencing ? 'Differencing' : 'Dynamic',
        size: osSize,
        fileSize: random.int(differencing ? 1 : 6, differencing ? 8 : 40) * GIB + random.int(0, 1023) * 1024 * 1024,
      },
    ];
    if (random.chance(0.3)) {
      const size = random.pick([100, 256, 512]) * GIB;
      // A fixed VHDX holds the whole virtual size plus its metadata region.
      disks.push({ path: `${VHD_DIR}\\${name}_data.vhdx`, vhdType: 'Fixed', size, fileSize: size + 4 * 1024 * 1024 });
    }
    return disks;
  }
}
