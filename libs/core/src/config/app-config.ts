import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The typed configuration every process reads once at start-up. */
export interface AppConfig {
  http: {
    port: number;
    host: string;
    maxBodyBytes: number;
    /** Browser origins allowed to call the API cross-origin (CORS); empty = no CORS headers at all. */
    corsOrigins: string[];
  };
  database: { url: string | null; dataDir: string };
  /** The job queue: in-process (embedded) or BullMQ on Redis (distributed mode). */
  queue: {
    /** REDIS_URL; null = embedded mode. */
    redisUrl: string | null;
    prefix: string;
    lockSeconds: number;
    stalledCheckSeconds: number;
    shutdownGraceSeconds: number;
    workerPort: number;
  };
  memory: {
    /** V8's heap growing factor, as 1 + percent/100 of what a full collection kept; 0 = V8's default. */
    heapGrowthPercent: number;
  };
  refresh: {
    defaultIntervalSeconds: number;
    schedulerTickSeconds: number;
    concurrency: number;
    staleAfterSeconds: number;
    timeoutSeconds: number;
  };
  events: {
    pollIntervalSeconds: number;
    refreshCoalesceSeconds: number;
    retentionDays: number;
  };
  metrics: {
    captureIntervalSeconds: number;
    maxCaptureWindowMinutes: number;
    rollupIntervalSeconds: number;
    purgeIntervalSeconds: number;
    realtimeRetentionHours: number;
    hourlyRetentionDays: number;
    dailyRetentionDays: number;
  };
  automation: {
    /** Absolute directories of the playbook catalog. */
    playbookDirs: string[];
    runnerPath: string;
    /** Where runs' private data directories live (0700; removed after each run). Short: SSH control sockets live below it. */
    workDir: string;
    concurrency: number;
    defaultTimeoutSeconds: number;
    maxTimeoutSeconds: number;
    cancelGraceSeconds: number;
    /** Which address of a VM is its ansible_host: per provider name, else the default. */
    defaultAddress: 'private' | 'public';
    providerAddress: Record<string, 'private' | 'public'>;
    /** host:port every VM address is mapped to (labs and the demo); null = the VM's own address. */
    sshTarget: { host: string; port: number } | null;
  };
  operations: {
    concurrency: number;
    maxTargets: number;
    timeoutSeconds: number;
    retirementCheckSeconds: number;
    retirementWarningDays: number;
  };
  provisioning: {
    /** Quotas of one request. */
    maxVmsPerRequest: number;
    maxVcpusPerRequest: number;
    /** Requests of one token pending approval, approved or running at once. */
    maxActivePerToken: number;
    /** The approval policy: a request is approved at once when it makes at most this many VMs (0: every request waits for an admin)… */
    autoApproveMaxCount: number;
    /** …of Azure sizes in this list… */
    autoApproveVmSizes: string[];
    /** …or Hyper-V VMs of at most these processors and memory. */
    autoApproveMaxCpuCount: number;
    autoApproveMaxMemoryMB: number;
    /** The most cloud-init user data a request may carry, in bytes (before any encoding). */
    maxUserDataBytes: number;
    /** VMs one process makes at once on one provider. */
    concurrencyPerProvider: number;
    /** How long a task waits for its VM to be in the inventory, then for its SSH port, in seconds. */
    inventoryWaitSeconds: number;
    sshWaitSeconds: number;
  };
  api: { defaultPageSize: number; maxPageSize: number };
  auth: {
    maxFailuresPerMinute: number;
    /** HYBRIDFORMS_ADMIN_TOKEN: a bootstrap admin token from the environment (automation, the demo, CI). */
    adminToken: string | null;
  };
  /** LOG_LEVEL, LOG_FORMAT: how much is logged, and as JSON lines or readable text (the demo's default). */
  log: { level: LogLevel; format: LogFormat };
  /** NODE_ENV=production: stricter start-up (no generated development key). */
  production: boolean;
}

const ADDRESS_KINDS = ['private', 'public'] as const;

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

