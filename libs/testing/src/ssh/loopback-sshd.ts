import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface LoopbackSshd {
  port: number;
  /** OpenSSH private key (ed25519) the server accepts for root (or the current user). */
  clientPrivateKey: string;
  /** `[127.0.0.1]:<port> ssh-ed25519 AAAA…`: the server's host key as a known_hosts line. */
  knownHostsLine: string;
  /** The user to log in as (the user running the tests). */
  user: string;
  /** sshd's log so far (INFO: "Accepted publickey for …" per login). */
  log(): Promise<string>;
  /** Stops sshd and deletes its directory (keys included). */
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPidFile(path: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const pid = Number((await readFile(path, 'utf8')).trim());
      if (pid > 0) return pid;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('sshd did not write its pid file');
}

/**
 * A real OpenSSH server, the SSH target of simulated VMs in tests and the demo, on a free 127.0.0.1
 * port with freshly generated host and client ed25519 keys in a 0700 temp dir (reference §7). Needs /usr/sbin/sshd (Debian openssh-server) and to
 * run as the user to log in as (root on the CI machines).
 */
export async function startLoopbackSshd(): Promise<LoopbackSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'hf-sshd-'));
  await chmod(dir, 0o700);
  let pid: number | null = null;
  try {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
    const keygen = '/usr/bin/ssh-keygen';
    await execFileAsync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'hf-test-host', '-f', join(dir, 'host_ed25519')]);
    await execFileAsync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'hf-test-client', '-f', join(dir, 'client_ed25519')]);
    await copyFile(join(dir, 'client_ed25519.pub'), join(dir, 'authorized_keys'));
    await chmod(join(dir, 'authorized_keys'), 0o600);
    const user = (await execFileAsync('/usr/bin/id', ['-un'])).stdout.trim();

    let lastError: unknown = null;
    for (let attempt = 0; attempt < 5 && pid === null; attempt += 1) {
      const port = await freeLoopbackPort();
      const config = [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${join(dir, 'host_ed25519')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'StrictModes no',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n');
      await writeFile(join(dir, 'sshd_config'), config, { mode: 0o600 });
      await rm(join(dir, 'sshd.pid'), { force: true });
      try {
        // -D: stays in the foreground as our child, detached so that it survives nothing of ours by accident
        const child = spawn('/usr/sbin/sshd', ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], {
          stdio: 'ignore',
          detached: true,
          env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8' },
        });
        child.unref();
        const exited = new Promise<never>((_, reject) =>
          child.once('exit', (code) => reject(new Error(`sshd exited with ${code}`))),
        );
        pid = await Promise.race([waitForPidFile(join(dir, 'sshd.pid'), 10_000), exited]);
        const hostPub = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/);
        const clientPrivateKey = await readFile(join(dir, 'client_ed25519'), 'utf8');
        const sshdPid = pid;
        // a suite that dies or times out before stop() must not leave sshd behind
        const killOnExit = (): void => {
          try {
            process.kill(sshdPid, 'SIGTERM');
          } catch {
            // gone
          }
        };
        process.once('exit', killOnExit);
        return {
          port,
          user,
          clientPrivateKey,
          knownHostsLine: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`,
          log: () => readFile(join(dir, 'sshd.log'), 'utf8').catch(() => ''),
          stop: async () => {
            process.removeListener('exit', killOnExit);
            try {
              process.kill(sshdPid, 'SIGTERM');
            } catch {
              // gone
            }
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        lastError = error; // most likely the port was taken in between: try another
        pid = null;
      }
    }
    throw lastError instanceof Error ? lastError : new Error('sshd did not start');
  } catch (error) {
    if (pid !== null) process.kill(pid, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
