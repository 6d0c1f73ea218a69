/**
 * The marketplace image catalogue the simulator serves (`…/locations/{l}/publishers/{p}/artifacttypes/vmimage/offers[/{o}/skus]`),
 * per publisher and offer, the same in every known location. The default is Red Hat's: offer
 * `RHEL` (pay-as-you-go) and offer `rhel-byos` (Cloud Access Gold Images), the latter a private
 * offer visible only to subscriptions enrolled in Red Hat Cloud Access (enabled by default).
 */
export const DEFAULT_IMAGE_CATALOGUE: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  RedHat: {
    RHEL: ['8-lvm-gen2', '9-lvm-gen2', '9-lvm', '8-lvm'],
    'rhel-byos': ['rhel-lvm9', 'rhel-lvm8', 'rhel-lvm87'],
  },
};

/** Offers that only Cloud Access enabled subscriptions see (publisher/offer, lower case). */
const CLOUD_ACCESS_OFFERS = new Set(['redhat/rhel-byos']);

export class MarketplaceImages {
  private readonly catalogue = new Map<string, { publisher: string; offers: Map<string, { offer: string; skus: string[] }> }>();
  private readonly cloudAccess = new Map<string, boolean>();

  constructor(catalogue: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = DEFAULT_IMAGE_CATALOGUE) {
    for (const [publisher, offers] of Object.entries(catalogue)) {
      for (const [offer, skus] of Object.entries(offers)) this.setOffer(publisher, offer, skus);
    }
  }

  /** Sets (replaces) the skus of an offer; an empty list removes the offer. */
  setOffer(publisher: string, offer: string, skus: readonly string[]): void {
    let entry = this.catalogue.get(publisher.toLowerCase());
    if (!entry) {
      entry = { publisher, offers: new Map() };
      this.catalogue.set(publisher.toLowerCase(), entry);
    }
    if (skus.length === 0) entry.offers.delete(offer.toLowerCase());
    else entry.offers.set(offer.toLowerCase(), { offer, skus: [...skus] });
  }

  /** Whether the subscription is enrolled in Red Hat Cloud Access (sees rhel-byos); default true. */
  setCloudAccess(subscriptionId: string, enabled: boolean): void {
    this.cloudAccess.set(subscriptionId.toLowerCase(), enabled);
  }

  isCloudAccessEnabled(subscriptionId: string): boolean {
    return this.cloudAccess.get(subscriptionId.toLowerCase()) ?? true;
  }

  /** The publisher as the catalogue spells it, or undefined when it has none. */
  publisher(publisher: string): string | undefined {
    return this.catalogue.get(publisher.toLowerCase())?.publisher;
  }

  /** The offers a subscription sees of a publisher. */
  offers(subscriptionId: string, publisher: string): string[] {
    const entry = this.catalogue.get(publisher.toLowerCase());
    if (!entry) return [];
    return [...entry.offers.values()].filter((o) => this.visible(subscriptionId, entry.publisher, o.offer)).map((o) => o.offer);
  }

  /** The skus of an offer, or undefined when the subscription does not see the offer. */
  skus(subscriptionId: string, publisher: string, offer: string): string[] | undefined {
    const entry = this.catalogue.get(publisher.toLowerCase());
    const found = entry?.offers.get(offer.toLowerCase());
    if (!entry || !found || !this.visible(subscriptionId, entry.publisher, found.offer)) return undefined;
    return [...found.skus];
  }

  private visible(subscriptionId: string, publisher: string, offer: string): boolean {
    return !CLOUD_ACCESS_OFFERS.has(`${publisher}/${offer}`.toLowerCase()) || this.isCloudAccessEnabled(subscriptionId);
  }
}

/** The compute usage family of a size: `Standard_D2s_v3` → standardDSv3Family (Azure's quota names). */
export function sizeFamily(vmSize: string): string {
  const match = /^(Standard|Basic)_([A-Z]+)(\d+)([a-z]*)(?:_v(\d+))?/.exec(vmSize);
  if (!match) return `${vmSize.toLowerCase()}Family`;
  const [, tier, series, , features, version] = match;
  // Premium-storage sizes (an `s` feature) count in the S family: D2s_v3 → DSv3, E4s_v3 → ESv3, DS2_v2 → DSv2.
  const premium = features.includes('s') || series.endsWith('S');
  const base = series.replace(/S$/, '');
  const extra = features.includes('d') ? 'D' : '';
  return `${tier.toLowerCase()}${base}${extra}${premium ? 'S' : ''}${version ? `v${version}` : ''}Family`;
}
