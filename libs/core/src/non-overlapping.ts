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

/** The part of Nest's SchedulerRegistry that {@link scheduleEvery} needs. */
export interface IntervalRegistry {
  addInterval(name: string, interval: NodeJS.Timeout): void;
}

/**
 * Runs `work` every `seconds` under `name` (registered so shutdown can find it), never two at
 * once, without keeping the process alive.
 */
export function scheduleEvery(
  registry: IntervalRegistry,
  name: string,
  seconds: number,
  work: () => Promise<unknown>,
  logger: { error(message: string): void },
): void {
  const interval = setInterval(
    nonOverlapping(work, (error) => logger.error(`${name} failed: ${error.message}`)),
    seconds * 1000,
  );
  interval.unref();
  registry.addInterval(name, interval);
}
