import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { heapGrowthFlag } from './heap-growth.js';

/**
 * A child that sets the flag at run time (as applyHeapGrowth does at start-up), keeps a live set,
 * then makes garbage that lives long enough to reach the old generation; it prints the largest
 * heap V8 gave it.
 */
const CHURN = `
import v8 from 'node:v8';
if (process.argv[1]) v8.setFlagsFromString(process.argv[1]);
const live = Array.from({ length: 100 }, () => Array.from({ length: 12_500 }, (_, i) => ({ i })));
const ring = new Array(64).fill(null);
let max = 0;
for (let round = 0; round < 600; round++) {
  ring[round % ring.length] = Array.from({ length: 5_000 }, (_, i) => ({ i, s: 'x' + i }));
  if (round % 20 === 0) max = Math.max(max, v8.getHeapStatistics().total_heap_size);
}
console.log(JSON.stringify({ maxHeapMb: max / 1048576, kept: live.length }));
`;

async function largestHeapMb(flag: string | null): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHURN, ...(flag ? [flag] : [])], { timeout: 60_000 });
  return (JSON.parse(stdout) as { maxHeapMb: number }).maxHeapMb;
}

describe('heap growth', () => {
  it("names V8's heap growing flag, and none for 0", () => {
    expect(heapGrowthFlag(25)).toBe('--heap-growing-percent=25');
    expect(heapGrowthFlag(0)).toBeNull();
  });

  it('keeps the heap well below what V8 grows to on its own, when set at run time', async () => {
    const [own, bounded] = await Promise.all([largestHeapMb(null), largestHeapMb(heapGrowthFlag(25))]);
    // Same live set and garbage: V8 alone took about twice as much here (270 MB against 141 MB).
    expect(bounded).toBeLessThan(own * 0.75);
  }, 60_000);
});
