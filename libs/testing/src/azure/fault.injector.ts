import type { FaultSpec } from './azure-simulator.types.js';

const ROUTES = [
  'token',
  'openid',
  'virtualmachines',
  'virtualmachinesstatus',
  'networkinterfaces',
  'publicipaddresses',
  'disks',
  'resourcegroups',
  'vmsizes',
  'subscriptions',
  'activitylogs',
  'metrics',
  'metricsbatch',
  'virtualmachineactions',
  'operations',
  'resourcedeletions',
  'resourcecreations',
  'marketplaceagreements',
  'vmimageoffers',
  'vmimageskus',
  'usages',
  'subnets',
  'images',
  '*',
];
const KINDS: ReadonlyArray<FaultSpec['kind']> = ['throttle', 'error', 'malformed', 'slow', 'drop'];

interface ActiveFault {
  id: string;
  spec: FaultSpec;
  route: string;
  remaining: number;
}

/** Holds injected faults; the first one matching a request is consumed. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  inject(spec: FaultSpec): string {
    const route = spec.route.toLowerCase();
    if (!ROUTES.includes(route)) throw new Error(`Unknown fault route '${spec.route}'`);
    if (!KINDS.includes(spec.kind)) throw new Error(`Unknown fault kind '${spec.kind}'`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('A fault needs times > 0');
    const id = `fault-${this.nextId++}`;
    this.faults.push({ id, spec: { ...spec }, route, remaining: times });
    return id;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The fault for a request of `route`, if any. `page` is the 1-based page of a paged list and
   * undefined for other requests, which page-targeted faults never match.
   */
  take(route: string, page: number | undefined): FaultSpec | undefined {
    const wanted = route.toLowerCase();
    const index = this.faults.findIndex(
      (f) => (f.route === '*' || f.route === wanted) && (f.spec.page === undefined || f.spec.page === page),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault.spec;
  }
}
