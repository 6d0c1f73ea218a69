import type { InventoryGraph } from './inventory-graph.js';

/** Structured logging a plugin may use; the host adds provider and refresh context. */
export interface ProviderLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Everything a plugin needs for one unit of work. */
export interface ProviderContext<TConfig = Record<string, unknown>, TCredentials = Record<string, unknown>> {
  /** Our id of the provider record. */
  providerId: string;
  /** Non-secret settings, already validated by {@link ProviderPlugin.validateConfig}. */
  config: TConfig;
  /** Decrypted secrets. Never log them, never put them in an error message. */
  credentials: TCredentials;
  logger: ProviderLogger;
  /** Aborted when the work is canceled or the process shuts down. */
  signal?: AbortSignal;
  /** Reports progress (e.g. pages or VMs collected) while a long collection runs. */
  progress?: (counts: Record<string, number>) => void;
}

/** What to collect: the whole estate, or the machines with these native ids. */
export type InventoryScope = { kind: 'full' } | { kind: 'targeted'; nativeIds: string[] };

/** A normalized event (the events issue fills this in). */
export interface ProviderEvent {
  nativeId: string;
  occurredAt: Date;
  type: string;
  vmNativeId: string | null;
  status: string | null;
  actor: string | null;
  raw: unknown;
}

export interface EventBatch {
  events: ProviderEvent[];
  /** Opaque; handed back as `since` on the next call. */
  checkpoint: string | null;
}

export interface MetricSample {
  vmNativeId: string;
  name: string;
  unit: string;
  timestamp: Date;
  value: number;
}

export interface MetricWindow {
  from: Date;
  to: Date;
}

/**
 * The contract every provider plugin implements. One plugin per provider type; it never touches
 * the database (the shared persister saves what it returns) and never imports another provider.
 */
export interface ProviderPlugin<TConfig = Record<string, unknown>, TCredentials = Record<string, unknown>> {
  /** The provider type this plugin serves, e.g. `azure`. Unique across plugins. */
  readonly type: string;

  /**
   * Checks the shape of a config and credentials without any I/O. Returns one message per
   * problem (empty when valid); the API answers 400 with them.
   */
  validateConfig(config: unknown, credentials: unknown): string[];

  /**
   * Names of the config keys whose values are secret-free but sensitive enough to mask in
   * responses — none by default. Credentials are never returned at all.
   */
  readonly redactedConfigKeys?: readonly string[];

  /** Connects and proves access; throws a {@link ProviderError} with a clear reason on failure. */
  validate(config: TConfig, credentials: TCredentials, logger: ProviderLogger): Promise<void>;

  /**
   * Collects the inventory in scope. A failure of the whole collection throws a ProviderError;
   * a failure of one part (one subscription, one host) is reported in `partErrors` instead.
   */
  collectInventory(ctx: ProviderContext<TConfig, TCredentials>, scope: InventoryScope): Promise<InventoryGraph>;

  /** Collects events that happened after `since` (a checkpoint from the previous batch, or null). */
  collectEvents?(ctx: ProviderContext<TConfig, TCredentials>, since: string | null): Promise<EventBatch>;

  /** Collects metric samples of the given machines over a time window. */
  collectMetrics?(ctx: ProviderContext<TConfig, TCredentials>, vmNativeIds: string[], window: MetricWindow): Promise<MetricSample[]>;
}
