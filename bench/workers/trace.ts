// Replays a sequential editing trace (`../shared/traces/*.json.gz`) as one editor: raw Yjs in this process
// (the floor), or through the server like the web editor (each transaction applied locally at full speed,
// what is typed while a push is in flight merged into the next push, every push awaiting its acknowledgement).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { gunzipSync } from 'node:zlib';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { PendingUpdates } from '../../client/src/features/editor/pendingUpdates.js';
import { serveCommands } from '../lib/processes.js';

const SYNC = `subscription Sync($sectionId: ID!, $stateVector: String, $clientId: String) {
  sectionSync(sectionId: $sectionId, stateVector: $stateVector, clientId: $clientId) { kind update stateVector } }`;
const PUSH = `mutation Push($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename
  ... on MutationPushSectionUpdateSuccess { data { updateId } } ... on Error { message } } }`;
const REMOTE = Symbol('remote');
/**
 * How long (milliseconds) the replay types before it yields to the event loop. A turn of the loop costs about 6 µs,
 * as much as a transaction, so yielding after each of 259,778 transactions added about 1.6 s of the client's own time
 * to the measured path; a person's keystrokes are never less than a millisecond apart.
 */
const YIELD_EVERY_MS = 1;

interface Trace {
  startContent: string;
  endContent: string;
  txns: Array<{ patches: Array<[number, number, string]> }>;
}

let trace: Trace | null = null;

function load(path: string, limit: number | null): Trace {
  const full = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as Trace;
  const txns = limit === null ? full.txns : full.txns.slice(0, limit);
  return { startContent: full.startContent, endContent: limit === null ? full.endContent : '', txns };
}

/** A section body with one paragraph holding the trace's start text; returns its text node. */
function paragraphOf(doc: Y.Doc, startContent: string): Y.XmlText {
  const paragraph = new Y.XmlElement('paragraph');
  const text = new Y.XmlText();
  doc.transact(() => {
    doc.getXmlFragment('body').insert(0, [paragraph]);
    paragraph.insert(0, [text]);
    if (startContent) text.insert(0, startContent);
  });
  return text;
}

function applyTxn(text: Y.XmlText, patches: Array<[number, number, string]>): void {
  for (const [position, deleted, inserted] of patches) {
    if (deleted > 0) text.delete(position, deleted);
    if (inserted) text.insert(position, inserted);
  }
}

function request(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ pushSectionUpdate?: { __typename: string } }> {
  return new Promise((resolve, reject) => {
    let data: unknown = null;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (data = value.errors ? { errors: value.errors } : value.data),
        error: reject,
        complete: () => resolve(data as never),
      },
    );
  });
}

serveCommands({
  /** Loads the trace (its first `limit` transactions, or all); returns their count. */
  load: ({ path, limit }: { path: string; limit: number | null }) => {
    trace = load(path, limit);
    return { txns: trace.txns.length, endContent: trace.endContent };
  },
  /** Raw Yjs: every transaction applied to one document in this process. */
  raw: () => {
    const t = trace as Trace;
    const doc = new Y.Doc();
    const text = paragraphOf(doc, t.startContent);
    const started = performance.now();
    for (const txn of t.txns) doc.transact(() => applyTxn(text, txn.patches));
    const elapsedMs = performance.now() - started;
    return { elapsedMs, text: text.toString() };
  },
  /** Through the server: replays at full speed, returns when every push is acknowledged (or at the bound). */
  server: async (args: { url: string; token: string; sectionId: string; boundMs: number; profilePath?: string }) => {
    const t = trace as Trace;
    const client = createClient({
      url: args.url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${args.token}` },
      lazy: false,
      retryAttempts: 0,
    });
    const doc = new Y.Doc();
    const clientId = 'trace-replay';
    await new Promise<void>((resolve, reject) => {
      client.subscribe<{ sectionSync: { kind: string; update: string } }>(
        { query: SYNC, variables: { sectionId: args.sectionId, stateVector: null, clientId } },
        {
          next: (result) => {
            const message = result.data?.sectionSync;
            if (!message) return reject(new Error(JSON.stringify(result.errors)));
            Y.applyUpdate(doc, Buffer.from(message.update, 'base64'), REMOTE);
            if (message.kind === 'SYNC') resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    // Start from an empty body: the seeded text is removed, then the trace's paragraph is added.
    doc.transact(() => {
      const body = doc.getXmlFragment('body');
      body.delete(0, body.length);
    });
    // The web editor's own queue (client/src/features/editor/sectionSync.ts adds its transactions the same way).
    const queued = new PendingUpdates(doc);
    let pushes = 0;
    let acknowledged = 0;
    const rejected: string[] = [];
    let inFlight: Promise<void> | null = null;
    const drain = async () => {
      for (let next = queued.take(); next; next = queued.take()) {
        const { update } = next;
        pushes += 1;
        const result = await request(client, PUSH, {
          input: { sectionId: args.sectionId, update: Buffer.from(update).toString('base64'), clientId },
        }).catch((error: unknown) => ({ error: String(error) }) as never);
        if (result?.pushSectionUpdate?.__typename === 'MutationPushSectionUpdateSuccess') acknowledged += 1;
        else rejected.push(JSON.stringify(result).slice(0, 300));
      }
      inFlight = null;
    };
    // On `update` as the web editor (which also keeps each update for its offline copy): Yjs encodes each one.
    doc.on('update', (_update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      if (origin === REMOTE) return;
      queued.addTransaction(transaction);
      inFlight ??= drain();
    });
    // `--profile`: this client's own CPU profile too (the server's is taken over its inspector).
    const session = args.profilePath ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const text = paragraphOf(doc, t.startContent);
    let applied = 0;
    let yielded = started;
    for (const txn of t.txns) {
      doc.transact(() => applyTxn(text, txn.patches));
      applied += 1;
      const now = performance.now();
      if (now - started > args.boundMs) break;
      if (now - yielded < YIELD_EVERY_MS) continue;
      // Yield as an editor does between keystrokes, so pushes and acknowledgements flow meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      yielded = performance.now();
    }
    const typedMs = performance.now() - started;
    while (inFlight) await inFlight;
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (session && args.profilePath) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(args.profilePath, JSON.stringify(profile));
      session.disconnect();
    }
    await client.dispose();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return { applied, typedMs, elapsedMs, cpuMs, pushes, acknowledged, rejected: rejected.slice(0, 5), text: text.toString() };
  },
});
