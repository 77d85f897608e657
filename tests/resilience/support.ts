import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Json } from '../support/app.js';
import type { ServerProcess } from '../support/processes.js';

/** One GraphQL request over HTTP: its status, body and how long it took. */
export interface Answer {
  status: number;
  body: Json;
  /** The first error's `extensions.code`, if any. */
  code: string | null;
}

/** Posts a GraphQL operation (with an optional `Idempotency-Key`); never throws for a refused connection. */
export async function post(
  baseUrl: string,
  query: string,
  variables: Json,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, body, code: body?.errors?.[0]?.extensions?.code ?? null };
}

/**
 * Waits, without sleeping blind, until `check` holds: re-evaluated every 50 ms, failing with `what` after a
 * generous `timeoutMs` (the machine may be loaded).
 */
export async function until<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: () => string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once the server process printed a line matching `pattern` (its JSON logs), after `from` characters. */
export function logged(server: ServerProcess, pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<true> {
  return until(
    () => pattern.test(server.output().slice(from)),
    () => `${pattern} in the server's output:\n${server.output().slice(-4000)}`,
    timeoutMs,
  );
}

/** A graphql-ws client that records how its socket closed; no retries, so a test sees each close. */
export function observedClient(baseUrl: string, token: string): { client: Client; closes: number[]; connected: Promise<void> } {
  const closes: number[] = [];
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => {
    onConnected = resolve;
  });
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: {
      connected: () => onConnected(),
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  return { client, closes, connected };
}

/** Whether the process is still running (it neither exited nor was killed). */
export function alive(server: ServerProcess): boolean {
  return server.process.exitCode === null && server.process.signalCode === null;
}

/** `GET /ready`'s verdict (true on 200, false on 503); null when the server does not answer at all. */
export async function ready(baseUrl: string): Promise<boolean | null> {
  try {
    const response = await fetch(`${baseUrl}/ready`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return null;
  }
}

/** Resolves once every server's `/ready` says `expected`. */
export function readiness(servers: ServerProcess[], expected: boolean, timeoutMs = 60_000): Promise<true> {
  return until(
    async () => (await Promise.all(servers.map((server) => ready(server.url)))).every((verdict) => verdict === expected),
    () => `/ready to turn ${expected}`,
    timeoutMs,
  );
}
