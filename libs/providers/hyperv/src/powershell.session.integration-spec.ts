import { createServer } from 'node:net';
import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { HyperVHostSimulator, INVENTORY_REQUIRED_CMDLETS, INVENTORY_SCRIPT_MARKER } from '@hybridforms/testing';
import { PowerShellSession, type HyperVConnection } from './powershell.session.js';

// The transport only: a script the host recognises, whatever its content does.
const SCRIPT = [INVENTORY_SCRIPT_MARKER, ...INVENTORY_REQUIRED_CMDLETS.map((cmdlet) => `# ${cmdlet}`)].join('\n');

describe('PowerShellSession over real SSH to the Hyper-V host simulator', () => {
  let host: HyperVHostSimulator;

  beforeAll(async () => {
    host = await HyperVHostSimulator.start({ vmCount: 5 });
  });
  afterAll(async () => {
    await host?.stop();
  });
  afterEach(() => host.clearFaults());

  const connection = (over: Partial<HyperVConnection> = {}): HyperVConnection => ({
    host: host.host,
    port: host.port,
    username: host.username,
    password: host.password,
    hostKeyFingerprint: host.hostKeyFingerprint,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 5_000,
    ...over,
  });

  async function failure(work: () => Promise<unknown>): Promise<ProviderError> {
    try {
      await work();
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      return error as ProviderError;
    }
    throw new Error('expected a ProviderError');
  }

  it('runs several encoded scripts on one pinned, password-authenticated connection', async () => {
    const session = await PowerShellSession.open(connection());
    try {
      const first = JSON.parse(await session.run('inventory', SCRIPT));
      expect(first.host.ComputerName).toBe('HV01');
      const second = JSON.parse(await session.run('inventory again', SCRIPT));
      expect(second.vms).toHaveLength(5);
    } finally {
      session.close();
    }
  });

  it('authenticates with a private key', async () => {
    const session = await PowerShellSession.open(connection({ password: undefined, privateKey: host.clientPrivateKey }));
    session.close();
  });

  it('refuses a host whose key is not the pinned one, naming both fingerprints', async () => {
    const error = await failure(() => PowerShellSession.open(connection({ hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })));
    expect(error.code).toBe(ProviderErrorCode.Forbidden);
    expect(error.message).toContain(host.hostKeyFingerprint);
    expect(error.message).toContain('SHA256:AAAA');
  });

  it('connects without pinning only when told to', async () => {
    const session = await PowerShellSession.open(connection({ hostKeyFingerprint: undefined, skipHostKeyCheck: true }));
    session.close();
    const error = await failure(() => PowerShellSession.open(connection({ hostKeyFingerprint: undefined })));
    expect(error.code).toBe(ProviderErrorCode.Forbidden);
  });

  it('reports a wrong password as invalid credentials without echoing it', async () => {
    const error = await failure(() => PowerShellSession.open(connection({ password: 'Wrong-Passw0rd!' })));
    expect(error.code).toBe(ProviderErrorCode.InvalidCredentials);
    expect(error.message).not.toContain('Wrong-Passw0rd!');
  });

  it('reports a closed port as unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const error = await failure(() => PowerShellSession.open(connection({ port })));
    expect(error.code).toBe(ProviderErrorCode.Unreachable);
  });

  it('times out a command that hangs, and the session answers the next one', async () => {
    const session = await PowerShellSession.open(connection());
    try {
      host.injectFault({ kind: 'hang' });
      const error = await failure(() => session.run('inventory', SCRIPT, 300));
      expect(error.code).toBe(ProviderErrorCode.Timeout);
      expect(error.message).toMatch(/inventory on 127\.0\.0\.1:\d+: no answer within 300 ms/);
      expect(JSON.parse(await session.run('inventory', SCRIPT)).vms).toHaveLength(5);
    } finally {
      session.close();
    }
  });

  it('turns a PowerShell error record into an error naming the command and the text', async () => {
    const session = await PowerShellSession.open(connection());
    try {
      host.injectFault({ kind: 'error-record' });
      const error = await failure(() => session.run('inventory', SCRIPT));
      expect(error.message).toContain('inventory on');
      expect(error.message.length).toBeGreaterThan(30);
      expect(error.message).not.toContain('<Objs');
    } finally {
      session.close();
    }
  });

  it('fails a command whose connection drops mid-output', async () => {
    const session = await PowerShellSession.open(connection());
    try {
      host.injectFault({ kind: 'disconnect' });
      const error = await failure(() => session.run('inventory', SCRIPT));
      expect(error.message).toContain('inventory on');
    } finally {
      session.close();
    }
  });
});
