import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface SseClient<T = unknown> {
  response: IncomingMessage;
  /** Id of the last frame of the followed type received. */
  lastId: string | null;
  /** Resolves with every frame's data received once `done` holds for them (10 s at most). */
  until(done: (frames: T[]) => boolean): Promise<T[]>;
  close(): void;
}

/**
 * A minimal server-sent-events client over node:http (frames split on blank lines), keeping the
 * data of the frames of one type (`event` by default).
 */
export function openSse<T = Record<string, unknown>>(port: number, path: string, headers: Record<string, string> = {}, type = 'event'): Promise<SseClient<T>> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      let text = '';
      const received: T[] = [];
      const client: SseClient<T> = {
        response,
        lastId: null,
        until: async (done) => {
          const deadline = Date.now() + 10_000;
          while (!done(received) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          return [...received];
        },
        close: () => response.destroy(),
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        const frames = text.split('\n\n');
        text = frames.pop() ?? '';
        for (const frame of frames) {
          const lines = frame.split('\n');
          if (!lines.includes(`event: ${type}`)) continue;
          client.lastId = lines.find((line) => line.startsWith('id: '))?.slice(4) ?? null;
          received.push(JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice(6)) as T);
        }
      });
      response.on('error', () => undefined);
      resolve(client);
    });
    request.on('error', reject).end();
  });
}
