import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { MachineCredentialEntity } from '../entities/index.js';

/** Machine credentials (SSH identities of playbook runs), their key sealed. */
@Injectable()
export class MachineCredentialRepository {
  constructor(@InjectRepository(MachineCredentialEntity) private readonly credentials: Repository<MachineCredentialEntity>) {}

  /** By name. */
  list(): Promise<MachineCredentialEntity[]> {
    return this.credentials.find({ order: { name: 'ASC' } });
  }

  findById(id: string): Promise<MachineCredentialEntity | null> {
    return this.credentials.findOneBy({ id });
  }

  nameTaken(name: string): Promise<boolean> {
    return this.credentials.existsBy({ name });
  }

  /** Stores a new credential and returns it. */
  async add(fields: MachineCredentialEntity): Promise<MachineCredentialEntity> {
    const credential = this.credentials.create(fields);
    await this.credentials.save(credential);
    return credential;
  }

  async save(credential: MachineCredentialEntity): Promise<void> {
    await this.credentials.save(credential);
  }

  async delete(id: string): Promise<void> {
    await this.credentials.delete({ id });
  }
}
