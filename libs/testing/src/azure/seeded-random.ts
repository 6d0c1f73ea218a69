/**
 * A small deterministic PRNG (32-bit state, a splitmix-style mixer). Estates must be identical
 * for the same seed, across runs and machines, so Math.random is never used for estate data.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight; `entries` are [item, weight]. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [item, weight] of entries) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return entries[entries.length - 1][0];
  }

  hex(length: number): string {
    const words: string[] = [];
    for (let n = 0; n < length; n += 8) words.push(Math.floor(this.next() * 4294967296).toString(16).padStart(8, '0'));
    return words.join('').slice(0, length);
  }

  /** A version 4 GUID shape, lower case. */
  guid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A derived generator, so that one consumer drawing more numbers does not shift another. */
  fork(salt: number): SeededRandom {
    return new SeededRandom(Math.floor(this.next() * 0xffffffff) ^ Math.imul(salt + 1, 0x85ebca6b));
  }
}
