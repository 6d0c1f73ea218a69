import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAppConfig } from './app-config.js';

describe('loadAppConfig', () => {
  it('reads the documented defaults from config/', () => {
    const config = loadAppConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database).toEqual({ url: null, dataDir: './data' });
    expect(config.refresh.defaultIntervalSeconds).toBe(900);
    expect(config.production).toBe(false);
  });

  it('lets the environment override, converting numbers', () => {
    const config = loadAppConfig({ PORT: '4010', DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://u@h/db', HYBRIDFORMS_REFRESH_INTERVAL_SECONDS: '120' });
    expect(config.http.port).toBe(4010);
    expect(config.database).toEqual({ url: 'postgres://u@h/db', dataDir: '/tmp/x' });
    expect(config.refresh.defaultIntervalSeconds).toBe(120);
  });

  it('reads the automation settings: catalog directories from the project, a short work dir, an SSH target', () => {
    const defaults = loadAppConfig({ DATA_DIR: '/tmp/hf-data' });
    expect(defaults.automation.playbookDirs).toHaveLength(1);
    expect(defaults.automation.playbookDirs[0]).toMatch(/\/config\/playbooks$/);
    expect(defaults.automation.workDir).toMatch(/hybridforms-runs$/);
    expect(defaults.automation.sshTarget).toBeNull();
    const custom = loadAppConfig({ HYBRIDFORMS_PLAYBOOK_DIRS: '/srv/playbooks, /opt/more', HYBRIDFORMS_AUTOMATION_SSH_TARGET: '127.0.0.1:2222' });
    expect(custom.automation.playbookDirs).toEqual(['/srv/playbooks', '/opt/more']);
    expect(custom.automation.sshTarget).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(() => loadAppConfig({ HYBRIDFORMS_AUTOMATION_SSH_TARGET: '127.0.0.1' })).toThrow(/automation.sshTarget \(HYBRIDFORMS_AUTOMATION_SSH_TARGET\): must be host:port/);
    expect(() => loadAppConfig({ HYBRIDFORMS_PLAYBOOK_DIRS: ' , ' })).toThrow(/automation.playbookDirs/);
  });

  it('allows no CORS origin by default, and reads origins from the environment, normalized', () => {
    expect(loadAppConfig({}).http.corsOrigins).toEqual([]);
    expect(loadAppConfig({ HYBRIDFORMS_CORS_ORIGINS: '' }).http.corsOrigins).toEqual([]);
    expect(loadAppConfig({ HYBRIDFORMS_CORS_ORIGINS: 'https://Console.example.com, http://localhost:5173,https://console.example.com:443' }).http.corsOrigins).toEqual([
      'https://console.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'console.example.com', 'https://console.example.com/path', 'ftp://x.example.com', 'https://user@x.example.com', 'null']) {
      expect(() => loadAppConfig({ HYBRIDFORMS_CORS_ORIGINS: bad })).toThrow(/http\.corsOrigins \(HYBRIDFORMS_CORS_ORIGINS\): .* not an origin/);
    }
  });

  it('reads the heap growth (25 by default, 0 = V8 decides) and refuses one out of range', () => {
    expect(loadAppConfig({}).memory.heapGrowthPercent).toBe(25);
    expect(loadAppConfig({ HYBRIDFORMS_HEAP_GROWTH_PERCENT: '0' }).memory.heapGrowthPercent).toBe(0);
    for (const bad of ['-1', '301', 'lots', '12.5']) {
      expect(() => loadAppConfig({ HYBRIDFORMS_HEAP_GROWTH_PERCENT: bad })).toThrow(/memory\.heapGrowthPercent \(HYBRIDFORMS_HEAP_GROWTH_PERCENT\)/);
    }
  });

  it('merges a HYBRIDFORMS_CONFIG file under the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-config-'));
    const file = join(dir, 'site.jsonc');
    writeFileSync(file, '// site\n{ "refresh": { "concurrency": 5 }, "http": { "port": 5000 } }');
    const config = loadAppConfig({ HYBRIDFORMS_CONFIG: file, PORT: '5001' });
    expect(config.refresh.concurrency).toBe(5);
    expect(config.refresh.defaultIntervalSeconds).toBe(900);
    expect(config.http.port).toBe(5001);
  });

  it('fails once with every invalid key, naming the environment variable', () => {
    let error: unknown;
    try {
      loadAppConfig({ PORT: 'eighty', LOG_LEVEL: 'chatty', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/http\.port \(PORT\)/);
    expect(problems.join('\n')).toMatch(/log\.level \(LOG_LEVEL\)/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
  });

  it('reads the log format, json by default, and refuses another', () => {
    expect(loadAppConfig({}).log).toEqual({ level: 'log', format: 'json' });
    expect(loadAppConfig({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug' }).log).toEqual({ level: 'debug', format: 'pretty' });
    expect(() => loadAppConfig({ LOG_FORMAT: 'xml' })).toThrow(/log\.format \(LOG_FORMAT\)/);
  });

  it('takes a bootstrap admin token from the environment only, refusing a short one without repeating it', () => {
    expect(loadAppConfig({}).auth).toEqual({ maxFailuresPerMinute: 20, adminToken: null });
    const token = 'x'.repeat(40);
    expect(loadAppConfig({ HYBRIDFORMS_ADMIN_TOKEN: token }).auth.adminToken).toBe(token);
    let error: unknown;
    try {
      loadAppConfig({ HYBRIDFORMS_ADMIN_TOKEN: 'too-short-secret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/HYBRIDFORMS_ADMIN_TOKEN: must be 32/);
    expect((error as Error).message).not.toContain('too-short-secret');
  });

  it('is embedded by default, and refuses distributed mode (REDIS_URL) on SQLite without repeating the URL', () => {
    expect(loadAppConfig({}).queue).toMatchObject({ redisUrl: null, prefix: 'hybridforms', lockSeconds: 30 });
    const distributed = loadAppConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://127.0.0.1/test' });
    expect(distributed.queue.redisUrl).toBe('redis://127.0.0.1:6379');

    const refused = (env: Record<string, string>) => {
      try {
        loadAppConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const onSqlite = refused({ REDIS_URL: 'redis://:hunter2-redis-pass@127.0.0.1:6379' });
    expect(onSqlite).toMatch(/REDIS_URL\): distributed mode needs PostgreSQL: set DATABASE_URL/);
    expect(onSqlite).not.toContain('hunter2-redis-pass');
    const notRedis = refused({ REDIS_URL: 'http://:hunter2-redis-pass@x', DATABASE_URL: 'postgres://127.0.0.1/test' });
    expect(notRedis).toMatch(/must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(notRedis).not.toContain('hunter2-redis-pass');
    expect(refused({ HYBRIDFORMS_JOB_LOCK_SECONDS: '5', HYBRIDFORMS_JOB_STALLED_CHECK_SECONDS: '10' })).toMatch(/stalledCheckSeconds: must not exceed/);
  });
});
