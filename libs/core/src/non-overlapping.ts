/**
 * Wraps periodic work so a tick that comes while the previous one still runs is skipped rather
 * than piled up; a failure goes to `onError` and never stops the next tick.
 */
export function nonOverlapping(work: () => Promise<unknown>, onError: (error: Error) => void): () => void {
  let busy = false;
  return () => {
    if (busy) return;
    busy = true;
    work()
      .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => (busy = false));
  };
}
