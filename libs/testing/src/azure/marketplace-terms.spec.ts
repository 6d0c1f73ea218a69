import { MarketplaceTerms } from './marketplace-terms.js';

describe('MarketplaceTerms', () => {
  const byos = { publisher: 'RedHat', offer: 'rhel-byos', plan: 'rhel-lvm94' };

  it('starts with Cloud Access plans not accepted and other plans accepted, per subscription and in any casing', () => {
    const terms = new MarketplaceTerms();
    expect(terms.isAccepted('sub-a', byos)).toBe(false);
    expect(terms.isAccepted('sub-a', { publisher: 'fortinet', offer: 'fortinet_fortigate-vm_v5', plan: 'byol' })).toBe(true);
    terms.set('SUB-A', { publisher: 'redhat', offer: 'RHEL-BYOS', plan: 'RHEL-LVM94' }, true);
    expect(terms.isAccepted('sub-a', byos)).toBe(true);
    expect(terms.isAccepted('sub-b', byos)).toBe(false);
  });

  it('serves the agreement in the wire shape of GetMarketplaceTerms.json', () => {
    const wire = new MarketplaceTerms().wire('sub-a', byos);
    expect(wire).toMatchObject({
      id: '/subscriptions/sub-a/providers/Microsoft.MarketplaceOrdering/offerTypes/VirtualMachine/publishers/RedHat/offers/rhel-byos/plans/rhel-lvm94/agreements/current',
      name: 'rhel-lvm94',
      type: 'Microsoft.MarketplaceOrdering/offertypes',
      properties: { publisher: 'RedHat', product: 'rhel-byos', plan: 'rhel-lvm94', accepted: false },
    });
  });
});
