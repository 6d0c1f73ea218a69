import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { messageOf } from './job-queue.helpers.js';

/**
 * Fire-and-forget notes between the processes of a cluster: what one process did that watchers in
 * the others want to know now (events stored, a run's progress) or a request only the process
 * holding something can serve (cancel this run). A note reaches every OTHER process that listens;
 * the publisher's own watchers are its business. Embedded mode has no other process: notes go
 * nowhere. Nothing depends on a note arriving: the database stays the truth, notes only save a wait.
 */
export interface ClusterBus {
  publish<T>(channel: string, message: T): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe<T>(channel: string, handler: (message: T) => void): () => void;
  close(): Promise<void>;
}

export const CLUSTER_BUS = Symbol('CLUSTER_BUS');

/** One process: nobody else to tell. */
export class LocalClusterBus implements ClusterBus {
  async publish(): Promise<void> {}
  subscribe(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

interface Envelope {
  origin: string;
  body: unknown;
}

/** Redis pub/sub on `<prefix>:bus:<channel>`; one publishing and one subscribed connection per process. */
export class RedisClusterBus implements ClusterBus {
  private readonly logger = new Logger(RedisClusterBus.name);
  private readonly origin = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();
  private lastErrorLog = 0;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
  ) {
    this.publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    this.subscriber = new Redis(redisUrl, { lazyConnect: true });
    for (const connection of [this.publisher, this.subscriber]) connection.on('error', (error: Error) => this.logError(error));
    this.subscriber.on('message', (channel: string, text: string) => this.deliver(channel, text));
  }

  async publish<T>(channel: string, message: T): Promise<void> {
    const envelope: Envelope = { origin: this.origin, body: message };
    await this.publisher.publish(this.channelName(channel), JSON.stringify(envelope));
  }

  subscribe<T>(channel: string, handler: (message: T) => void): () => void {
    const name = this.channelName(channel);
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      // ioredis re-subscribes by itself after a reconnect.
      this.subscriber.subscribe(name).catch((error: Error) => this.logError(error));
    }
    const typed = handler as (message: unknown) => void;
    set.add(typed);
    return () => {
      set.delete(typed);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }

  private deliver(channel: string, text: string): void {
    const set = this.handlers.get(channel);
    if (!set || set.size === 0) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return; // not ours
    }
    if (envelope.origin === this.origin) return;
    for (const handler of set) {
      try {
        handler(envelope.body);
      } catch (error) {
        this.logger.error(`a handler of ${channel} failed: ${messageOf(error)}`);
      }
    }
  }

  private channelName(channel: string): string {
    return `${this.prefix}:bus:${channel}`;
  }

  /** The same error repeats on every reconnect: logged at most every 10 s; never the URL (it may hold a password). */
  private logError(error: Error): void {
    if (Date.now() - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = Date.now();
    this.logger.warn(`cluster bus: ${error.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
  }
}
