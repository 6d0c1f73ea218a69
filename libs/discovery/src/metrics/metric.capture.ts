import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import {
  APP_CONFIG,
  ProviderError,
  redactingLogger,
  redactSecrets,
  type AppConfig,
  type MetricTarget,
  type ProviderContext,
} from '@hybridforms/core';
import { MetricCaptureEntity, VmEntity } from '@hybridforms/persistence';
import { MetricStore, type StoredSample } from '@hybridforms/telemetry';
import { ProvidersService } from '../providers/providers.service.js';
import { withTimeout } from '../events/event.catcher.js';

export type MetricCaptureOutcome =
  | { status: 'stored'; vms: number; samples: number; window: { from: Date; to: Date } }
  | { status: 'unsupported' }
  | { status: 'busy' }
  | { status: 'failed'; code: string; message: string };

// Each capture re-reads this much before the last one: providers publish the latest minutes
// late (Azure Monitor) and a re-read sample replaces the stored one.
const OVERLAP_MS = 5 * 60_000;
// VMs per plugin call: bounds the memory of one call, whatever the estate's size.
const TARGETS_PER_CALL = 1000;
const CAPTURE_TIMEOUT_MS = 5 * 60_000;

/**
 * Captures metrics of a provider's running VMs over the window since the last capture and
 * stores them in bulk. The window's end is recorded only once its samples are stored.
 */
@Injectable()
export class MetricCapture {
  private readonly logger = new Logger(MetricCapture.name);
  private readonly capturing = new Set<string>();

  constructor(
    private readonly providers: ProvidersService,
    private readonly store: MetricStore,
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
    @InjectRepository(MetricCaptureEntity) private readonly captures: Repository<MetricCaptureEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async capture(providerId: string, now = new Date()): Promise<MetricCaptureOutcome> {
    if (this.capturing.has(providerId)) return { status: 'busy' };
    this.capturing.add(providerId);
    let secrets: unknown[] = [];
    try {
      const { provider, plugin, credentials } = await this.providers.withSecrets(providerId);
      if (!plugin.collectMetrics) return { status: 'unsupported' };
      secrets = [credentials];
      const window = await this.windowFor(providerId, now);
      const running = await this.vms.find({
        select: { id: true, nativeId: true, location: true },
        where: { providerId, powerState: 'running', archivedAt: IsNull() },
      });
      const idByNative = new Map(running.map((vm) => [vm.nativeId, vm.id]));
      const abort = new AbortController();
      // One signal is shared by every concurrent call of the plugin (SDK requests add a listener each).
      setMaxListeners(256, abort.signal);
      const ctx: ProviderContext = {
        providerId,
        config: provider.config,
        credentials,
        logger: redactingLogger(new Logger(`metrics:${provider.name}`), [credentials]),
        signal: abort.signal,
      };
      let stored = 0;
      for (let i = 0; i < running.length; i += TARGETS_PER_CALL) {
        const targets: MetricTarget[] = running.slice(i, i + TARGETS_PER_CALL).map((vm) => ({ vmNativeId: vm.nativeId, location: vm.location }));
        const samples = await withTimeout(plugin.collectMetrics(ctx, targets, window), CAPTURE_TIMEOUT_MS, abort);
        const rows: StoredSample[] = [];
        for (const sample of samples) {
          const vmId = idByNative.get(sample.vmNativeId);
          if (vmId) rows.push({ vmId, name: sample.name, ts: Math.floor(sample.timestamp.getTime() / 1000), value: sample.value });
        }
        stored += (await this.store.ingest(rows, now.getTime())).written;
      }
      const previous = (await this.captures.findOneBy({ providerId }))?.samplesStored ?? 0;
      await this.captures.save({ providerId, capturedUntil: window.to, capturedAt: now, lastError: null, samplesStored: previous + stored });
      return { status: 'stored', vms: running.length, samples: stored, window };
    } catch (error) {
      const code = ProviderError.is(error) ? error.code : 'internal';
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      this.logger.warn(`metric capture of provider ${providerId} failed (${code}): ${message}`);
      await this.recordFailure(providerId, `${code}: ${message}`, now).catch(() => undefined);
      return { status: 'failed', code, message };
    } finally {
      this.capturing.delete(providerId);
    }
  }

  state(providerId: string): Promise<MetricCaptureEntity | null> {
    return this.captures.findOneBy({ providerId });
  }

  /** From the last capture's end (less the overlap), at most maxCaptureWindowMinutes back, to now. */
  private async windowFor(providerId: string, now: Date): Promise<{ from: Date; to: Date }> {
    const last = (await this.captures.findOneBy({ providerId }))?.capturedUntil;
    const earliest = now.getTime() - this.config.metrics.maxCaptureWindowMinutes * 60_000;
    const from = last ? Math.max(last.getTime() - OVERLAP_MS, earliest) : Math.max(now.getTime() - 10 * 60_000, earliest);
    return { from: new Date(floorToMinute(from)), to: new Date(floorToMinute(now.getTime()) + 60_000) };
  }

  private async recordFailure(providerId: string, message: string, now: Date): Promise<void> {
    const existing = await this.captures.findOneBy({ providerId });
    await this.captures.save({
      providerId,
      capturedUntil: existing?.capturedUntil ?? null,
      capturedAt: now,
      lastError: message.slice(0, 1024),
      samplesStored: existing?.samplesStored ?? 0,
    });
  }
}

function floorToMinute(ms: number): number {
  return ms - (ms % 60_000);
}
