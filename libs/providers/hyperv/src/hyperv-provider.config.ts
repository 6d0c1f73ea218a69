/** One Hyper-V host of a provider (a standalone host, or a node of a small cluster). */
export interface HyperVHostConfig {
  /** Address or DNS name of the host's OpenSSH server. */
  host: string;
  /** Default 22. */
  port?: number;
  /** `SHA256:…` as `ssh-keygen -lf` prints it; required unless skipHostKeyCheck. */
  hostKeyFingerprint?: string;
  /** Explicit opt-out of host key pinning; logged as a warning on every connection. */
  skipHostKeyCheck?: boolean;
  /**
   * The folders of this host that hold template VHDX files (provisionSources lists the `*.vhdx`
   * directly under each): absolute Windows paths (`D:\Library\Templates`, or a UNC share
   * `\\filer\library`), up to 16. Per host, not per provider: a template is a file on one host's
   * disk, and a VM made from it goes on that host. Default none.
   */
  libraryPaths?: string[];
}

/** Non-secret settings of a Hyper-V provider. */
export interface HyperVProviderConfig {
  /** The account that runs the inventory script (a member of "Hyper-V Administrators"). */
  username: string;
  hosts: HyperVHostConfig[];
  /** Hosts refreshed at the same time; 1..16, default 4. */
  hostConcurrency?: number;
  /** Timeout of one command; 5..3600 s, default 120. */
  commandTimeoutSeconds?: number;
  /** Timeout of the SSH handshake; 1..120 s, default 15. */
  connectTimeoutSeconds?: number;
  /**
   * How far back the first event poll of a host reads (and a cleared log is re-read), by time;
   * 1..10080 minutes (a week), default 60.
   */
  eventsInitialLookbackMinutes?: number;
  /** How long the `guest` step of a create waits for the new guest to report its OS and an address through KVP; 5..3600 s, default 600. */
  guestWaitSeconds?: number;
}