// Environment variable → config path. The defaults file documents each one.
const ENV_KEYS: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  HYBRIDFORMS_MAX_BODY_BYTES: 'http.maxBodyBytes',
  HYBRIDFORMS_CORS_ORIGINS: 'http.corsOrigins',
  DATABASE_URL: 'database.url',
  DATA_DIR: 'database.dataDir',
  REDIS_URL: 'queue.redisUrl',
  HYBRIDFORMS_QUEUE_PREFIX: 'queue.prefix',
  HYBRIDFORMS_JOB_LOCK_SECONDS: 'queue.lockSeconds',
  HYBRIDFORMS_JOB_STALLED_CHECK_SECONDS: 'queue.stalledCheckSeconds',
  HYBRIDFORMS_SHUTDOWN_GRACE_SECONDS: 'queue.shutdownGraceSeconds',
  HYBRIDFORMS_WORKER_PORT: 'queue.workerPort',
  HYBRIDFORMS_HEAP_GROWTH_PERCENT: 'memory.heapGrowthPercent',
  HYBRIDFORMS_REFRESH_INTERVAL_SECONDS: 'refresh.defaultIntervalSeconds',
  HYBRIDFORMS_SCHEDULER_TICK_SECONDS: 'refresh.schedulerTickSeconds',
  HYBRIDFORMS_REFRESH_CONCURRENCY: 'refresh.concurrency',
  HYBRIDFORMS_REFRESH_STALE_SECONDS: 'refresh.staleAfterSeconds',
  HYBRIDFORMS_REFRESH_TIMEOUT_SECONDS: 'refresh.timeoutSeconds',
  HYBRIDFORMS_EVENT_POLL_SECONDS: 'events.pollIntervalSeconds',
  HYBRIDFORMS_EVENT_REFRESH_COALESCE_SECONDS: 'events.refreshCoalesceSeconds',
  HYBRIDFORMS_EVENT_RETENTION_DAYS: 'events.retentionDays',
  HYBRIDFORMS_METRIC_CAPTURE_SECONDS: 'metrics.captureIntervalSeconds',
  HYBRIDFORMS_METRIC_ROLLUP_SECONDS: 'metrics.rollupIntervalSeconds',
  HYBRIDFORMS_METRIC_PURGE_SECONDS: 'metrics.purgeIntervalSeconds',
  HYBRIDFORMS_METRIC_REALTIME_HOURS: 'metrics.realtimeRetentionHours',
  HYBRIDFORMS_METRIC_HOURLY_DAYS: 'metrics.hourlyRetentionDays',
  HYBRIDFORMS_METRIC_DAILY_DAYS: 'metrics.dailyRetentionDays',
  HYBRIDFORMS_PLAYBOOK_DIRS: 'automation.playbookDirs',
  HYBRIDFORMS_ANSIBLE_RUNNER: 'automation.runnerPath',
  HYBRIDFORMS_RUN_WORK_DIR: 'automation.workDir',
  HYBRIDFORMS_RUN_CONCURRENCY: 'automation.concurrency',
  HYBRIDFORMS_RUN_TIMEOUT_SECONDS: 'automation.defaultTimeoutSeconds',
  HYBRIDFORMS_AUTOMATION_SSH_TARGET: 'automation.sshTarget',
  HYBRIDFORMS_OPERATION_CONCURRENCY: 'operations.concurrency',
  HYBRIDFORMS_OPERATION_MAX_TARGETS: 'operations.maxTargets',
  HYBRIDFORMS_OPERATION_TIMEOUT_SECONDS: 'operations.timeoutSeconds',
  HYBRIDFORMS_RETIREMENT_CHECK_SECONDS: 'operations.retirementCheckSeconds',
  HYBRIDFORMS_RETIREMENT_WARNING_DAYS: 'operations.retirementWarningDays',
  HYBRIDFORMS_PROVISION_MAX_VMS_PER_REQUEST: 'provisioning.maxVmsPerRequest',
  HYBRIDFORMS_PROVISION_MAX_VCPUS_PER_REQUEST: 'provisioning.maxVcpusPerRequest',
  HYBRIDFORMS_PROVISION_MAX_ACTIVE_PER_TOKEN: 'provisioning.maxActivePerToken',
  HYBRIDFORMS_PROVISION_AUTO_APPROVE_MAX_COUNT: 'provisioning.autoApproveMaxCount',
  HYBRIDFORMS_PROVISION_AUTO_APPROVE_VM_SIZES: 'provisioning.autoApproveVmSizes',
  HYBRIDFORMS_PROVISION_CONCURRENCY_PER_PROVIDER: 'provisioning.concurrencyPerProvider',
  HYBRIDFORMS_AUTH_MAX_FAILURES_PER_MINUTE: 'auth.maxFailuresPerMinute',
  LOG_LEVEL: 'log.level',
  LOG_FORMAT: 'log.format',
};

