import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { CollabClient, sectionScenario, textOf } from '../support/collab.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { type PostgresService, startPostgres } from '../support/services.js';

// A real server process, sent a real SIGTERM. It brings its own PostgreSQL, so the PostgreSQL pass of the
// suites (DATABASE_URL set) would only repeat it.
const repeat = Boolean(process.env.DATABASE_URL);

let postgres: PostgresService;
let server: ServerProcess;
let db: Database;
let feed: Client | undefined;
let editor: CollabClient | undefined;

beforeAll(async () => {
  if (repeat) return;
  postgres = await startPostgres();
  const databaseUrl = await postgres.createDatabase();
  server = await startServerProcess({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '60000' });
  db = await openDatabase({ databaseUrl });
}, 180_000);

afterAll(async () => {
  await editor?.abandon();
  await feed?.dispose();
  await server?.stop('SIGKILL');
  await db?.close();
  await postgres?.dispose();
});

/** Resolves once the server has printed `text` (its output is read as it comes, never on a clock). */
function printed(text: string): Promise<void> {
  if (server.output().includes(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const onData = () => {
      if (!server.output().includes(text)) return;
      server.process.stdout?.off('data', onData);
      resolve();
    };
    server.process.stdout?.on('data', onData);
  });
}

/** Everything a raw socket receives until the server closes it. */
async function readAll(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  await once(socket, 'close');
  return text;
}

describe.skipIf(repeat)('Graceful shutdown', () => {
  it('should stop accepting, finish what is in flight, close sockets with 1001, store documents and exit 0', async () => {
    onTestFailed(() => console.error(server.output().slice(-6000)));
    const { members, section } = await sectionScenario(db.prisma);
    const token = (await openSession(db.prisma, members[0]?.id as string, 3_600_000)).token;

    // An editor whose typing is acknowledged (stored in the update log) just before the signal.
    editor = new CollabClient(server.url, token, section.id);
    await editor.connect();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Notre coopérative répond avec trois partenaires')]);
    editor.body.insert(0, [paragraph]);
    await editor.settled();
    expect(editor.rejected).toEqual([]);

    // A live subscriber, whose socket must be closed with 1001 (going away) so that it reconnects elsewhere.
    let closeCode: number | undefined;
    const socketClosed = new Promise<number>((resolve) => {
      feed = createClient({
        url: `${server.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: false,
        on: {
          closed: (event) => {
            closeCode = (event as { code: number }).code;
            resolve(closeCode);
          },
        },
      });
    });
    const connected = new Promise<void>((resolve) => feed?.on('connected', () => resolve()));
    feed?.subscribe({ query: 'subscription { myFeed { __typename } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await connected;

    // A request in flight: its headers and half its body are sent before the signal, the rest after.
    const body = JSON.stringify({ query: '{ __typename }' });
    const request = connect({ host: new URL(server.url).hostname, port: Number(new URL(server.url).port) });
    await once(request, 'connect');
    const answer = readAll(request);
    // `Expect: 100-continue`: Node answers "100 Continue" as it hands the request to the server, so the
    // request is known to be in flight before the signal.
    const handed = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        if (!chunk.toString().startsWith('HTTP/1.1 100 Continue')) return;
        request.off('data', onData);
        resolve();
      };
      request.on('data', onData);
    });
    request.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await handed;
    request.write(body.slice(0, 10));

    const exited = once(server.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    server.process.kill('SIGTERM');
    await printed('Shutdown: no longer accepting connections');

    // New connections are refused from now on; the socket stays open while the request is in flight.
    const refused = connect({ host: new URL(server.url).hostname, port: Number(new URL(server.url).port) });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(closeCode).toBeUndefined();

    request.write(body.slice(10));
    const reply = await answer;
    expect(reply).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toContain('{"data":{"__typename":"Query"}');

    expect(await socketClosed).toBe(1001);
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });

    const steps = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; level: number; settled?: number; compacted?: number });
    expect(steps.map((line) => line.msg).filter((msg) => /^Shut/.test(msg))).toEqual([
      'Shutting down gracefully (send it again to stop at once)',
      'Shutdown: no longer accepting connections',
      'Shutdown: requests in flight finished',
      'Shutdown: documents stored',
      'Shutdown: sockets closed with 1001 (going away), SSE streams cut',
      'Shutdown complete',
    ]);
    expect(steps.filter((line) => line.level >= 50)).toEqual([]);
    expect(steps.find((line) => line.msg === 'Shutdown: no longer accepting connections')).toMatchObject({ inFlight: 1 });
    expect(steps.find((line) => line.msg === 'Shutdown: documents stored')).toMatchObject({ compacted: 1 });

    // What the document held is stored: its log folded into the snapshot, its figures computed.
    const stored = await db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } });
    expect(stored.wordCount).toBe(6);
    expect(await db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(0);
    const snapshot = await db.prisma.sectionSnapshot.findUniqueOrThrow({ where: { sectionId: section.id } });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, snapshot.state);
    expect(textOf(doc.getXmlFragment('body'))).toBe('Notre coopérative répond avec trois partenaires');
  }, 120_000);
});
