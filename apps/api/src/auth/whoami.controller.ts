import { Controller, Get, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthenticatedRequest } from './request-context.js';

/** Who the caller's token is: a client (the console) learns its role here, to offer only what that role may do. */
@ApiTags('tokens')
@Controller('whoami')
export class WhoamiController {
  @Get()
  whoami(@Req() request: AuthenticatedRequest) {
    // The guard has authenticated the request before any route runs, so the principal is set.
    const { name, role, tokenId } = request.principal!;
    return { name, role, tokenId };
  }
}
