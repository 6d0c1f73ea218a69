import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadAppConfig } from '@hybridforms/core';

/*
 * No Docker engine runs here, so the image is never built in CI: these checks hold the Dockerfile,
 * its entrypoint and the compose file to what the code is (entry files, configuration variables).
 */
const ROOT = join(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Service = { command?: string[]; environment?: Record<string, string>; deploy?: { replicas?: number }; depends_on?: Record<string, unknown> };

describe('deployment files', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;
  const ours = Object.entries(services).filter(([, service]) => service.command?.[0] === 'api' || service.command?.[0] === 'worker');

  it('compose runs PostgreSQL, Redis, two API processes and three workers', () => {
    expect(services.postgres).toBeDefined();
    expect(services.redis).toBeDefined();
    const apis = ours.filter(([, service]) => service.command![0] === 'api').reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    const workers = ours.filter(([, service]) => service.command![0] === 'worker').reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    expect([apis, workers]).toEqual([2, 3]);
    for (const [, service] of ours) expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
  });

  it("gives every process a configuration it accepts: distributed mode on PostgreSQL", () => {
    for (const [name, service] of ours) {
      // Compose substitutes ${VAR:?…} from the operator's environment; stand-ins here.
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value).replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_, variable: string) => (variable === 'HYBRIDFORMS_SECRET_KEY' ? 'a'.repeat(44) : 'x'.repeat(40)))]),
      );
      const config = loadAppConfig({ ...env, NODE_ENV: 'production' });
      expect({ name, redis: config.queue.redisUrl, postgres: config.database.url?.startsWith('postgres://') }).toEqual({ name, redis: 'redis://redis:6379', postgres: true });
      expect(config.auth.adminToken).not.toBeNull();
    }
  });

  it('the image entrypoint starts the entry files the build makes, and the Dockerfile copies what exists', () => {
    const entrypoint = read('deploy/entrypoint.sh');
    const started = [...entrypoint.matchAll(/node dist\/(\S+)\.js/g)].map((match) => `${match[1]}.ts`);
    expect(started).toEqual(expect.arrayContaining(['apps/api/src/main.ts', 'apps/worker/src/main.ts']));
    for (const source of started) expect(existsSync(join(ROOT, source))).toBe(true);
    const dockerfile = read('Dockerfile');
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1].split(/\s+/));
    expect(copied.length).toBeGreaterThan(3);
    for (const path of copied) expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
    // The worker's health check and the image agree on its port.
    expect(dockerfile).toMatch(/HYBRIDFORMS_WORKER_PORT=3100/);
    expect(read('compose.yaml')).toMatch(/127\.0\.0\.1:3100\/health/);
  });
});
