/** Where a CLI command writes: the result alone on `out` (so `$(…)` captures it), everything else on `err`. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
