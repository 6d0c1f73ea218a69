import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { PlaybookCatalog } from '@hybridforms/automation';

/** The playbook catalog: the playbooks of the configured directories, the only ones a run may name. */
@ApiTags('playbooks')
@Controller('playbooks')
export class PlaybooksController {
  constructor(private readonly catalog: PlaybookCatalog) {}

  @Get()
  async list() {
    return { items: await this.catalog.list(), nextCursor: null };
  }
}
