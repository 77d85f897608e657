import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { sseSubscribe } from '../support/live.js';
import { gid } from '../support/scenario.js';

/**
 * Issue 10, item 3: `complete`, a closed socket, a terminated socket and an aborted SSE request release a
 * stream at once, with no event happening: the server's counts of streams, event-log subscribers,
 * document and presence listeners and open documents return to zero, and the heap stays flat.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const STREAMS = {
  collectiveActivity: 'subscription($c: ID!) { collectiveActivity(collectiveId: $c) { __typename } }',
  nodeChanges: 'subscription($c: ID!) { nodeChanges(id: $c) { __typename } }',
  myFeed: 'subscription { myFeed { __typename } }',
  dashboard: 'subscription { dashboard { position } }',
  sectionSync: 'subscription($s: ID!) { sectionSync(sectionId: $s) { kind } }',
  sectionPresence: 'subscription($s: ID!) { sectionPresence(sectionId: $s) { clientId } }',
} as const;
type Stream = keyof typeof STREAMS;
const ENDINGS = ['complete', 'close', 'terminate', 'sse-abort'] as const;
type Ending = (typeof ENDINGS)[number];

const WARM_UP = 4;
const CYCLES = Number(process.env.RELEASE_CYCLES ?? 12);

let t: TestApp;
let url: string;
let token: string;
let variables: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
  const scenario = await sectionScenario(t.db.prisma);
  const animator = scenario.members[0];
  if (!animator) throw new Error('no animator');
  token = await t.tokenFor(animator.id);
  variables = { c: gid('Collective', scenario.collective.id), s: gid('TenderSection', scenario.section.id) };
});
afterAll(async () => {
  await t.close();
});

/** What the server holds for live streams; all zero when nothing is open. */
function held() {
  return {
    streams: t.app.live.streamCount,
    connections: t.app.live.connectionCount,
    subscribers: t.app.events.subscriberCount,
    documentListeners: t.app.documents.listenerCount,
    openDocuments: t.app.documents.openCount,
    presenceListeners: t.app.presence.listenerCount,
  };
}
const NOTHING = { streams: 0, connections: 0, subscribers: 0, documentListeners: 0, openDocuments: 0, presenceListeners: 0 };

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Not released: ${JSON.stringify(held())}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A bare graphql-transport-ws client, so a test can complete, close or terminate the very socket. */
async function rawSocket(): Promise<{ socket: WebSocket; messages: Json[]; next: () => Promise<Json> }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Json[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const waiter of waiters.splice(0)) waiter();
  });
  let read = 0;
  const next = async () => {
    while (messages.length <= read) await new Promise<void>((resolve) => waiters.push(resolve));
    read += 1;
    return messages[read - 1];
  };
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  expect((await next()).type).toBe('connection_ack');
  return { socket, messages, next };
}

/** Opens one stream, waits until the server holds it, ends it the given way, waits until it is released. */
async function cycle(stream: Stream, ending: Ending): Promise<void> {
  const query = STREAMS[stream];
  if (ending === 'sse-abort') {
    const { inbox, stop } = sseSubscribe(url, token, query, variables);
    await until(() => t.app.live.streamCount === 1 || inbox.errors.length > 0);
    expect(inbox.errors).toEqual([]);
    stop();
  } else {
    const { socket } = await rawSocket();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
    await until(() => t.app.live.streamCount === 1);
    if (ending === 'complete') {
      socket.send(JSON.stringify({ id: '1', type: 'complete' }));
      await until(() => t.app.live.streamCount === 0);
      socket.close(1000);
    } else if (ending === 'close') socket.close(1000);
    else socket.terminate();
  }
  await until(() => JSON.stringify(held()) === JSON.stringify(NOTHING));
}

/** Old-space and large-object heap after full collections (the JIT's code space is left out: it grows as code warms up). */
function heapAfterGc(): number {
  gc();
  gc();
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name === 'old_space' || space.space_name === 'large_object_space')
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

/** Every stream's lifecycle object and context, held weakly: once released, a collection frees them. */
const opened: Array<WeakRef<object>> = [];

function trackStreams(): void {
  const live = t.app.live;
  const original = live.stream.bind(live);
  live.stream = ((context, open, body) =>
    original(context, open, (stream) => {
      opened.push(new WeakRef(stream), new WeakRef(context));
      return body(stream);
    })) as typeof live.stream;
}

describe('Release', () => {
  it('should release every kind of stream at once, however it ends, leaving nothing for the collector to keep', async () => {
    trackStreams();
    // Warm up: the first rounds compile and cache what every later one reuses.
    for (let i = 0; i < WARM_UP; i += 1)
      for (const stream of Object.keys(STREAMS) as Stream[]) for (const ending of ENDINGS) await cycle(stream, ending);
    const before = heapAfterGc();
    for (let i = 0; i < CYCLES; i += 1) {
      for (const stream of Object.keys(STREAMS) as Stream[]) for (const ending of ENDINGS) await cycle(stream, ending);
      if (process.env.RELEASE_TRACE) console.info(`round ${i}: ${(heapAfterGc() / 1e6).toFixed(2)} MB`);
    }
    const after = heapAfterGc();
    const count = CYCLES * Object.keys(STREAMS).length * ENDINGS.length;
    console.info(
      `Release test: ${count} streams opened and closed with no event; heap (old space, after GC) ${(before / 1e6).toFixed(2)} MB before, ${(after / 1e6).toFixed(2)} MB after (${((after - before) / 1e3).toFixed(0)} kB, ${((after - before) / count).toFixed(0)} B per stream)`,
    );
    expect(held()).toEqual(NOTHING);
    // Not one stream, nor the context it ran with, is still reachable.
    expect(opened.length).toBe(2 * (WARM_UP + CYCLES) * Object.keys(STREAMS).length * ENDINGS.length);
    // A database read started before the last close (over the network on PostgreSQL) may still hold its stream
    // until it answers: let work in flight settle, collecting between turns, before judging what is kept.
    for (let turn = 0; turn < 100 && opened.some((ref) => ref.deref() !== undefined); turn += 1) {
      await new Promise((settled) => setTimeout(settled, 10));
      heapAfterGc();
    }
    expect(opened.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    // What is left grows only with the JIT's feedback, well under what one retained stream costs.
    expect(after - before).toBeLessThan(count * 3_000);
  }, 600_000);
});
