import {
  emptyInventoryGraph,
  ProviderError,
  ProviderErrorCode,
  settleWithConcurrency,
  type InventoryGraph,
  type MetricSample,
  type ProviderEvent,
  type ProviderLogger,
} from '@hybridforms/core';
import { buildEventsScript, EVENTS_COMMAND_NAME, type HyperVLogBookmarks } from './hyperv-events.script.js';
import { nextBookmarks, normalizeHyperVEvent, parseHyperVEventsDocument } from './hyperv-events.parser.js';
import type { HyperVEventsCheckpoint } from './hyperv-events.checkpoint.js';
import { METRICS_COMMAND_NAME, METRICS_SCRIPT } from './hyperv-metrics.script.js';
import { parseHyperVMetrics } from './hyperv-metrics.parser.js';
import type { HyperVCredentials, HyperVHostConfig, ResolvedHyperVConfig } from './hyperv-provider.config.js';
import { INVENTORY_SCRIPT } from './hyperv-inventory.script.js';
import { parseHyperVInventory } from './hyperv-inventory.parser.js';
import { PowerShellSession, type HyperVConnection } from './powershell.session.js';

export interface HyperVCollectorOptions {
  logger: ProviderLogger;
  signal?: AbortSignal;
  progress?: (counts: Record<string, number>) => void;
}

/** Our native id of a host: its configured address (and port when not 22), lower-cased. */
export function hostNativeId(host: HyperVHostConfig & { port: number }): string {
  return `hyperv:${host.host.toLowerCase()}${host.port === 22 ? '' : `:${host.port}`}`;
}

/**
 * Talks to the hosts: one SSH session per host per refresh, the whole inventory in one script,
 * hosts in parallel up to the configured bound. A host that fails is a part error (its VMs are
 * neither saved nor archived) while the others complete; if every host fails, the refresh fails.
 */
export class HyperVCollector {
  constructor(
    private readonly config: ResolvedHyperVConfig,
    private readonly credentials: HyperVCredentials,
    private readonly options: HyperVCollectorOptions,
  ) {}

