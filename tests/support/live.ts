import { get, type IncomingMessage } from 'node:http';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Json } from './json.js';

/**
 * How long a wait for messages lasts before it fails (ms). Only a safety net, never a pace: every wait returns
 * as soon as the messages arrive, and a loaded machine (CI, or tests side by side) can take tens of seconds to
 * deliver what takes milliseconds when quiet. Under the tests' own 120 s timeout.
 */
export const INBOX_TIMEOUT_MS = 60_000;

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
  async waitFor(count: number, timeoutMs = INBOX_TIMEOUT_MS): Promise<Json[]> {
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
  async waitForEnd(timeoutMs = INBOX_TIMEOUT_MS): Promise<void> {
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
export function wsClient(baseUrl: string, token: string | null, options: { lazy?: boolean } = {}): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    // Lazy (the default here): the socket opens with the first operation and closes after the last one.
    lazy: options.lazy ?? true,
  });
}

/**
 * Resolves when a graphql-ws client created just before (`lazy: false`) has its connection acknowledged: the
 * server has authenticated it and counts it. Rejects if the socket closes first.
 */
export function connected(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const stops = [
      client.on('connected', () => {
        for (const stop of stops) stop();
        resolve();
      }),
      client.on('closed', (event) => {
        for (const stop of stops) stop();
        reject(new Error(`The socket closed before it was acknowledged: ${JSON.stringify(event)}`));
      }),
    ];
  });
}

/**
 * Runs one query or mutation over a graphql-ws client and resolves with its single result (its `errors`
 * included); rejects with what the server sent as an `error` message (a refusal before execution).
 */
export function runOnSocket(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: Json; errors?: Json[] }> {
  return new Promise((resolve, reject) => {
    let result: { data?: Json; errors?: Json[] } = {};
    client.subscribe(
      { query, variables },
      { next: (value) => (result = value as typeof result), error: reject, complete: () => resolve(result) },
    );
  });
}

/**
 * Subscribes over a graphql-ws client or a `graphql-sse` client (both take the same sink), filling an inbox;
 * `stop` unsubscribes (with graphql-sse in single-connection mode, a DELETE).
 */
export function subscribe(
  client: Client | SseClient<boolean>,
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

/**
 * Subscribes over SSE (Yoga's "distinct connections" mode: one POST per subscription, `Accept:
 * text/event-stream`), filling the same kind of inbox; `stop` aborts the request as a browser closing its
 * EventSource does.
 */
/**
 * Reads a `text/event-stream` body, calling `onEvent` with each event's name and data line (either may be
 * undefined) until the body ends or `onEvent` returns false.
 */
export async function readSseEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string | undefined, data: string | undefined) => boolean,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!onEvent(/^event: (.*)$/m.exec(block)?.[1], /^data: (.*)$/m.exec(block)?.[1])) return;
    }
  }
}

export function sseSubscribe(
  baseUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): { inbox: Inbox; stop: () => void } {
  const inbox = new Inbox();
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    await readSseEvents(response.body as ReadableStream<Uint8Array>, (event, data) => {
      if (event === 'complete') {
        inbox.complete();
        return false;
      }
      if (event === 'next' && data) {
        const result = JSON.parse(data) as { data?: Json; errors?: unknown[] };
        if (result.errors) inbox.fail(result.errors);
        else inbox.push(result.data);
      }
      return true;
    });
    inbox.complete();
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) inbox.fail(error);
  });
  return { inbox, stop: () => controller.abort() };
}

/**
 * A real `graphql-sse` client in single-connection mode on the server's /graphql/stream: one event stream carries
 * every operation (PUT reserves it, each operation is a POST, completing one a DELETE). `streamsOpened` counts the
 * event-stream requests it made, so a test can check that many operations shared one; `accepted` the operations
 * the server accepted (the client completes one with a DELETE only once it knows it was accepted).
 */
export function sseSingleClient(
  baseUrl: string,
  token: string | null,
): { client: SseClient<true>; streamsOpened: () => number; accepted: () => number } {
  let streams = 0;
  let accepted = 0;
  const client = createSseClient({
    url: `${baseUrl}/graphql/stream`,
    singleConnection: true,
    retryAttempts: 0,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
      if (new Headers(init?.headers).get('accept') === 'text/event-stream') streams += 1;
      return fetch(input, init).then((response) => {
        if (init?.method === 'POST' && response.status === 202) accepted += 1;
        return response;
      });
    },
  });
  return { client, streamsOpened: () => streams, accepted: () => accepted };
}

