import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AutomationRuleEntity, VmEntity } from '../entities/index.js';

/** Automation rules, and the VM lookup a firing rule needs. */
@Injectable()
export class AutomationRuleRepository {
  constructor(
    @InjectRepository(AutomationRuleEntity) private readonly rules: Repository<AutomationRuleEntity>,
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
  ) {}

  /** By name. */
  list(): Promise<AutomationRuleEntity[]> {
    return this.rules.find({ order: { name: 'ASC' } });
  }

  enabled(): Promise<AutomationRuleEntity[]> {
    return this.rules.findBy({ enabled: true });
  }

  findById(id: string): Promise<AutomationRuleEntity | null> {
    return this.rules.findOneBy({ id });
  }

  nameTaken(name: string): Promise<boolean> {
    return this.rules.existsBy({ name });
  }

  /** Stores a new rule and returns it. */
  async add(fields: AutomationRuleEntity): Promise<AutomationRuleEntity> {
    const rule = this.rules.create(fields);
    await this.rules.save(rule);
    return rule;
  }

  async save(rule: AutomationRuleEntity): Promise<void> {
    await this.rules.save(rule);
  }

  async delete(id: string): Promise<void> {
    await this.rules.delete({ id });
  }

  /** The VM an event names: by our id, or by native id when the event came before the VM was inventoried. */
  async vmOfEvent(event: { providerId: string; vmId: string | null; vmNativeId: string | null }): Promise<VmEntity | null> {
    if (event.vmId) return this.vms.findOneBy({ id: event.vmId });
    if (event.vmNativeId) return this.vms.findOneBy({ providerId: event.providerId, nativeId: event.vmNativeId });
    return null;
  }
}
