import type { MessageEvent } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';

// Proxies drop an idle stream; a comment line every so often keeps it open.
const KEEPALIVE_MS = 15_000;

/**
 * Writes an observable as server-sent events on a plain Express response (for routes that answer
 * JSON or a stream depending on Accept, which Nest's @Sse cannot). Ends when the observable
 * completes or the client goes away.
 */
export function writeSse(req: Request, res: Response, messages: Observable<MessageEvent>): void {
  res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const close = () => {
    clearInterval(keepalive);
    subscription.unsubscribe();
    res.end();
  };
  const subscription = messages.subscribe({
    next: (message) => {
      const lines = [message.id !== undefined ? `id: ${String(message.id)}` : null, message.type ? `event: ${message.type}` : null, `data: ${JSON.stringify(message.data)}`];
      res.write(`${lines.filter((line) => line !== null).join('\n')}\n\n`);
    },
    complete: close,
    error: close,
  });
  res.on('close', close);
}
