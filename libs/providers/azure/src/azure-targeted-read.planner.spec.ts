import { listScopeFor, pagesOf, planTargetedRead, type TargetedReadCounts } from './azure-targeted-read.planner.js';

// A 10,000-VM subscription in pages of 1,000: two resource groups of 4,950 VMs, two of 50.
const vmsByGroup = new Map<string, number>([['rg-0', 4950], ['rg-1', 4950], ['rg-small-a', 50], ['rg-small-b', 50]]);
const large: Omit<TargetedReadCounts, 'targets' | 'targetGroups'> = { vmsByGroup, vms: 10_000, pageSize: 1000 };

describe('planTargetedRead', () => {
  it('reads a few targets of large groups by single GETs (4.48 requests each against 40 for their lists)', () => {
    expect(planTargetedRead({ ...large, targets: 5, targetGroups: ['rg-0', 'rg-1'] })).toEqual({ kind: 'singleGets', requests: 23 });
    // Nine of one large group: its lists (20) cost less than their GETs (41).
    expect(planTargetedRead({ ...large, targets: 9, targetGroups: ['rg-0'] })).toEqual({ kind: 'groupLists', groups: ['rg-0'], requests: 20 });
  });

  it('lists the resource groups of targets that share a few small groups', () => {
    expect(planTargetedRead({ ...large, targets: 60, targetGroups: ['rg-small-b', 'rg-small-a'] })).toEqual({ kind: 'groupLists', groups: ['rg-small-a', 'rg-small-b'], requests: 8 });
  });

  it("lists the subscription when the targets' groups page more than its lists do", () => {
    const groups = [...vmsByGroup.keys()];
    expect(planTargetedRead({ ...large, targets: 2000, targetGroups: groups })).toEqual({ kind: 'subscriptionLists', requests: 40 });
    // Two groups of 4,950 VMs page ten times, as the subscription's list does: the tie goes to it.
    expect(planTargetedRead({ ...large, targets: 2000, targetGroups: ['rg-0', 'rg-1'] })).toEqual({ kind: 'subscriptionLists', requests: 40 });
  });

  it('lists a one-page subscription as soon as two targets would cost more by GETs', () => {
    const small = { vmsByGroup: new Map([['rg', 36]]), vms: 36, pageSize: 36 };
    expect(planTargetedRead({ ...small, targets: 2, targetGroups: ['rg'] })).toEqual({ kind: 'subscriptionLists', requests: 4 });
  });

  it('lists nothing more when the status list holds none of the targets', () => {
    expect(planTargetedRead({ ...large, targets: 3, targetGroups: [] })).toEqual({ kind: 'groupLists', groups: [], requests: 0 });
  });
});

describe('listScopeFor', () => {
  it('lists per group only while that costs fewer pages than the subscription', () => {
    expect(listScopeFor(['rg-small-a', 'rg-small-a', 'rg-unknown'], large)).toEqual({ kind: 'groups', groups: ['rg-small-a', 'rg-unknown'] });
    expect(listScopeFor([...vmsByGroup.keys()], large)).toEqual({ kind: 'subscription' });
  });

  it('counts an empty list as one request', () => {
    expect(pagesOf(0, 1000)).toBe(1);
    expect(pagesOf(1001, 1000)).toBe(2);
  });
});
