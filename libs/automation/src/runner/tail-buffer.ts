/** Keeps only the last `maxChars` characters of what is appended (stderr, fallback output). */
export class TailBuffer {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly maxChars: number) {}

  append(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.length += text.length;
    if (this.length > this.maxChars * 2) this.compact();
  }

  toString(): string {
    this.compact();
    return this.parts.join('');
  }

  private compact(): void {
    const joined = this.parts.join('');
    const kept = joined.length > this.maxChars ? joined.slice(joined.length - this.maxChars) : joined;
    this.parts = [kept];
    this.length = kept.length;
  }
}
