/**
 * How a targeted refresh reads one subscription, chosen by counting ARM requests. Pure: the
 * collector feeds it what the subscription's status list (`listAll({statusOnly})`, read first
 * whenever the targets exceed `targetedListThreshold`) told: how many VMs, in which resource
 * groups, in pages of what size.
 */

/**
 * Requests per target of the single-GET path: the VM, its NICs, their public IPs and its disks.
 * Measured with the simulator's estate mix (100 targets of a 1,000- and of a 5,000-VM
 * subscription): 448 requests besides the size lists, 4.48 per target.
 */
export const REQUESTS_PER_TARGET = 4.48;

/**
 * The lists a list-based read makes per scope besides the status list: VMs, NICs, public IPs,
 * disks. A full refresh makes these, the resource group list and a second NIC pass.
 */
export const LISTS_PER_SCOPE = 4;

/**
 * Default of `targetedListThreshold`: the most targets whose single GETs (4.48 each, see
 * REQUESTS_PER_TARGET) never cost more than a full listing of the smallest subscription, one page
 * per list: 7 requests besides the size lists (measured: a 100-VM subscription lists in 13
 * requests, 6 of them sizes). 7 / 4.48 = 1.56, so 1; above it the status list decides.
 */
export const DEFAULT_TARGETED_LIST_THRESHOLD = 1;

/** What the status list of a subscription said, and what is asked of it. */
export interface TargetedReadCounts {
  /** Target VMs of the subscription. */
  targets: number;
  /** The resource groups (lower-cased) of the targets the status list holds. */
  targetGroups: readonly string[];
  /** VMs per resource group (lower-cased), as the status list has them. */
  vmsByGroup: ReadonlyMap<string, number>;
  /** VMs of the subscription. */
  vms: number;
  /** Items per page of ARM's lists (the status list's first page when it had more than one). */
  pageSize: number;
}

export type TargetedReadPlan =
  | { kind: 'singleGets'; requests: number }
  | { kind: 'groupLists'; groups: string[]; requests: number }
  | { kind: 'subscriptionLists'; requests: number };

/** Pages of a list of this many items (an empty list is still one request). */
export function pagesOf(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / Math.max(1, pageSize)));
}

/**
 * Where one kind of resource is listed: per resource group when the groups it needs cost fewer
 * pages than the subscription's list (a group is assumed to hold NICs and disks in the proportion
 * of its VMs), else the subscription's list. Never more requests than the subscription's list.
 */
export function listScopeFor(groups: Iterable<string>, counts: Pick<TargetedReadCounts, 'vmsByGroup' | 'vms' | 'pageSize'>): { kind: 'groups'; groups: string[] } | { kind: 'subscription' } {
  const unique = [...new Set(groups)].sort();
  const perGroup = unique.reduce((sum, group) => sum + pagesOf(counts.vmsByGroup.get(group) ?? 0, counts.pageSize), 0);
  return perGroup < pagesOf(counts.vms, counts.pageSize) ? { kind: 'groups', groups: unique } : { kind: 'subscription' };
}

/**
 * The cheapest way to read the targets once the status list is in: single GETs, lists of the
 * targets' resource groups, or the subscription's lists. List costs are lower bounds (every VM
 * has a NIC and a disk, so those lists page at least like the VMs'), which leans towards the
 * lists, whose cost never exceeds the part of a full listing they repeat. Ties go to the lists.
 */
export function planTargetedRead(counts: TargetedReadCounts): TargetedReadPlan {
  const singleGets = Math.ceil(counts.targets * REQUESTS_PER_TARGET);
  const subscription = LISTS_PER_SCOPE * pagesOf(counts.vms, counts.pageSize);
  const scope = listScopeFor(counts.targetGroups, counts);
  const lists: TargetedReadPlan =
    scope.kind === 'groups'
      ? { kind: 'groupLists', groups: scope.groups, requests: LISTS_PER_SCOPE * scope.groups.reduce((sum, g) => sum + pagesOf(counts.vmsByGroup.get(g) ?? 0, counts.pageSize), 0) }
      : { kind: 'subscriptionLists', requests: subscription };
  return singleGets < lists.requests ? { kind: 'singleGets', requests: singleGets } : lists;
}
