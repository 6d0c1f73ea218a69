import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Sees each chunk a client sends before it is forwarded; may delay it (return a promise) or cut everything meanwhile. */
export type ClientDataInterceptor = (chunk: Buffer) => void | Promise<void>;

/**
 * A TCP proxy (node:net) between the service and its PostgreSQL server, so that a suite can
 * "restart" the database without touching the real cluster other suites share: an outage
 * destroys every proxied connection and refuses new ones (the listener is closed) until it ends.
 */
export class DbProxy {
  /** Connections accepted since start (each is one pg client of the service). */
  accepted = 0;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private server: Server | null = null;
  private interceptor: ClientDataInterceptor | null = null;
  private down = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on 127.0.0.1 (an ephemeral port) and forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<DbProxy> {
    const probe = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port));
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new DbProxy(port, target);
    await proxy.listen();
    return proxy;
  }

  /** The same database URL, through the proxy. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Open proxied connections right now. */
  get open(): number {
    return this.pairs.size;
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Installs (or removes, with null) the hook that sees client → server traffic. */
  intercept(interceptor: ClientDataInterceptor | null): void {
    this.interceptor = interceptor;
  }

  /** The database "goes down": every proxied connection is destroyed and new ones are refused. */
  async stop(): Promise<void> {
    if (this.down) return;
    this.down = true;
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** The database is back: connections are accepted again on the same port. */
  async resume(): Promise<void> {
    if (!this.down) return;
    // The port was ours a moment ago; retry briefly if the OS has not let go of it yet.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.listen();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    this.down = false;
  }

  /** A restart: down now, back after `downMs`. Resolves once it is back. */
  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.resume();
  }

  async close(): Promise<void> {
    this.interceptor = null;
    await this.stop();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = createConnection(this.target);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      const interceptor = this.interceptor;
      if (!interceptor) {
        upstream.write(chunk);
        return;
      }
      client.pause();
      void Promise.resolve()
        .then(() => interceptor(chunk))
        .catch(() => undefined)
        .then(() => {
          if (client.destroyed || upstream.destroyed) return;
          upstream.write(chunk);
          client.resume();
        });
    });
  }
}
