import type { Observable } from 'rxjs';
import type { ProviderEventType } from './provider-plugin.js';

/** An event once stored: our id and what a subscriber needs to act on it. */
export interface StoredEvent {
  id: string;
  providerId: string;
  type: ProviderEventType;
  /** Our VM id, when the VM was inventoried before the event was stored. */
  vmId: string | null;
  vmNativeId: string | null;
}

/**
 * The events this process stored, each after its transaction committed. In a cluster each event
 * is stored by one process only, so a subscriber here acts once per event. Telemetry provides it,
 * automation consumes it: the port keeps the two libraries from importing each other.
 */
export interface StoredEventSource {
  readonly stored$: Observable<StoredEvent>;
}

export const STORED_EVENTS = Symbol('STORED_EVENTS');
