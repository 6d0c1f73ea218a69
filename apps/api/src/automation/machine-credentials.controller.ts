import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { MachineCredentialsService } from '@hybridforms/automation';
import { CreateMachineCredentialDto, UpdateMachineCredentialDto } from './automation.dto.js';
import { presentCredential } from './automation.presenter.js';
import { Audited } from '../auth/access.decorators.js';

/** SSH identities for playbook runs; the private key is write-only. */
@ApiTags('machine-credentials')
@Controller('machine-credentials')
export class MachineCredentialsController {
  constructor(private readonly credentials: MachineCredentialsService) {}

  @Post()
  @Audited('machine-credential.create', 'machine-credential')
  async create(@Body() body: CreateMachineCredentialDto) {
    return presentCredential(await this.credentials.create(body));
  }

  @Get()
  async list() {
    return { items: (await this.credentials.list()).map(presentCredential), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentCredential(await this.credentials.get(id));
  }

  @Patch(':id')
  @Audited('machine-credential.update', 'machine-credential')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateMachineCredentialDto) {
    return presentCredential(await this.credentials.update(id, body));
  }

  @Delete(':id')
  @Audited('machine-credential.delete', 'machine-credential')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.credentials.remove(id);
  }
}
