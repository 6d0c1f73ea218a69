// Before `npm run start:api` / `start:worker`: builds dist/ (the apps, and the console the API
// serves) if it is missing, under a lock, so that several processes started together build it once
// (`npm run build` rebuilds after a change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = ['api', 'worker'].map((app) => join(root, 'dist/apps', app, 'src/main.js'));
const consoleIndex = join(root, 'dist/console/index.html');
const lock = join(root, '.build-lock');
const appsBuilt = () => entries.every((entry) => existsSync(entry));
const built = () => appsBuilt() && existsSync(consoleIndex);
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
while (!built()) {
  try {
    mkdirSync(lock);
  } catch {
    spawnSync('sleep', ['1']); // another process is building
    continue;
  }
  let status = 0;
  try {
    // nest build empties dist/ first, so the console is built after it.
    if (!appsBuilt()) status = run('npx', ['nest', 'build', 'api']);
    if (status === 0 && !existsSync(consoleIndex)) status = run(process.execPath, [join(root, 'scripts/build-console.mjs')]);
  } finally {
    // Released before exiting, or the processes waiting on it would wait forever.
    rmSync(lock, { recursive: true, force: true });
  }
  if (status !== 0) process.exit(status);
}
