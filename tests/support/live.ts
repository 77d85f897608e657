import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Json } from './app.js';

/** Collects what a subscription delivers and lets a test await the next messages, without sleeping. */
export class Inbox {
  readonly received: Json[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  #waiters: Array<() => void> = [];

  push(message: Json): void {
    this.received.push(message);
    this.#notify();
  }

  fail(error: unknown): void {
    this.errors.push(error);
    this.#notify();
  }

  complete(): void {
    this.completed = true;
    this.#notify();
  }

  /** Resolves once at least `count` messages arrived (or fails after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Json[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (this.errors.length > 0) throw new Error(`Subscription failed: ${JSON.stringify(this.errors)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Expected ${count} messages, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /** Resolves when the subscription ends, by completion or error. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.completed && this.errors.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('The subscription did not end');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** A real graphql-ws client on the server's /graphql, authenticated in connection_init. */
export function wsClient(baseUrl: string, token: string | null): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and returns the inbox plus a function that unsubscribes. */
export function subscribe(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): { inbox: Inbox; stop: () => void } {
  const inbox = new Inbox();
  const stop = client.subscribe<Json>(
    { query, variables },
    {
      next: (result) => (result.errors ? inbox.fail(result.errors) : inbox.push(result.data)),
      error: (error) => inbox.fail(error),
      complete: () => inbox.complete(),
    },
  );
  return { inbox, stop };
}
