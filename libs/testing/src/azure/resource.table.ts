import type { SimRecord } from './sim-estate.model.js';

export interface TablePage<T> {
  items: T[];
  /** The seq to continue after, or null when nothing matching is left. */
  nextAfterSeq: number | null;
}

/**
 * Records kept in insertion (seq) order with a lookup by lower-cased id. A page is found by
 * binary search on seq, so a cursor survives inserts and removals between pages and serving
 * all pages of n items costs O(n), not O(n^2).
 */
export class ResourceTable<T extends SimRecord> {
  private readonly ordered: T[] = [];
  private readonly byKey = new Map<string, T>();

  get size(): number {
    return this.ordered.length;
  }

  add(record: T): void {
    if (this.byKey.has(record.key)) throw new Error(`Duplicate resource ${record.key}`);
    const last = this.ordered[this.ordered.length - 1];
    if (last && last.seq >= record.seq) throw new Error('Records must be added in seq order');
    this.ordered.push(record);
    this.byKey.set(record.key, record);
  }

  get(key: string): T | undefined {
    return this.byKey.get(key.toLowerCase());
  }

  remove(key: string): T | undefined {
    const record = this.byKey.get(key.toLowerCase());
    if (!record) return undefined;
    this.byKey.delete(record.key);
    this.ordered.splice(this.indexAfter(record.seq - 1), 1);
    return record;
  }

  all(): readonly T[] {
    return this.ordered;
  }

  /** Up to `size` records with seq > afterSeq that pass `filter`. */
  page(afterSeq: number, size: number, filter?: (record: T) => boolean): TablePage<T> {
    const items: T[] = [];
    let i = this.indexAfter(afterSeq);
    for (; i < this.ordered.length && items.length < size; i++) {
      if (!filter || filter(this.ordered[i])) items.push(this.ordered[i]);
    }
    // Look ahead for one more match so the last page carries no nextLink.
    let more = false;
    for (; i < this.ordered.length; i++) {
      if (!filter || filter(this.ordered[i])) {
        more = true;
        break;
      }
    }
    return { items, nextAfterSeq: more && items.length ? items[items.length - 1].seq : null };
  }

  /** Index of the first record with seq > afterSeq. */
  private indexAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ordered[mid].seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
