import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { configDir } from '@hybridforms/core';
import { sendProblem } from '../common/http-input.js';

export const CONSOLE_PREFIX = '/console';

/** Where `npm run build` puts the console (scripts/build-console.mjs), found from the project's config/ folder like the rest of the project. */
export function consoleDir(): string {
  return resolve(configDir(), '..', 'dist', 'console');
}

/**
 * Serves the built console at /console, without a token (the files hold no data; every API call
 * they make needs one). Bundles under assets/ are named by their content's hash, so a browser may
 * keep them for a year; index.html names the current ones, so it is revalidated every time.
 */
export function serveConsole(app: NestExpressApplication, dir = consoleDir()): void {
  app.use(CONSOLE_PREFIX, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // `/console` → `/console/`: the page's relative requests then resolve under the prefix.
    if (req.originalUrl.split('?')[0] === CONSOLE_PREFIX) return res.redirect(301, `${CONSOLE_PREFIX}/`);
    if (!existsSync(resolve(dir, 'index.html'))) return sendProblem(res, 503, 'the console is not built: run `npm run build`');
    next();
  });
  app.useStaticAssets(dir, {
    prefix: `${CONSOLE_PREFIX}/`,
    index: 'index.html',
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res, path) => {
      const hashed = path.startsWith(resolve(dir, 'assets') + '/');
      res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
