import {
  emptyInventoryGraph,
  ProviderError,
  ProviderErrorCode,
  settleWithConcurrency,
  type InventoryGraph,
  type ProviderLogger,
} from '@hybridforms/core';
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
    return {
      host: host.host,
      port: host.port,
      username: this.config.username,
      password: this.credentials.password,
      privateKey: this.credentials.privateKey,
      passphrase: this.credentials.passphrase,
      hostKeyFingerprint: host.hostKeyFingerprint,
      skipHostKeyCheck: host.skipHostKeyCheck,
      connectTimeoutMs: this.config.connectTimeoutMs,
      commandTimeoutMs: this.config.commandTimeoutMs,
    };
  }
}

function asProviderError(error: unknown): ProviderError {
  return error instanceof ProviderError ? error : new ProviderError(ProviderErrorCode.Unknown, error instanceof Error ? error.message : String(error));
}
