/** Where the bound on a provider's tasks making VMs at once is kept: this process, or the cluster. */
export interface ProvisionSlots {
  /** Resolves with the release of a slot once one is free; rejects when the signal aborts first. */
  acquire(providerId: string, signal: AbortSignal): Promise<() => void>;
  /** Gives back what this process holds (shutdown). */
  close(): Promise<void>;
}

export const PROVISION_SLOTS = Symbol('PROVISION_SLOTS');

/**
 * A bound on the tasks one process runs at once per provider: the others wait their turn in the
 * order they came (a request of 200 VMs does not open 200 creates against one subscription).
 * Embedded mode's bound, and the first gate of the cluster's.
 */
export class ProviderSlots implements ProvisionSlots {
  private readonly held = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly perProvider: number) {}

  /** Resolves with the release of a slot once one is free; rejects when the signal aborts first. */
  acquire(providerId: string, signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.held.set(providerId, (this.held.get(providerId) ?? 0) + 1);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.release(providerId);
        });
      };
      const onAbort = () => {
        const queue = this.waiting.get(providerId) ?? [];
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(signal.reason);
      };
      if ((this.held.get(providerId) ?? 0) < this.perProvider) return grant();
      signal.addEventListener('abort', onAbort, { once: true });
      const queue = this.waiting.get(providerId) ?? [];
      queue.push(grant);
      this.waiting.set(providerId, queue);
    });
  }

  async close(): Promise<void> {}

  /** Slots in use for a provider (tests). */
  inUse(providerId: string): number {
    return this.held.get(providerId) ?? 0;
  }

  private release(providerId: string): void {
    this.held.set(providerId, (this.held.get(providerId) ?? 1) - 1);
    const next = this.waiting.get(providerId)?.shift();
    if (next) next();
    else if (this.held.get(providerId) === 0) this.held.delete(providerId);
  }
}