/** Relative paths of the configuration (the playbook directories) are relative to the project. */
function projectRoot(): string {
  return dirname(configDir());
}

/** The repository's config/ folder, found from this file whether it runs from src or dist. */
export function configDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(resolve(dir, 'config/hybridforms.defaults.jsonc'))) return resolve(dir, 'config');
    dir = dirname(dir);
  }
  return resolve(process.cwd(), 'config');
}

/** Reads JSON with whole-line // comments (our documented defaults file). */
export function readJsonc(path: string): Json {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  return JSON.parse(text) as Json;
}

/**
 * Defaults from config/, then the file named by HYBRIDFORMS_CONFIG, then the environment.
 * Fails once, listing every invalid key.
 */
export function loadAppConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const merged = readJsonc(resolve(configDir(), 'hybridforms.defaults.jsonc'));
  if (env.HYBRIDFORMS_CONFIG) {
    try {
      deepMerge(merged, readJsonc(resolve(env.HYBRIDFORMS_CONFIG)));
    } catch (error) {
      problems.push(`HYBRIDFORMS_CONFIG (${env.HYBRIDFORMS_CONFIG}): ${(error as Error).message}`);
    }
  }
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(merged, path, value);
  }

  const read = new ConfigReader(merged, problems);
  const config: AppConfig = {
    http: {
      port: read.int('http.port', 0, 65535),
      host: read.string('http.host'),
      maxBodyBytes: read.int('http.maxBodyBytes', 1024, 100 * 1024 * 1024),
      corsOrigins: read.originList('http.corsOrigins'),
    },
    database: {
      url: read.optionalString('database.url'),
      dataDir: read.string('database.dataDir'),
    },
    queue: {
      redisUrl: read.optionalString('queue.redisUrl'),
      prefix: read.string('queue.prefix'),
      lockSeconds: read.int('queue.lockSeconds', 2, 3600),
      stalledCheckSeconds: read.int('queue.stalledCheckSeconds', 1, 3600),
      shutdownGraceSeconds: read.int('queue.shutdownGraceSeconds', 0, 24 * 3600),
      workerPort: read.int('queue.workerPort', 0, 65535),
    },
    memory: { heapGrowthPercent: read.int('memory.heapGrowthPercent', 0, 300) },
    refresh: {
      defaultIntervalSeconds: read.int('refresh.defaultIntervalSeconds', 60, 7 * 24 * 3600),
      schedulerTickSeconds: read.int('refresh.schedulerTickSeconds', 1, 3600),
      concurrency: read.int('refresh.concurrency', 1, 64),
      staleAfterSeconds: read.int('refresh.staleAfterSeconds', 30, 24 * 3600),
      timeoutSeconds: read.int('refresh.timeoutSeconds', 10, 24 * 3600),
    },
    events: {
      pollIntervalSeconds: read.int('events.pollIntervalSeconds', 1, 3600),
      refreshCoalesceSeconds: read.int('events.refreshCoalesceSeconds', 0, 600),
      retentionDays: read.int('events.retentionDays', 1, 3650),
    },
    metrics: {
      captureIntervalSeconds: read.int('metrics.captureIntervalSeconds', 1, 3600),
      maxCaptureWindowMinutes: read.int('metrics.maxCaptureWindowMinutes', 1, 24 * 60),
      rollupIntervalSeconds: read.int('metrics.rollupIntervalSeconds', 1, 3600),
      purgeIntervalSeconds: read.int('metrics.purgeIntervalSeconds', 1, 24 * 3600),
      realtimeRetentionHours: read.int('metrics.realtimeRetentionHours', 1, 24 * 31),
      hourlyRetentionDays: read.int('metrics.hourlyRetentionDays', 1, 3650),
      dailyRetentionDays: read.int('metrics.dailyRetentionDays', 1, 3650),
    },
    automation: {
      playbookDirs: read.stringList('automation.playbookDirs').map((dir) => resolve(projectRoot(), dir)),
      runnerPath: read.string('automation.runnerPath'),
      workDir: resolve(read.optionalString('automation.workDir') ?? join(tmpdir(), 'hybridforms-runs')),
      concurrency: read.int('automation.concurrency', 1, 64),
      defaultTimeoutSeconds: read.int('automation.defaultTimeoutSeconds', 10, 7 * 24 * 3600),
      maxTimeoutSeconds: read.int('automation.maxTimeoutSeconds', 10, 7 * 24 * 3600),
      cancelGraceSeconds: read.int('automation.cancelGraceSeconds', 1, 300),
      defaultAddress: read.oneOf('automation.defaultAddress', ADDRESS_KINDS),
      providerAddress: read.recordOf('automation.providerAddress', ADDRESS_KINDS),
      sshTarget: read.optionalHostPort('automation.sshTarget'),
    },
    operations: {
      concurrency: read.int('operations.concurrency', 1, 500),
      maxTargets: read.int('operations.maxTargets', 1, 100_000),
      timeoutSeconds: read.int('operations.timeoutSeconds', 5, 24 * 3600),
      retirementCheckSeconds: read.int('operations.retirementCheckSeconds', 1, 7 * 24 * 3600),
      retirementWarningDays: read.int('operations.retirementWarningDays', 0, 365),
    },
    provisioning: {
      maxVmsPerRequest: read.int('provisioning.maxVmsPerRequest', 1, 10_000),
      maxVcpusPerRequest: read.int('provisioning.maxVcpusPerRequest', 1, 1_000_000),
      maxActivePerToken: read.int('provisioning.maxActivePerToken', 1, 10_000),
      autoApproveMaxCount: read.int('provisioning.autoApproveMaxCount', 0, 10_000),
      autoApproveVmSizes: read.stringList('provisioning.autoApproveVmSizes'),
      autoApproveMaxCpuCount: read.int('provisioning.autoApproveMaxCpuCount', 0, 1024),
      autoApproveMaxMemoryMB: read.int('provisioning.autoApproveMaxMemoryMB', 0, 16 * 1024 * 1024),
      maxUserDataBytes: read.int('provisioning.maxUserDataBytes', 1, 1024 * 1024),
      concurrencyPerProvider: read.int('provisioning.concurrencyPerProvider', 1, 1000),
      inventoryWaitSeconds: read.int('provisioning.inventoryWaitSeconds', 1, 24 * 3600),
      sshWaitSeconds: read.int('provisioning.sshWaitSeconds', 1, 24 * 3600),
    },
    api: {
      defaultPageSize: read.int('api.defaultPageSize', 1, 1000),
      maxPageSize: read.int('api.maxPageSize', 1, 5000),
    },
    auth: {
      maxFailuresPerMinute: read.int('auth.maxFailuresPerMinute', 1, 100_000),
      // From the environment only: a secret does not belong in a config file.
      adminToken: env.HYBRIDFORMS_ADMIN_TOKEN?.trim() || null,
    },
    log: { level: read.oneOf('log.level', LOG_LEVELS), format: read.oneOf('log.format', LOG_FORMATS) },
    production: env.NODE_ENV === 'production',
  };
  if (config.database.url && !/^postgres(ql)?:\/\//.test(config.database.url)) {
    problems.push('database.url (DATABASE_URL): must be a postgres:// URL, or empty for embedded SQLite');
  }
  if (config.queue.redisUrl !== null) {
    // The URL may hold a password: problems name the variable, never repeat the value.
    if (!/^rediss?:\/\/[^\s]+$/.test(config.queue.redisUrl)) problems.push('queue.redisUrl (REDIS_URL): must be a redis:// or rediss:// URL');
    else if (!config.database.url) {
      problems.push('queue.redisUrl (REDIS_URL): distributed mode needs PostgreSQL: set DATABASE_URL too (the embedded SQLite file cannot be shared by several processes)');
    }
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(config.queue.prefix)) problems.push('queue.prefix (HYBRIDFORMS_QUEUE_PREFIX): 1 to 64 letters, digits, dots, dashes or underscores');
  if (config.queue.stalledCheckSeconds > config.queue.lockSeconds) problems.push('queue.stalledCheckSeconds: must not exceed queue.lockSeconds');
  if (config.metrics.hourlyRetentionDays * 24 < config.metrics.realtimeRetentionHours) {
    problems.push('metrics.hourlyRetentionDays: hourly rollups must be kept at least as long as the realtime samples');
  }
  if (config.metrics.dailyRetentionDays < config.metrics.hourlyRetentionDays) {
    problems.push('metrics.dailyRetentionDays: daily rollups must be kept at least as long as the hourly ones');
  }
  if (config.automation.defaultTimeoutSeconds > config.automation.maxTimeoutSeconds) {
    problems.push('automation.defaultTimeoutSeconds: must not exceed automation.maxTimeoutSeconds');
  }
  if (config.auth.adminToken !== null && !/^[\x21-\x7e]{32,512}$/.test(config.auth.adminToken)) {
    // The value itself is never repeated: it is a secret.
    problems.push('HYBRIDFORMS_ADMIN_TOKEN: must be 32 to 512 printable characters without spaces (e.g. `openssl rand -base64 32`)');
  }
  if (config.api.defaultPageSize > config.api.maxPageSize) problems.push('api.defaultPageSize: must not exceed api.maxPageSize');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class ConfigReader {
  constructor(
    private readonly root: Json,
    private readonly problems: string[],
  ) {}

  private raw(path: string): unknown {
    return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), this.root);
  }

  int(path: string, min: number, max: number): number {
    const raw = this.raw(path);
    const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${path}${envHint(path)}: must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return min;
    }
    return value;
  }

  string(path: string): string {
    const raw = this.raw(path);
    if (typeof raw !== 'string' || raw.trim() === '') {
      this.problems.push(`${path}${envHint(path)}: must be a non-empty string`);
      return '';
    }
    return raw;
  }

  optionalString(path: string): string | null {
    const raw = this.raw(path);
    if (raw === undefined || raw === null || raw === '') return null;
    if (typeof raw !== 'string') {
      this.problems.push(`${path}${envHint(path)}: must be a string`);
      return null;
    }
    return raw;
  }

  /** A list of non-empty strings: a JSON array, or comma-separated from the environment. */
  stringList(path: string): string[] {
    const raw = this.raw(path);
    const items = typeof raw === 'string' ? raw.split(',').map((item) => item.trim()) : raw;
    if (!Array.isArray(items) || items.length === 0 || items.some((item) => typeof item !== 'string' || item.trim() === '')) {
      this.problems.push(`${path}${envHint(path)}: must be a non-empty list of non-empty strings (comma-separated in the environment)`);
      return [];
    }
    return items as string[];
  }

  /** Browser origins (scheme://host[:port]): a JSON array, or comma-separated from the environment; empty allowed. */
  originList(path: string): string[] {
    const raw = this.raw(path) ?? [];
    const items = typeof raw === 'string' ? raw.split(',').map((item) => item.trim()).filter((item) => item !== '') : raw;
    if (!Array.isArray(items)) {
      this.problems.push(`${path}${envHint(path)}: must be a list of origins such as https://console.example.com (comma-separated in the environment)`);
      return [];
    }
    const bad = items.filter((item) => typeof item !== 'string' || originOf(item) === null);
    if (bad.length > 0) {
      this.problems.push(`${path}${envHint(path)}: ${bad.map((item) => JSON.stringify(item)).join(', ')} not an origin (http(s)://host[:port], no path; * is not allowed)`);
      return [];
    }
    return [...new Set((items as string[]).map((item) => originOf(item)!))];
  }

  recordOf<T extends string>(path: string, values: readonly T[]): Record<string, T> {
    const raw = this.raw(path) ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((value) => !values.includes(value as T))) {
      this.problems.push(`${path}: must map names to one of ${values.join(', ')}`);
      return {};
    }
    return raw as Record<string, T>;
  }

  optionalHostPort(path: string): { host: string; port: number } | null {
    const raw = this.optionalString(path);
    if (raw === null) return null;
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(raw.trim());
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      this.problems.push(`${path}${envHint(path)}: must be host:port, got ${JSON.stringify(raw)}`);
      return null;
    }
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  }

  oneOf<T extends string>(path: string, values: readonly T[]): T {
    const raw = this.raw(path);
    if (typeof raw !== 'string' || !values.includes(raw as T)) {
      this.problems.push(`${path}${envHint(path)}: must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
      return values[0];
    }
    return raw as T;
  }
}

/** The normalized origin (lower case, default port dropped), or null when the value is not one. */
function originOf(value: string): string | null {
  if (!/^https?:\/\/[^/\s?#@]+$/i.test(value)) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

function envHint(path: string): string {
  const name = Object.keys(ENV_KEYS).find((key) => ENV_KEYS[key] === path);
  return name ? ` (${name})` : '';
}

function setPath(root: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]] = value;
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object') {
      deepMerge(target[key] as Json, value as Json);
    } else {
      target[key] = value;
    }
  }
}
