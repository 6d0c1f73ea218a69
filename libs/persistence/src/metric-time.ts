/** Metric timestamps are epoch seconds; buckets start on UTC hour and day boundaries. */
export const HOUR = 3600;
export const DAY = 86_400;

export function bucketOf(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}
