// Builds the operator console (apps/console) into dist/console: content-hashed bundles under assets/
// (the API caches them for a year) and an index.html naming them (never cached). `npm run build`
// runs it after `nest build`, whose deleteOutDir would otherwise remove it.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'apps/console');
const target = process.argv[2] ?? join(root, 'dist/console');
// Built beside the target and swapped in whole, so a running API never serves half a build.
const staging = `${target}.building-${process.pid}`;

rmSync(staging, { recursive: true, force: true });
try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: join(source, 'src/main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    outdir: join(staging, 'assets'),
    metafile: true,
    tsconfig: join(source, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint !== undefined);
  if (!entry) throw new Error('esbuild produced no entry bundle');
  const [script, { cssBundle }] = entry;
  if (!cssBundle) throw new Error('the console bundle has no stylesheet (apps/console/src/main.tsx imports styles.css)');
  const url = (file) => `/console/${relative(staging, join(root, file)).split('\\').join('/')}`;
  const html = readFileSync(join(source, 'index.html'), 'utf8').replace('%APP_SCRIPT%', url(script)).replace('%APP_STYLES%', url(cssBundle));
  writeFileSync(join(staging, 'index.html'), html);
  cpSync(join(source, 'public'), staging, { recursive: true });
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(staging, target);
  // stderr: `$(npm run -s token:create …)` captures stdout, which must hold the token alone.
  process.stderr.write(`console built into ${relative(root, target) || basename(target)} (${basename(script)}, ${basename(cssBundle)})\n`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
