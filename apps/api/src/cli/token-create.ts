import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { ConfigError, isRole, loadAppConfig, ROLES } from '@hybridforms/core';
import { ApiTokenService } from '@hybridforms/access';
import { ApiTokenRepository, openDatabase } from '@hybridforms/persistence';
import { parseCommandArgs, processOutput, type CommandOutput } from './command-output.js';

const USAGE = `usage: npm run token:create -- --name <name> [--role viewer|operator|admin] [--expires <ISO 8601>]
Creates an API token in the configured database (DATABASE_URL, or the SQLite file under DATA_DIR)
and prints it once on stdout; only its hash is stored.`;

/**
 * `npm run token:create`: the first admin token of an installation, or any token without the API.
 * Returns the exit code; the token alone goes to `out` (so `$(npm run -s token:create …)` captures it).
 */
export async function createTokenCommand(args: string[], env: NodeJS.ProcessEnv, io: CommandOutput = processOutput): Promise<number> {
  const parsed = parseCommandArgs(args, { name: { type: 'string' }, role: { type: 'string', default: 'admin' }, expires: { type: 'string' } }, USAGE, io);
  if ('exit' in parsed) return parsed.exit;
  const values = parsed.values as { name?: string; role?: string; expires?: string };
  const problems: string[] = [];
  const name = values.name?.trim() ?? '';
  if (!/^[\w.@:-][\w .@:-]{0,127}$/.test(name)) problems.push('--name: 1 to 128 letters, digits, spaces and . _ - @ : (required)');
  if (!isRole(values.role)) problems.push(`--role: one of ${ROLES.join(', ')}`);
  const expiresAt = values.expires ? new Date(values.expires) : null;
  if (values.expires && (Number.isNaN(expiresAt!.getTime()) || expiresAt!.getTime() <= Date.now())) problems.push('--expires: an ISO 8601 time in the future');
  if (problems.length > 0) {
    io.err(`${problems.join('\n')}\n${USAGE}`);
    return 2;
  }

  const config = loadAppConfig(env);
  const dataSource = await openDatabase({ databaseUrl: config.database.url, dataDir: config.database.dataDir });
  try {
    const service = new ApiTokenService(ApiTokenRepository.of(dataSource.manager), config);
    const { entity, token } = await service.create({ name, role: values.role as (typeof ROLES)[number], expiresAt, createdBy: 'cli' });
    io.err(`created ${entity.role} token "${entity.name}" (${entity.id})${entity.expiresAt ? `, expires ${entity.expiresAt.toISOString()}` : ''}; it is shown only now:`);
    io.out(token);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

// Run as a script (node dist/…/token-create.js), not when imported by a test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  createTokenCommand(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : `token:create failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
