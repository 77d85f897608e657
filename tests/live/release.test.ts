import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { sseSubscribe } from '../support/live.js';
import { gid } from '../support/scenario.js';
import { until as waitUntil } from '../support/waits.js';

/**
 * Issue 10, item 3: `complete`, a closed socket, a terminated socket and an aborted SSE request release a
 * stream at once, with no event happening: the server's counts of streams, event-log subscribers,
 * document and presence listeners and open documents return to zero, and the heap stays flat.
 *
 * `RELEASE_CYCLES` sets the measured rounds, `RELEASE_TRACE=1` prints the heap after each,
 * `RELEASE_SNAPSHOT=<path prefix>` writes heap snapshots after the middle and the last (to diff by constructor).
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

const until = (condition: () => boolean) => waitUntil(condition, () => `the release: ${JSON.stringify(held())}`);

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
    try {
      await until(() => t.app.live.streamCount === 1 || inbox.errors.length > 0);
      expect(inbox.errors).toEqual([]);
    } finally {
      stop();
    }
  } else {
    const { socket } = await rawSocket();
    try {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      await until(() => t.app.live.streamCount === 1);
      if (ending === 'complete') {
        socket.send(JSON.stringify({ id: '1', type: 'complete' }));
        await until(() => t.app.live.streamCount === 0);
        socket.close(1000);
      } else if (ending === 'close') socket.close(1000);
    } finally {
      // `terminate` is the ending itself; after a failure it leaves nothing open for the next attempt.
      socket.terminate();
    }
  }
  await until(() => JSON.stringify(held()) === JSON.stringify(NOTHING));
}

/** One round: every kind of stream, ended every way. */
async function round(): Promise<void> {
  for (const stream of Object.keys(STREAMS) as Stream[]) for (const ending of ENDINGS) await cycle(stream, ending);
}
const PER_ROUND = Object.keys(STREAMS).length * ENDINGS.length;

/**
 * Old-space and large-object heap after full collections (the JIT's code space is left out: it grows as code
 * warms up). This process is also the client: the resource timings its `fetch` (the SSE streams) records
 * are dropped first, a buffer of up to 250 entries that is not the server's.
 */
function heapAfterGc(): number {
  performance.clearResourceTimings();
  gc();
  gc();
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name === 'old_space' || space.space_name === 'large_object_space')
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

/**
 * Holds every stream's lifecycle object and context weakly, from `live.stream` wrapped until `restore()`.
 * Per test, so a retry starts with nothing counted and wraps the original once.
 */
function trackStreams(live: TestApp['app']['live']) {
  let refs: Array<WeakRef<object>> = [];
  let released = 0;
  const original = live.stream;
  live.stream = ((context, open, body) =>
    original.call(live, context, open, (stream) => {
      refs.push(new WeakRef(stream), new WeakRef(context));
      return body(stream);
    })) as typeof live.stream;
  return {
    /** Streams and contexts seen so far. */
    get count() {
      return released + refs.length;
    },
    /** Those still reachable (after a collection, the test's own refs aside). */
    reachable(): number {
      return refs.filter((ref) => ref.deref() !== undefined).length;
    },
    /** Drops the refs already cleared, so that the test's own list does not grow with the rounds it measures. */
    prune(): void {
      const kept = refs.filter((ref) => ref.deref() !== undefined);
      released += refs.length - kept.length;
      refs = kept;
    },
    restore(): void {
      live.stream = original;
    },
  };
}

/**
 * V8's compilers, which keep compiling what has run often enough. What they keep (optimized and baseline
 * code with its deoptimization data and relocation info, inline-cache handlers, code dependencies) is
 * bounded by the program's code, yet on PostgreSQL it still grew after 1,400 streams: ~850 B per stream
 * over rounds 0-29 after the warm-up, ~300 B over rounds 30-59 on a quiet machine (heap snapshots: `code
 * deopt data`, `code relocation info`, `WeakArrayList`, `LoadHandler`); the whole heap grew 3.2 kB per
 * stream over the first 12 on CI. More than a small leak costs: they are paused for the measured rounds
 * (the code compiled so far keeps running).
 */
const COMPILERS = ['turbofan', 'sparkplug', 'use-ic'];
function compilers(on: boolean): void {
  for (const flag of COMPILERS) setFlagsFromString(`--${on ? '' : 'no-'}${flag}`);
}

describe('Release', () => {
  it('should release every kind of stream at once, however it ends, leaving nothing for the collector to keep', async () => {
    // Whatever an earlier attempt left open is released first.
    await until(() => JSON.stringify(held()) === JSON.stringify(NOTHING));
    const tracked = trackStreams(t.app.live);
    try {
      // Warm up: the first rounds compile and cache what every later one reuses.
      for (let i = 0; i < WARM_UP; i += 1) await round();
      compilers(false);
      // Judged from the lowest heap seen: it drops by 40-145 kB in one of the first rounds with the compilers
      // paused (not explained: code nothing compiles again, it seems), a drop that would hide as much growth.
      let lowest = { heap: Number.POSITIVE_INFINITY, round: 0 };
      let after = 0;
      for (let i = 0; i < CYCLES; i += 1) {
        await round();
        after = heapAfterGc();
        if (after < lowest.heap) lowest = { heap: after, round: i };
        tracked.prune();
        if (process.env.RELEASE_TRACE) console.info(`round ${i}: ${(after / 1e6).toFixed(3)} MB`);
        if (process.env.RELEASE_SNAPSHOT && (i === Math.floor(CYCLES / 2) - 1 || i === CYCLES - 1))
          writeHeapSnapshot(`${process.env.RELEASE_SNAPSHOT}-${i}.heapsnapshot`);
      }
      expect(held()).toEqual(NOTHING);
      // Not one stream, nor the context it ran with, is still reachable.
      expect(tracked.count).toBe(2 * (WARM_UP + CYCLES) * PER_ROUND);
      // A database read started before the last close (over the network on PostgreSQL) may still hold its stream
      // until it answers: let work in flight settle, collecting between turns, before judging what is kept.
      for (let turn = 0; turn < 100 && tracked.reachable() > 0; turn += 1) {
        await new Promise((settled) => setTimeout(settled, 10));
        heapAfterGc();
      }
      expect(tracked.reachable()).toBe(0);
      const count = (CYCLES - 1 - lowest.round) * PER_ROUND;
      const growth = after - lowest.heap;
      console.info(
        `Release test: ${count} streams opened and closed with no event after the lowest heap (round ${lowest.round}); heap (old space, after GC) ${(lowest.heap / 1e6).toFixed(2)} MB then, ${(after / 1e6).toFixed(2)} MB after (${(growth / 1e3).toFixed(0)} kB, ${(growth / Math.max(count, 1)).toFixed(0)} B per stream)`,
      );
      // With the compilers paused, what is left is the interpreter's feedback for code run for the first time,
      // slowing down over the rounds (100-370 B per stream over 11 rounds on PostgreSQL, none of it data in heap snapshots);
      // a retained stream, socket or request costs several kB.
      expect(growth).toBeLessThanOrEqual(count * 1_000);
    } finally {
      compilers(true);
      tracked.restore();
    }
  }, 600_000);
});
