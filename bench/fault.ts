// Load and faults: subscribers and co-editors on two instances sharing a throwaway PostgreSQL and Redis, with
// mutations flowing, while Redis, PostgreSQL and one instance are restarted in turn. Counts what matters for
// issue 9: events lost or duplicated (0), acknowledged writes and edits lost (0), instances that exited unasked
// (0), and the heap after a forced collection at the end against the start. Full: 1,000 subscribers, 10 editors,
// 5 minutes; smoke (CI): 40 subscribers, 2 editors, 30 seconds.
import { randomUUID } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { openSession } from '../server/src/auth/sessions.js';
import { openDatabase } from '../server/src/db/database.js';
import { CollabClient, sectionScenario } from '../tests/support/collab.js';
import { gid } from '../tests/support/scenario.js';
import { startPostgres, startRedis } from '../tests/support/services.js';
import type { BenchContext } from './lib/context.js';
import { type BenchServer, startServer } from './lib/processes.js';

const ACTIVITY = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) {
  ... on ActivityEvent { position } ... on ResyncRequired { reason } } }`;
const UPDATE = 'mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename } }';
/** Subscriptions multiplexed on one socket. */
const PER_SOCKET = 10;

export interface FaultResults {
  durationS: number;
  subscribers: number;
  editors: number;
  acknowledgedWrites: number;
  lostWrites: number;
  /** Writes applied more than once (an unknown outcome retried without effect of its key): 0. */
  duplicatedWrites: number;
  events: number;
  lostEvents: number;
  duplicatedEvents: number;
  acknowledgedEdits: number;
  lostEdits: number;
  /** Longest run of UNAVAILABLE answers a writer saw, in ms. */
  longestUnavailableMs: number;
  unexpectedErrors: string[];
  unaskedExits: number;
  heapStartMb: number | null;
  heapEndMb: number | null;
  heapGrowthPercent: number | null;
  faults: string[];
}

/** A group of subscriptions on one socket that resubscribes, from its last position, wherever an instance is up. */
class Subscriptions {
  readonly received: bigint[][];
  #client: Client | null = null;
  #closed = false;
  reconnects = 0;
  errors: string[] = [];

  constructor(
    private readonly urls: () => string[],
    private readonly token: string,
    private readonly collectiveId: string,
    private readonly after: bigint,
    size: number,
    private readonly offset: number,
  ) {
    this.received = Array.from({ length: size }, () => []);
  }

  open(): void {
    if (this.#closed) return;
    const urls = this.urls();
    const url = urls[(this.offset + this.reconnects) % Math.max(1, urls.length)];
    if (!url) {
      // No instance up at this moment (one restarting): try again shortly.
      setTimeout(() => this.open(), 500).unref();
      return;
    }
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    this.#client = client;
    let failed = false;
    const again = (why: unknown) => {
      if (failed || this.#closed) return;
      failed = true;
      const code = (why as { code?: number })?.code;
      if (code !== undefined && code !== 1013 && code !== 1006 && code !== 1001 && code !== 1000)
        this.errors.push(`close ${code}`);
      void client.dispose();
      this.reconnects += 1;
      setTimeout(() => this.open(), 200 + Math.random() * 300).unref();
    };
    this.received.forEach((inbox) => {
      const after = (inbox.at(-1) ?? this.after).toString();
      client.subscribe<{ collectiveActivity: { position?: string; reason?: string } }>(
        { query: ACTIVITY, variables: { id: this.collectiveId, after } },
        {
          next: (result) => {
            const position = result.data?.collectiveActivity?.position;
            if (position) inbox.push(BigInt(position));
            else if (result.errors) again(result.errors);
            else if (result.data?.collectiveActivity?.reason) this.errors.push(`resync ${result.data.collectiveActivity.reason}`);
          },
          error: again,
          complete: () => again({ code: 1000 }),
        },
      );
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client?.dispose();
  }
}

/** Types into a CollabClient's body. */
function type(client: CollabClient, words: string): void {
  const body = client.body;
  if (body.length === 0) body.insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = body.get(0) as Y.XmlElement;
  if (paragraph.length === 0) paragraph.insert(0, [new Y.XmlText()]);
  const text = paragraph.get(0) as Y.XmlText;
  text.insert(text.length, words);
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
};

export async function runFaultBench(context: BenchContext): Promise<FaultResults> {
  const durationS = context.smoke ? 30 : 300;
  const subscriberCount = context.smoke ? 40 : 1_000;
  const editorCount = context.smoke ? 2 : 10;
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = await postgres.createDatabase();
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, EVENT_POLL_MS: '500', LOG_LEVEL: 'warn' };
  const a = await startServer(env, { inspect: true });
  let b = await startServer(env);
  const servers = (): BenchServer[] => [a, b];
  const urls = () =>
    servers()
      .filter((server) => server.process.exitCode === null && server.process.signalCode === null)
      .map((s) => s.url);
  const db = await openDatabase({ databaseUrl });
  const unexpectedErrors: string[] = [];
  const faults: string[] = [];
  let unaskedExits = 0;
  const killedOnPurpose = new Set<BenchServer['process']>();
  const watch = (server: BenchServer) =>
    server.process.once('exit', (code, signal) => {
      if (!killedOnPurpose.has(server.process)) {
        unaskedExits += 1;
        unexpectedErrors.push(`instance exited (${code ?? signal}):\n${server.output().slice(-2000)}`);
      }
    });
  watch(a);
  watch(b);
  // A hard bound on the whole run: a stuck client or restart fails the benchmark instead of hanging the harness.
  let deadline: NodeJS.Timeout | undefined;
  const bounded = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => reject(new Error(`fault: not done within ${durationS + 240} s`)), (durationS + 240) * 1000);
  });
  try {
    return await Promise.race([bounded, run()]);
  } finally {
    clearTimeout(deadline);
    await db.close().catch(() => {});
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([postgres.dispose(), redis.dispose()]);
  }

  async function run(): Promise<FaultResults> {
    const { members, collective, section } = await sectionScenario(db.prisma, { members: Math.max(2, editorCount) });
    const tokens = await Promise.all(members.map(async (member) => (await openSession(db.prisma, member.id, 86_400_000)).token));
    const token = tokens[0] as string;
    const collectiveId = gid('Collective', collective.id);
    const head = (await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } }))?.position ?? 0n;

    const groups: Subscriptions[] = [];
    for (let i = 0; i < subscriberCount; i += PER_SOCKET)
      groups.push(new Subscriptions(urls, token, collectiveId, head, Math.min(PER_SOCKET, subscriberCount - i), groups.length));
    for (const group of groups) group.open();
    const editors = tokens
      .slice(0, editorCount)
      .map((editorToken, i) => new CollabClient(urls()[i % 2] as string, editorToken, section.id));
    await Promise.all(editors.map((editor) => editor.connect()));
    context.log(
      `fault: ${subscriberCount} subscribers, ${editorCount} editors on two instances; ${durationS} s of load and faults`,
    );
    await a.inspector?.heapAfterGc();
    const heapStart = a.inspector ? await a.inspector.heapAfterGc() : null;

    // Writers: one mutation at a time, each retried with its idempotency key until acknowledged.
    let running = true;
    let acknowledgedWrites = 0;
    let longestUnavailableMs = 0;
    const writer = (async () => {
      for (let i = 0; running; i += 1) {
        const key = randomUUID();
        let unavailableSince: number | null = null;
        for (;;) {
          const target = urls()[i % Math.max(1, urls().length)];
          try {
            const response = await fetch(`${target}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
              body: JSON.stringify({ query: UPDATE, variables: { id: collectiveId, p: `Charge ${i}` } }),
              signal: AbortSignal.timeout(10_000),
            });
            const body = (await response.json()) as {
              data?: { updateCollective?: { __typename: string } };
              errors?: Array<{ extensions?: { code?: string } }>;
            };
            if (body.data?.updateCollective?.__typename === 'MutationUpdateCollectiveSuccess') break;
            const code = body.errors?.[0]?.extensions?.code;
            if (code !== 'UNAVAILABLE') unexpectedErrors.push(`mutation: ${JSON.stringify(body).slice(0, 300)}`);
          } catch {
            // The instance went away (a restart): retry elsewhere.
          }
          unavailableSince ??= Date.now();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        if (unavailableSince !== null) longestUnavailableMs = Math.max(longestUnavailableMs, Date.now() - unavailableSince);
        acknowledgedWrites += 1;
        await new Promise((resolve) => setTimeout(resolve, context.smoke ? 100 : 50));
      }
    })();
    const typing = setInterval(() => {
      for (const [i, editor] of editors.entries()) type(editor, `e${i} `);
    }, 300);

    // Faults, spread over the run: Redis, then PostgreSQL (down a few seconds), then instance B killed and started.
    const at = (fraction: number) => new Promise((resolve) => setTimeout(resolve, fraction * durationS * 1000));
    const started = Date.now();
    await at(0.15);
    await redis.stop();
    faults.push(`Redis stopped at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await redis.start();
    await at(0.2);
    await postgres.stop();
    faults.push(`PostgreSQL stopped at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await postgres.start();
    await at(0.25);
    faults.push(`instance B killed at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    killedOnPurpose.add(b.process);
    b.process.kill('SIGKILL');
    await new Promise((resolve) => b.process.once('exit', resolve));
    b = await startServer(env);
    watch(b);
    const left = durationS * 1000 - (Date.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    running = false;
    clearInterval(typing);
    await writer;

    // Every subscriber holds every event once (bounded wait for the last ones to arrive).
    const rows = await db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id, position: { gt: head } },
      orderBy: { position: 'asc' },
      select: { position: true, type: true },
    });
    const writesLogged = rows.filter((row) => row.type === 'collective.updated').length;
    const logged = rows.map((row) => row.position);
    const inboxes = groups.flatMap((group) => group.received);
    await until(() => inboxes.every((inbox) => inbox.length >= logged.length), 60_000);
    let lostEvents = 0;
    let duplicatedEvents = 0;
    for (const inbox of inboxes) {
      const seen = new Set(inbox.map(String));
      duplicatedEvents += inbox.length - seen.size;
      lostEvents += logged.filter((position) => !seen.has(position.toString())).length;
    }
    // Editors reconnect and hand over; every acknowledged edit must be in a fresh reader's document.
    await Promise.all(editors.map((editor) => editor.abandon()));
    // An editor whose instance was killed reconnects to one that is up, with its document as it was.
    const rejoined = editors.map((editor, i) => {
      const again = new CollabClient(urls()[i % urls().length] as string, tokens[i] as string, section.id);
      Y.applyUpdate(again.doc, Y.encodeStateAsUpdate(editor.doc));
      return again;
    });
    await Promise.all(
      rejoined.map((editor) =>
        editor.connect().catch((error: unknown) => Promise.reject(new Error(`editor: ${JSON.stringify(error)}`))),
      ),
    );
    await Promise.all(rejoined.map((editor) => editor.settled()));
    const typed = new Map(editors.map((editor) => [editor.doc.clientID, Y.getState(editor.doc.store, editor.doc.clientID)]));
    const reader = new CollabClient(a.url, token, section.id);
    await reader.connect();
    await until(() => [...typed].every(([client, clock]) => Y.getState(reader.doc.store, client) >= clock), 60_000);
    const lostEdits = [...typed].filter(([client, clock]) => Y.getState(reader.doc.store, client) < clock).length;
    await reader.abandon();
    await Promise.all(rejoined.map((editor) => editor.abandon()));
    await Promise.all(groups.map((group) => group.close()));
    for (const group of groups) unexpectedErrors.push(...group.errors);

    const heapEnd = a.inspector ? await a.inspector.heapAfterGc() : null;
    const mb = (bytes: number | null) => (bytes === null ? null : Math.round((bytes / 1_048_576) * 10) / 10);
    const result: FaultResults = {
      durationS,
      subscribers: subscriberCount,
      editors: editorCount,
      acknowledgedWrites,
      // Each acknowledged write is one `collective.updated` (idempotency keys: never two for one write).
      lostWrites: Math.max(0, acknowledgedWrites - writesLogged),
      duplicatedWrites: Math.max(0, writesLogged - acknowledgedWrites),
      events: logged.length,
      lostEvents,
      duplicatedEvents,
      acknowledgedEdits: [...typed.values()].reduce((sum, clock) => sum + clock, 0),
      lostEdits,
      longestUnavailableMs,
      unexpectedErrors: unexpectedErrors.slice(0, 20),
      unaskedExits,
      heapStartMb: mb(heapStart),
      heapEndMb: mb(heapEnd),
      heapGrowthPercent: heapStart && heapEnd ? Math.round(((heapEnd - heapStart) / heapStart) * 1000) / 10 : null,
      faults,
    };
    context.log(
      `fault: ${result.acknowledgedWrites} writes (${result.lostWrites} lost, ${result.duplicatedWrites} applied twice), ${result.events} events × ${subscriberCount} subscribers ` +
        `(${lostEvents} lost, ${duplicatedEvents} duplicated), ${lostEdits} editors lost edits, ${unaskedExits} unasked exits, ` +
        `UNAVAILABLE at most ${longestUnavailableMs} ms, heap ${result.heapStartMb} → ${result.heapEndMb} MB`,
    );
    if (lostEvents + duplicatedEvents + lostEdits + result.lostWrites + result.duplicatedWrites + unaskedExits > 0)
      throw new Error(`fault: lost or duplicated something, or an instance exited: ${JSON.stringify(result)}`);
    return result;
  }
}
