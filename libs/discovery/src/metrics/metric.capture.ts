import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type MetricTarget } from '@hybridforms/core';
import { MetricCaptureRepository, type MetricCaptureEntity, type StoredSample } from '@hybridforms/persistence';
import { MetricStore } from '@hybridforms/telemetry';
import { ProvidersService } from '../providers/providers.service.js';
import { ProviderTasks, type ProviderTaskSkipped } from '../providers/provider-tasks.js';

export type MetricCaptureOutcome = { status: 'stored'; vms: number; samples: number; window: { from: Date; to: Date } } | ProviderTaskSkipped;

// Each capture re-reads this much before the last one: providers publish the latest minutes
// late (Azure Monitor) and a re-read sample replaces the stored one.
const OVERLAP_MS = 5 * 60_000;
// VMs per plugin call: bounds the memory of one call, whatever the estate's size.
const TARGETS_PER_CALL = 1000;

/**
 * Captures metrics of a provider's running VMs over the window since the last capture and
 * stores them in bulk. The window's end is recorded only once its samples are stored.
 */
@Injectable()
export class MetricCapture {
  private readonly logger = new Logger(MetricCapture.name);
  private readonly tasks: ProviderTasks;

  constructor(
    providers: ProvidersService,
    private readonly store: MetricStore,
    private readonly captures: MetricCaptureRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.tasks = new ProviderTasks(providers, 'metric capture', this.logger);
  }

  capture(providerId: string, now = new Date()): Promise<MetricCaptureOutcome> {
    return this.tasks.run(
      providerId,
      (plugin) => typeof plugin.collectMetrics === 'function',
      async ({ plugin, ctx, bounded }): Promise<MetricCaptureOutcome> => {
        const window = await this.windowFor(providerId, now);
        const running = await this.captures.runningVms(providerId);
        const idByNative = new Map(running.map((vm) => [vm.nativeId, vm.id]));
        let stored = 0;
        for (let i = 0; i < running.length; i += TARGETS_PER_CALL) {
          const targets: MetricTarget[] = running.slice(i, i + TARGETS_PER_CALL).map((vm) => ({ vmNativeId: vm.nativeId, location: vm.location }));
          const samples = await bounded(plugin.collectMetrics!(ctx, targets, window));
          const rows: StoredSample[] = [];
          for (const sample of samples) {
            const vmId = idByNative.get(sample.vmNativeId);
            if (vmId) rows.push({ vmId, name: sample.name, ts: Math.floor(sample.timestamp.getTime() / 1000), value: sample.value });
          }
          stored += (await this.store.ingest(rows, now.getTime())).written;
        }
        await this.captures.recordCaptured(providerId, window.to, now, stored);
        return { status: 'stored', vms: running.length, samples: stored, window };
      },
      (message) => this.captures.recordFailure(providerId, message, now),
    );
  }

  state(providerId: string): Promise<MetricCaptureEntity | null> {
    return this.captures.stateOf(providerId);
  }

  /** From the last capture's end (less the overlap), at most maxCaptureWindowMinutes back, to now. */
  private async windowFor(providerId: string, now: Date): Promise<{ from: Date; to: Date }> {
    const last = (await this.captures.stateOf(providerId))?.capturedUntil;
    const earliest = now.getTime() - this.config.metrics.maxCaptureWindowMinutes * 60_000;
    const from = last ? Math.max(last.getTime() - OVERLAP_MS, earliest) : Math.max(now.getTime() - 10 * 60_000, earliest);
    return { from: new Date(floorToMinute(from)), to: new Date(floorToMinute(now.getTime()) + 60_000) };
  }
}

function floorToMinute(ms: number): number {
  return ms - (ms % 60_000);
}