  /** Connects to every host (auth and pinned host key), running nothing. */
  async validateAccess(): Promise<void> {
    const results = await settleWithConcurrency(this.config.hosts, this.config.hostConcurrency, async (host) => {
      const session = await PowerShellSession.open(this.connection(host));
      session.close();
    });
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async collect(): Promise<InventoryGraph> {
    const graph = emptyInventoryGraph();
    let hostsDone = 0;
    const results = await settleWithConcurrency(this.config.hosts, this.config.hostConcurrency, async (host) => {
      if (this.options.signal?.aborted) throw new ProviderError(ProviderErrorCode.Timeout, 'refresh aborted');
      const part = await this.collectHost(host);
      hostsDone++;
      this.options.progress?.({ hosts: hostsDone, vms: graph.vms.length + part.vms.length });
      return part;
    });
    const errors: ProviderError[] = [];
    results.forEach((result, i) => {
      const host = this.config.hosts[i];
      if (result.status === 'fulfilled') {
        const part = result.value;
        graph.hosts.push(part.host);
        graph.vms.push(...part.vms);
        graph.nics.push(...part.nics);
        graph.disks.push(...part.disks);
        graph.networks.push(...part.networks);
      } else {
        const error = asProviderError(result.reason);
        errors.push(error);
        graph.partErrors.push({ scope: `host ${host.host}:${host.port}`, code: error.code, message: error.message });
        this.options.logger.warn(`hyperv: host ${host.host}:${host.port} failed: ${error.message}`);
      }
    });
    if (errors.length === this.config.hosts.length) throw errors[0];
    return graph;
  }

  /**
   * Reads the admin event logs of every host from its bookmarks (one script per host). A host
   * that fails keeps its old bookmarks and is logged; if every host fails, this throws, so the
   * caller keeps its checkpoint. Never returns a bookmark ahead of an event it does not return.
   */
  async collectEvents(checkpoint: HyperVEventsCheckpoint): Promise<{ events: ProviderEvent[]; checkpoint: HyperVEventsCheckpoint }> {
    const results = await settleWithConcurrency(this.config.hosts, this.config.hostConcurrency, async (host) => {
      if (this.options.signal?.aborted) throw new ProviderError(ProviderErrorCode.Timeout, 'event poll aborted');
      return this.collectHostEvents(host, checkpoint[hostNativeId(host)] ?? {});
    });
    const events: ProviderEvent[] = [];
    const next: HyperVEventsCheckpoint = {};
    const errors: ProviderError[] = [];
    results.forEach((result, i) => {
      const host = this.config.hosts[i];
      const id = hostNativeId(host);
      if (result.status === 'fulfilled') {
        events.push(...result.value.events);
        next[id] = result.value.bookmarks;
      } else {
        const error = asProviderError(result.reason);
        errors.push(error);
        if (checkpoint[id]) next[id] = checkpoint[id];
        this.options.logger.warn(`hyperv: events of host ${host.host}:${host.port} not read, its bookmarks are kept: ${error.message}`);
      }
    });
    if (errors.length === this.config.hosts.length) throw errors[0];
    events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    return { events, checkpoint: next };
  }

  /**
   * Reads the counters of every host (one script per host) and keeps the samples of the asked-for
   * VMs. A host that fails is logged and contributes nothing; if every host fails, this throws.
   */
  async collectMetrics(vmNativeIds: string[]): Promise<MetricSample[]> {
    const results = await settleWithConcurrency(this.config.hosts, this.config.hostConcurrency, async (host) => {
      if (this.options.signal?.aborted) throw new ProviderError(ProviderErrorCode.Timeout, 'metrics capture aborted');
      const where = `${host.host}:${host.port}`;
      const session = await this.openSession(host);
      try {
        const stdout = await session.run(METRICS_COMMAND_NAME, METRICS_SCRIPT, undefined, this.options.signal);
        const result = parseHyperVMetrics(stdout, vmNativeIds, `${METRICS_COMMAND_NAME} on ${where}`);
        for (const warning of result.warnings) this.options.logger.warn(`hyperv: host ${where}: ${warning}`);
        return result.samples;
      } finally {
        session.close();
      }
    });
    const samples: MetricSample[] = [];
    const errors: ProviderError[] = [];
    results.forEach((result, i) => {
      const host = this.config.hosts[i];
      if (result.status === 'fulfilled') samples.push(...result.value);
      else {
        const error = asProviderError(result.reason);
        errors.push(error);
        this.options.logger.warn(`hyperv: metrics of host ${host.host}:${host.port} not read: ${error.message}`);
      }
    });
    if (errors.length === this.config.hosts.length) throw errors[0];
    return samples;
  }

  private async collectHostEvents(host: HyperVHostConfig & { port: number }, bookmarks: HyperVLogBookmarks): Promise<{ events: ProviderEvent[]; bookmarks: HyperVLogBookmarks }> {
    const where = `${host.host}:${host.port}`;
    const command = `${EVENTS_COMMAND_NAME} on ${where}`;
    const session = await this.openSession(host);
    let stdout: string;
    try {
      stdout = await session.run(EVENTS_COMMAND_NAME, buildEventsScript(bookmarks, this.config.eventsInitialLookbackMinutes), undefined, this.options.signal);
    } finally {
      session.close();
    }
    const document = parseHyperVEventsDocument(stdout, command);
    const polledAt = new Date();
    const events = document.records.map((record) => normalizeHyperVEvent(record, hostNativeId(host), command, polledAt));
    for (const log of document.logs) {
      if (!log.exists) {
        this.options.logger.warn(`hyperv: host ${where} has no event log ${log.logName}: is the Hyper-V role installed? Its events are not collected`);
      } else if (!log.isEnabled) {
        this.options.logger.warn(`hyperv: event log ${log.logName} is disabled on host ${where}: the host records no new events there (enable it with: wevtutil sl ${log.logName} /e:true)`);
      }
      if (log.mode === 'time' && bookmarks[log.logName] !== undefined) {
        this.options.logger.warn(
          `hyperv: event log ${log.logName} on host ${where} was cleared or rolled (newest record ${log.newest ?? 'none'}, bookmark ${bookmarks[log.logName]}): resynced from the last ${this.config.eventsInitialLookbackMinutes} minutes`,
        );
      }
    }
    return { events, bookmarks: nextBookmarks(bookmarks, document) };
  }

  private async openSession(host: HyperVHostConfig & { port: number }): Promise<PowerShellSession> {
    if (host.skipHostKeyCheck) this.options.logger.warn(`hyperv: host key of ${host.host}:${host.port} is not pinned (skipHostKeyCheck)`);
    return PowerShellSession.open(this.connection(host));
  }

  private async collectHost(host: HyperVHostConfig & { port: number }) {
    if (host.skipHostKeyCheck) this.options.logger.warn(`hyperv: host key of ${host.host}:${host.port} is not pinned (skipHostKeyCheck)`);
    const session = await PowerShellSession.open(this.connection(host));
    try {
      const stdout = await session.run('inventory script', INVENTORY_SCRIPT);
      return parseHyperVInventory(stdout, hostNativeId(host), `inventory script on ${host.host}:${host.port}`);
    } finally {
      session.close();
    }
  }

  private connection(host: HyperVHostConfig & { port: number }): HyperVConnection {
    return hyperVConnection(this.config, this.credentials, host);
  }
}

/** How to reach one configured host with the provider's account and secrets. */
export function hyperVConnection(config: ResolvedHyperVConfig, credentials: HyperVCredentials, host: HyperVHostConfig & { port: number }): HyperVConnection {
  return {
    host: host.host,
    port: host.port,
    username: config.username,
    password: credentials.password,
    privateKey: credentials.privateKey,
    passphrase: credentials.passphrase,
    hostKeyFingerprint: host.hostKeyFingerprint,
    skipHostKeyCheck: host.skipHostKeyCheck,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
  };
}

function asProviderError(error: unknown): ProviderError {
  return error instanceof ProviderError ? error : new ProviderError(ProviderErrorCode.Unknown, error instanceof Error ? error.message : String(error));
}
