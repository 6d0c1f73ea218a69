import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Audited, RequireRole } from './access.decorators.js';
import { ApiTokenService } from '@hybridforms/access';
import type { AuthenticatedRequest } from './request-context.js';
import { CreateTokenDto } from './token.dto.js';
import { presentToken } from './token.presenter.js';

/** Admin only, reads included. */
@ApiTags('tokens')
@RequireRole('admin')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: ApiTokenService) {}

  /** The answer is the only time the token itself is ever shown. */
  @Post()
  @Audited('token.create', 'token')
  async create(@Body() body: CreateTokenDto, @Req() request: AuthenticatedRequest) {
    const { entity, token } = await this.tokens.create({
      name: body.name,
      role: body.role,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      createdBy: request.principal?.name ?? 'unknown',
    });
    return { ...presentToken(entity), token };
  }

  @Get()
  async list() {
    return { items: (await this.tokens.list()).map(presentToken), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return presentToken(await this.tokens.get(id));
  }

  @Delete(':id')
  @Audited('token.revoke', 'token')
  async revoke(@Param('id', ParseUUIDPipe) id: string) {
    return presentToken(await this.tokens.revoke(id));
  }
}
