import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { MetricCaptureEntity, VmEntity } from '../entities/index.js';

/** Where each provider's metric capture stands, and the VMs a capture reads. */
@Injectable()
export class MetricCaptureRepository {
  constructor(
    @InjectRepository(MetricCaptureEntity) private readonly captures: Repository<MetricCaptureEntity>,
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
  ) {}

  stateOf(providerId: string): Promise<MetricCaptureEntity | null> {
    return this.captures.findOneBy({ providerId });
  }

  /** The provider's running, inventoried VMs: only those report metrics. */
  runningVms(providerId: string): Promise<Pick<VmEntity, 'id' | 'nativeId' | 'location'>[]> {
    return this.vms.find({
      select: { id: true, nativeId: true, location: true },
      where: { providerId, powerState: 'running', archivedAt: IsNull() },
    });
  }

  /** A capture that stored its samples: the window's end moves on and the count adds up. */
  async recordCaptured(providerId: string, capturedUntil: Date, now: Date, samplesStored: number): Promise<void> {
    const previous = (await this.captures.findOneBy({ providerId }))?.samplesStored ?? 0;
    await this.captures.save({ providerId, capturedUntil, capturedAt: now, lastError: null, samplesStored: previous + samplesStored });
  }

  /** A failed capture keeps the window's end, so the next one reads it again. */
  async recordFailure(providerId: string, message: string, now: Date): Promise<void> {
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
