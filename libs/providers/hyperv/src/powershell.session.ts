import { createHash } from 'node:crypto';
import { NodeSSH, type Config } from 'node-ssh';
import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { encodePowerShellCommand } from './powershell-command.js';
import { powerShellFailure, readPowerShellStderr } from './powershell-output.parser.js';

/** How to reach one Hyper-V host's OpenSSH server. Secrets: password, privateKey, passphrase. */
export interface HyperVConnection {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** `SHA256:…` as `ssh-keygen -lf` prints it; the session refuses any other host key. */
  hostKeyFingerprint?: string;
  /** Explicit opt-out of host key pinning (logged as a warning by the caller). */
  skipHostKeyCheck?: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** OpenSSH's form of a host key fingerprint: SHA256 of the key blob, unpadded base64. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * One SSH connection to a Hyper-V host, reused for every command of a refresh. Each command is an
 * encoded PowerShell script with its own timeout; a non-zero exit, an error record on stderr or a
 * timeout becomes a ProviderError naming the command. Close it on every path.
 */
export class PowerShellSession {
  private constructor(
    private readonly ssh: NodeSSH,
    private readonly connection: HyperVConnection,
  ) {}

  static async open(connection: HyperVConnection): Promise<PowerShellSession> {
    const ssh = new NodeSSH();
    let seenFingerprint: string | null = null;
    const config: Config = {
      host: connection.host,
      port: connection.port,
      username: connection.username,
      password: connection.password,
      privateKey: connection.privateKey,
      passphrase: connection.passphrase,
      readyTimeout: connection.connectTimeoutMs,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        seenFingerprint = sshFingerprint(key);
        return connection.skipHostKeyCheck === true || seenFingerprint === connection.hostKeyFingerprint;
      },
    };
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      throw connectError(connection, error, seenFingerprint);
    }
    return new PowerShellSession(ssh, connection);
  }

  /**
   * Runs a script and returns its stdout; `name` is what errors call it. An abort of `signal`
   * closes the command's channel and fails it like a timeout.
   */
  async run(name: string, script: string, timeoutMs = this.connection.commandTimeoutMs, signal?: AbortSignal): Promise<string> {
    const result = await this.exec(name, script, { timeoutMs, signal });
    if (result.code !== 0 || readPowerShellStderr(result.stderr)) throw powerShellFailure(`${name} on ${this.where()}`, result);
    return result.stdout;
  }

  /**
   * Runs a script and returns what it printed and its exit code, whatever the code: for scripts
   * whose errors the caller reads itself. A timeout, an abort and a dropped connection still throw.
   */
  async exec(name: string, script: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
    const { timeoutMs = this.connection.commandTimeoutMs, signal } = options;
    const command = encodePowerShellCommand(script, name);
    let channel: { close(): void } | null = null;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        channel?.close();
        reject(new ProviderError(ProviderErrorCode.Timeout, `${name} on ${this.where()}: no answer within ${timeoutMs} ms`, true));
      }, timeoutMs);
      onAbort = () => {
        channel?.close();
        reject(new ProviderError(ProviderErrorCode.Timeout, `${name} on ${this.where()}: aborted`, true));
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([this.ssh.execCommand(command, { onChannel: (c) => (channel = c) }), timeout]);
      // No exit status and nothing on stderr: the connection dropped mid-command (node-ssh resolves then).
      if (result.code === null && !readPowerShellStderr(result.stderr)) {
        throw new ProviderError(ProviderErrorCode.Unreachable, `${name} on ${this.where()}: connection lost before the command finished (no exit status)`, true);
      }
      return { stdout: result.stdout, stderr: result.stderr, code: result.code };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw new ProviderError(ProviderErrorCode.Unreachable, `${name} on ${this.where()}: connection lost (${(error as Error).message})`, true);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** `host:port`, for messages. */
  where(): string {
    return `${this.connection.host}:${this.connection.port}`;
  }

  close(): void {
    this.ssh.dispose();
  }
}

function connectError(connection: HyperVConnection, error: unknown, seenFingerprint: string | null): ProviderError {
  const where = `${connection.host}:${connection.port}`;
  const message = error instanceof Error ? error.message : String(error);
  const level = (error as { level?: string }).level;
  const code = (error as { code?: string }).code;
  if (/host denied|verification failed/i.test(message)) {
    return new ProviderError(
      ProviderErrorCode.Forbidden,
      `host key of ${where} is ${seenFingerprint ?? 'unknown'}, not the pinned ${connection.hostKeyFingerprint ?? '(none)'}: refusing to connect`,
    );
  }
  if (level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new ProviderError(ProviderErrorCode.InvalidCredentials, `SSH authentication to ${where} as ${connection.username} failed`);
  }
  if (/timed out/i.test(message) || code === 'ETIMEDOUT') {
    return new ProviderError(ProviderErrorCode.Timeout, `SSH connection to ${where} timed out`, true);
  }
  return new ProviderError(ProviderErrorCode.Unreachable, `cannot reach ${where} over SSH: ${code ?? message}`, true);
}
