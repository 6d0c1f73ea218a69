import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a CLI command writes: the result alone on `out` (so `$(…)` captures it), everything else on `err`. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Parses a command's options strictly. Returns the values, or the exit code when there is nothing
 * more to do: 2 after a parse error (with the usage on `err`), 0 after `--help` (usage on `out`).
 */
export function parseCommandArgs<T extends ParseArgsConfig['options']>(
  args: string[],
  options: T,
  usage: string,
  io: CommandOutput,
): { values: Record<string, string | boolean | undefined> } | { exit: number } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, strict: true }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    io.err(`${(error as Error).message}\n${usage}`);
    return { exit: 2 };
  }
  if (values.help) {
    io.out(usage);
    return { exit: 0 };
  }
  return { values };
}