/** Secrets of a Hyper-V provider: a password, or a private key with its optional passphrase. */
export interface HyperVCredentials {
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

const CONFIG_KEYS = ['username', 'hosts', 'hostConcurrency', 'commandTimeoutSeconds', 'connectTimeoutSeconds', 'eventsInitialLookbackMinutes', 'guestWaitSeconds'];
const HOST_KEYS = ['host', 'port', 'hostKeyFingerprint', 'skipHostKeyCheck', 'libraryPaths'];
/** Most library paths a host may list. */
export const MAX_LIBRARY_PATHS = 16;
const CREDENTIAL_KEYS = ['password', 'privateKey', 'passphrase'];
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[?[0-9a-fA-F:]+\]?$/;

/** Shape checks without I/O: one message per problem. */
export function validateHyperVConfig(config: unknown, credentials: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(config)) return ['config: must be an object'];
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.includes(key)) problems.push(`config.${key}: unknown setting`);
  if (typeof config.username !== 'string' || !/^[^\s"]{1,104}$/.test(config.username)) problems.push('config.username: must be an account name such as hybridforms or DOMAIN\\svc-hybridforms');
  if (!Array.isArray(config.hosts) || config.hosts.length === 0 || config.hosts.length > 64) {
    problems.push('config.hosts: must list 1 to 64 hosts');
  } else {
    const seen = new Set<string>();
    config.hosts.forEach((entry: unknown, i: number) => {
      const at = `config.hosts[${i}]`;
      if (!isObject(entry)) return problems.push(`${at}: must be an object`);
      for (const key of Object.keys(entry)) if (!HOST_KEYS.includes(key)) problems.push(`${at}.${key}: unknown setting`);
      if (typeof entry.host !== 'string' || !HOSTNAME.test(entry.host)) problems.push(`${at}.host: must be a host name or IP address`);
      if (entry.port !== undefined && !(Number.isInteger(entry.port) && (entry.port as number) >= 1 && (entry.port as number) <= 65535)) problems.push(`${at}.port: must be 1-65535`);
      if (entry.skipHostKeyCheck !== undefined && typeof entry.skipHostKeyCheck !== 'boolean') problems.push(`${at}.skipHostKeyCheck: must be true or false`);
      if (entry.hostKeyFingerprint !== undefined && (typeof entry.hostKeyFingerprint !== 'string' || !FINGERPRINT.test(entry.hostKeyFingerprint))) {
        problems.push(`${at}.hostKeyFingerprint: must be SHA256:<43 base64 characters> as ssh-keygen -lf prints it`);
      }
      if (entry.hostKeyFingerprint === undefined && entry.skipHostKeyCheck !== true) {
        problems.push(`${at}: give hostKeyFingerprint to pin the host key, or skipHostKeyCheck: true to opt out explicitly`);
      }
      if (entry.libraryPaths !== undefined) {
        if (!Array.isArray(entry.libraryPaths) || entry.libraryPaths.length > MAX_LIBRARY_PATHS) {
          problems.push(`${at}.libraryPaths: must list up to ${MAX_LIBRARY_PATHS} folders`);
        } else {
          entry.libraryPaths.forEach((path: unknown, j: number) => {
            const problem = windowsFolderProblem(path);
            if (problem) problems.push(`${at}.libraryPaths[${j}]: ${problem}`);
          });
        }
      }
      const id = `${String(entry.host).toLowerCase()}:${entry.port ?? 22}`;
      if (seen.has(id)) problems.push(`${at}: ${id} is listed twice`);
      seen.add(id);
    });
  }
  range(problems, config, 'hostConcurrency', 1, 16);
  range(problems, config, 'commandTimeoutSeconds', 5, 3600);
  range(problems, config, 'connectTimeoutSeconds', 1, 120);
  range(problems, config, 'eventsInitialLookbackMinutes', 1, 10080);
  range(problems, config, 'guestWaitSeconds', 5, 3600);

  if (!isObject(credentials)) return [...problems, 'credentials: must be an object'];
  for (const key of Object.keys(credentials)) if (!CREDENTIAL_KEYS.includes(key)) problems.push(`credentials.${key}: unknown setting`);
  const hasPassword = typeof credentials.password === 'string' && credentials.password.length > 0;
  const hasKey = typeof credentials.privateKey === 'string' && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(credentials.privateKey);
  if (!hasPassword && !hasKey) problems.push('credentials: give a password, or a privateKey (PEM or OpenSSH) with an optional passphrase');
  if (credentials.passphrase !== undefined && typeof credentials.passphrase !== 'string') problems.push('credentials.passphrase: must be a string');
  return problems;
}

export interface ResolvedHyperVConfig {
  username: string;
  hosts: (HyperVHostConfig & { port: number; libraryPaths: string[] })[];
  hostConcurrency: number;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  eventsInitialLookbackMinutes: number;
  guestWaitMs: number;
}

/** Default of {@link HyperVProviderConfig.eventsInitialLookbackMinutes}. */
export const DEFAULT_EVENTS_INITIAL_LOOKBACK_MINUTES = 60;

export function resolveHyperVConfig(config: HyperVProviderConfig): ResolvedHyperVConfig {
  return {
    username: config.username,
    hosts: config.hosts.map((h) => ({ host: h.host, port: h.port ?? 22, hostKeyFingerprint: h.hostKeyFingerprint, skipHostKeyCheck: h.skipHostKeyCheck, libraryPaths: [...(h.libraryPaths ?? [])] })),
    hostConcurrency: config.hostConcurrency ?? 4,
    commandTimeoutMs: (config.commandTimeoutSeconds ?? 120) * 1000,
    connectTimeoutMs: (config.connectTimeoutSeconds ?? 15) * 1000,
    eventsInitialLookbackMinutes: config.eventsInitialLookbackMinutes ?? DEFAULT_EVENTS_INITIAL_LOOKBACK_MINUTES,
    guestWaitMs: (config.guestWaitSeconds ?? 600) * 1000,
  };
}

const ABSOLUTE_WINDOWS_FOLDER = /^(?:[A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)/;
/** Characters Windows forbids in paths, control characters, and the quotes PowerShell also reads as `'` (U+2018–U+201B). */
const FORBIDDEN_FOLDER_CHARACTERS = /[<>"|?*\u0000-\u001f\u2018-\u201b]/;

/** Why a value is not an absolute Windows folder path (drive or UNC) without `.`/`..` segments, or null. */
export function windowsFolderProblem(path: unknown): string | null {
  if (typeof path !== 'string' || path.length === 0 || path.length > 248) return 'must be a folder path of 1 to 248 characters';
  if (!ABSOLUTE_WINDOWS_FOLDER.test(path)) return 'must be an absolute Windows path such as D:\\Library\\Templates or \\\\server\\share\\folder';
  if (FORBIDDEN_FOLDER_CHARACTERS.test(path) || path.slice(2).includes(':')) return 'holds characters a Windows path cannot have';
  if (path.split('\\').some((segment, i) => i > 0 && (segment === '.' || segment === '..'))) return 'must not have . or .. segments';
  return null;
}

function range(problems: string[], config: Record<string, unknown>, key: string, min: number, max: number): void {
  const value = config[key];
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) problems.push(`config.${key}: must be an integer from ${min} to ${max}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
