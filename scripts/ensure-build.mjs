// Before `npm run start:api` / `start:worker`: builds dist/ if it is missing, under a lock, so that
// several processes started together build it once (`npm run build` rebuilds after a change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = ['api', 'worker'].map((app) => join(root, 'dist/apps', app, 'src/main.js'));
const lock = join(root, '.build-lock');
const built = () => entries.every((entry) => existsSync(entry));
while (!built()) {
  try {
    mkdirSync(lock);
  } catch {
    spawnSync('sleep', ['1']); // another process is building
    continue;
  }
  try {
    if (!built()) {
      const result = spawnSync('npx', ['nest', 'build', 'api'], { cwd: root, stdio: 'inherit' });
      if (result.status !== 0) process.exit(result.status ?? 1);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
