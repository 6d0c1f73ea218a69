import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AutomationRulesService } from '@hybridforms/automation';
import { maskSensitiveFields } from '@hybridforms/core';
import type { AutomationRuleEntity } from '@hybridforms/persistence';
import { CreateAutomationRuleDto, UpdateAutomationRuleDto } from './automation.dto.js';
import { Audited } from '../auth/access.decorators.js';

function presentRule(rule: AutomationRuleEntity) {
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    on: { provider: rule.onProviderId, type: rule.onType, osFamily: rule.onOsFamily },
    playbook: rule.playbook,
    // Sealed values (secret-like names) show as ***.
    extraVars: maskSensitiveFields(rule.extraVars),
    credentialId: rule.credentialId,
    cooldownSeconds: rule.cooldownSeconds,
    maxRunsPerHour: rule.maxRunsPerHour,
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}

/** Rules that queue a playbook run on an event's VM when a matching event is stored. */
@ApiTags('automation-rules')
@Controller('automation-rules')
export class AutomationRulesController {
  constructor(private readonly rules: AutomationRulesService) {}

  @Post()
  @Audited('automation-rule.create', 'automation-rule')
  async create(@Body() body: CreateAutomationRuleDto) {
    return presentRule(await this.rules.create(body));
  }

  @Get()
  async list() {
    return { items: (await this.rules.list()).map(presentRule), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentRule(await this.rules.get(id));
  }

  @Patch(':id')
  @Audited('automation-rule.update', 'automation-rule')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateAutomationRuleDto) {
    return presentRule(await this.rules.update(id, body));
  }

  @Delete(':id')
  @Audited('automation-rule.delete', 'automation-rule')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.rules.remove(id);
  }
}
