/** Why a job was failed when shutdown ran out of grace (in-process), or a `fail` kind's job at shutdown. */
export const INTERRUPTED_BY_SHUTDOWN = 'interrupted by shutdown';
/** Why a job of an `interrupted: 'fail'` kind was failed after its process died (BullMQ). */
export const INTERRUPTED_BY_CRASH = 'interrupted: the process running it died (its lock expired)';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Waits for the promises to settle, or `ms`, whichever comes first. */
export async function settledWithin(promises: (Promise<unknown> | null)[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