/**
 * A real `graphql-sse` client in distinct-connections mode on the server's /graphql/stream: one `text/event-stream`
 * POST per operation, no reserved stream (the protocol's other mode, as on /graphql).
 */
export function sseDistinctClient(baseUrl: string, token: string | null): SseClient<false> {
  return createSseClient({
    url: `${baseUrl}/graphql/stream`,
    singleConnection: false,
    retryAttempts: 0,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/**
 * The transports every stream works over: graphql-ws, SSE on /graphql, and graphql-sse's single-connection and
 * distinct-connections modes on /graphql/stream.
 */
export type Transport = 'ws' | 'sse' | 'sse-single' | 'sse-distinct';

/**
 * Opens a subscription on its own connection over `transport` (a graphql-ws socket of its own, or an SSE
 * request); `stop` closes that connection.
 */
export function open(
  transport: Transport,
  baseUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): { inbox: Inbox; stop: () => Promise<void> } {
  if (transport === 'sse') {
    const { inbox, stop } = sseSubscribe(baseUrl, token, query, variables);
    return { inbox, stop: async () => stop() };
  }
  if (transport === 'sse-single' || transport === 'sse-distinct') {
    const client = transport === 'sse-single' ? sseSingleClient(baseUrl, token).client : sseDistinctClient(baseUrl, token);
    const { inbox, stop } = subscribe(client, query, variables);
    return {
      inbox,
      stop: async () => {
        stop();
        client.dispose();
      },
    };
  }
  const client = wsClient(baseUrl, token);
  const { inbox, stop } = subscribe(client, query, variables);
  return {
    inbox,
    stop: async () => {
      stop();
      await client.dispose();
    },
  };
}

/** The error codes an inbox received (graphql-ws errors, SSE `errors`). */
export function errorCodes(inbox: Inbox): string[] {
  return inbox.errors.flatMap((error) =>
    (Array.isArray(error) ? error : [error]).map(
      (entry) => (entry as { extensions?: { code?: string } })?.extensions?.code ?? String((entry as { code?: unknown })?.code),
    ),
  );
}

/** A `next` event of a graphql-sse single-connection stream: its operation and its result. */
export interface StreamResult {
  id: string;
  payload: { data?: Json; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/**
 * A graphql-sse single-connection stream (`/graphql/stream`) reserved (`PUT`) and opened by the holder of `token`
 * with Node's HTTP client, which does not read it until `read` is called: Node stops reading the socket once the
 * unread body fills its buffer, then the kernel's buffers fill and the server meets back-pressure, as with a browser
 * tab that stopped reading. `post` sends an operation onto it (its answer: 202 once accepted); `read` hands every
 * `next` event to `onResult` from then on.
 */
export async function singleStream(baseUrl: string, token: string) {
  const authorization = `Bearer ${token}`;
  const reserved = await fetch(`${baseUrl}/graphql/stream`, { method: 'PUT', headers: { authorization } });
  if (reserved.status !== 201) throw new Error(`Reserving a stream: ${reserved.status} ${await reserved.text()}`);
  const streamToken = await reserved.text();
  const tokenHeader = { 'x-graphql-event-stream-token': streamToken };
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(`${baseUrl}/graphql/stream`, { headers: { accept: 'text/event-stream', authorization, ...tokenHeader } });
    request.once('response', resolve);
    request.once('error', reject);
  });
  if (response.statusCode !== 200) throw new Error(`Opening a stream: ${response.statusCode}`);
  response.pause();
  return {
    /** Posts an operation (`id` its operationId) onto the stream: the answer's status and JSON body, if any. */
    post: async (id: string, query: string, variables: Record<string, unknown> = {}) => {
      const answer = await fetch(`${baseUrl}/graphql/stream`, {
        method: 'POST',
        headers: { authorization, ...tokenHeader, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables, extensions: { operationId: id } }),
      });
      const text = await answer.text();
      return { status: answer.status, body: (text ? JSON.parse(text) : null) as Json };
    },
    read: (onResult: (result: StreamResult) => void) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (/^event: next$/m.test(block) && data) onResult(JSON.parse(data) as StreamResult);
        }
      });
      response.resume();
    },
    close: () => response.destroy(),
  };
}
