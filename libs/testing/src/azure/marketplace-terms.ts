import { createHash } from 'node:crypto';

/** A plan of a marketplace image: `plan { name, publisher, product }` on a VM, publisher/offer/plan in the agreements URL. */
export interface SimMarketplacePlan {
  publisher: string;
  /** The offer (a VM's `plan.product`). */
  offer: string;
  /** The plan (a VM's `plan.name`, the image's sku). */
  plan: string;
}

interface Decision {
  accepted: boolean;
  atMs: number;
}

/**
 * The marketplace terms of every subscription, per plan (Microsoft.MarketplaceOrdering
 * agreements). A plan nobody decided on is accepted, except Red Hat's Cloud Access (`rhel-byos`)
 * plans, whose terms a subscription must accept before it can deploy them. The wire shape follows
 * GetMarketplaceTerms.json / SetMarketplaceTerms.json (azure-rest-api-specs, marketplaceordering 2021-01-01).
 */
export class MarketplaceTerms {
  private readonly decisions = new Map<string, Decision>();

  set(subscriptionId: string, plan: SimMarketplacePlan, accepted: boolean, atMs = Date.now()): void {
    this.decisions.set(key(subscriptionId, plan), { accepted, atMs });
  }

  isAccepted(subscriptionId: string, plan: SimMarketplacePlan): boolean {
    return this.decisions.get(key(subscriptionId, plan))?.accepted ?? !requiresAcceptance(plan);
  }

  wire(subscriptionId: string, plan: SimMarketplacePlan): Record<string, unknown> {
    const decision = this.decisions.get(key(subscriptionId, plan));
    const accepted = this.isAccepted(subscriptionId, plan);
    const id =
      `/subscriptions/${subscriptionId}/providers/Microsoft.MarketplaceOrdering/offerTypes/VirtualMachine/publishers/${plan.publisher}` +
      `/offers/${plan.offer}/plans/${plan.plan}/agreements/current`;
    const blob = `https://mpcprodsa.blob.core.windows.net/legalterms/3E5ED_legalterms_${plan.publisher.toUpperCase()}%253a24${plan.offer.toUpperCase()}%253a24${plan.plan.toUpperCase()}.txt`;
    return {
      id,
      name: plan.plan,
      type: 'Microsoft.MarketplaceOrdering/offertypes',
      properties: {
        publisher: plan.publisher,
        product: plan.offer,
        plan: plan.plan,
        licenseTextLink: blob,
        privacyPolicyLink: plan.publisher.toLowerCase() === 'redhat' ? 'https://www.redhat.com/en/about/privacy-policy' : `https://${plan.publisher}.example.com/privacy`,
        marketplaceTermsLink: 'https://mpcprodsa.blob.core.windows.net/marketplaceterms/3EDEF_marketplaceterms_VIRTUALMACHINE%253a24AAK2OAIZEAWW5H4MSP5KSTVB6NDKKRTUBAU23BRFTWN4YC2MQLJUB5ZEYUOUJBVF3YK34CIVPZL2HWYASPGDUY5O2FWEGRBYOXWZE5Y.txt',
        // The time of the last decision; retrieveDatetime is documented as empty when not accepted, but the service fills it.
        retrieveDatetime: new Date(decision?.atMs ?? Date.UTC(2024, 0, 1)).toISOString(),
        signature: createHash('sha256').update(`${subscriptionId}:${id}`.toLowerCase()).digest('base64url').slice(0, 52).toUpperCase(),
        accepted,
      },
      systemData: {
        createdBy: '00000000-0000-0000-0000-000000000000',
        createdByType: 'ManagedIdentity',
        createdAt: new Date(decision?.atMs ?? Date.UTC(2024, 0, 1)).toISOString(),
        lastModifiedBy: '00000000-0000-0000-0000-000000000000',
        lastModifiedByType: 'ManagedIdentity',
        lastModifiedAt: new Date(decision?.atMs ?? Date.UTC(2024, 0, 1)).toISOString(),
      },
    };
  }
}

/** Plans whose terms start out not accepted: Red Hat Cloud Access (BYOS) gold images. */
export function requiresAcceptance(plan: SimMarketplacePlan): boolean {
  return plan.publisher.toLowerCase() === 'redhat' && plan.offer.toLowerCase() === 'rhel-byos';
}

function key(subscriptionId: string, plan: SimMarketplacePlan): string {
  return `${subscriptionId}/${plan.publisher}/${plan.offer}/${plan.plan}`.toLowerCase();
}
