import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager } from 'typeorm';
import { ProviderEntity } from '../entities/index.js';

/** Provider rows (credentials arrive sealed: this repository never sees them open). */
@Injectable()
export class ProviderRepository {
  constructor(@InjectRepository(ProviderEntity) private readonly providers: Repository<ProviderEntity>) {}

  /** Every provider, by name. */
  list(): Promise<ProviderEntity[]> {
    return this.providers.find({ order: { name: 'ASC' } });
  }

  findById(id: string): Promise<ProviderEntity | null> {
    return this.providers.findOneBy({ id });
  }

  findByName(name: string): Promise<ProviderEntity | null> {
    return this.providers.findOneBy({ name });
  }

  existsByName(name: string): Promise<boolean> {
    return this.providers.existsBy({ name });
  }

  /** Inserts or overwrites the row. */
  async save(provider: ProviderEntity): Promise<ProviderEntity> {
    return this.providers.save(provider);
  }

  async markFullRefreshRequested(id: string, at: Date): Promise<void> {
    await this.providers.update({ id }, { lastFullRefreshAt: at });
  }

  /**
   * Deletes the provider (its inventory, refreshes, events and checkpoints go with it: ON DELETE
   * CASCADE) in one transaction with `alsoDelete`, for rows that no foreign key ties to it.
   */
  async delete(id: string, alsoDelete: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.providers.manager.transaction(async (manager) => {
      await alsoDelete(manager);
      await manager.delete(ProviderEntity, { id });
    });
  }
}
