import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latencyUnderAbuse } from '../support/abuse.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { rawRequest } from '../support/raw-http.js';

/** HTTP_MAX_CONNECTIONS_PER_ADDRESS for this server. */
const CAP = 32;
/**
 * The abuser connects from 127.0.0.1, everyone else from this address: Linux routes all of 127.0.0.0/8 to the
 * loopback interface, so the server sees two addresses.
 */
const OTHER = '127.0.0.2';
const CRLF = '\r\n';

let server: ServerProcess;

beforeAll(async () => {
  // A real process: its file descriptors are counted, and what it logs is read back.
  server = await startServerProcess({
    DATABASE_URL: '',
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'debug',
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(CAP),
    HTTP_HEADERS_TIMEOUT_MS: '1000',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** The server process's open file descriptors (sockets, files, pipes). */
const openFds = () => readdirSync(`/proc/${server.process.pid}/fd`).length;

/** A small query from the other address, on a connection of its own; resolves once it is answered. */
async function fromOtherAddress(): Promise<void> {
  const reply = await rawRequest(
    server.url,
    [`GET /graphql?query=%7B__typename%7D HTTP/1.1${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}`],
    { localAddress: OTHER, waitMs: 120_000 },
  );
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
}

interface Attacker {
  socket: Socket;
  /** Resolves once connected and `opening` is handed to the kernel, or once the connection is closed. */
  settled: Promise<void>;
  /** Resolves once the connection is closed, with what the server answered (null: nothing) and who closed it. */
  closed: Promise<{ status: number | null; byServer: boolean }>;
}

/** A connection from 127.0.0.1 that sends `opening` (nothing when empty) and then nothing more. */
function attacker(opening: string): Attacker {
  const { port } = new URL(server.url);
  const socket = connect({ port: Number(port), host: '127.0.0.1' });
  let text = '';
  // The server ended the connection (FIN) or reset it; a close without either is the client's own.
  let byServer = false;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.once('end', () => {
    byServer = true;
  });
  socket.on('error', () => {
    byServer = true;
  });
  const closed = new Promise<{ status: number | null; byServer: boolean }>((resolve) =>
    socket.once('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : null, byServer });
    }),
  );
  const settled = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('connect', () => (opening ? socket.write(opening, () => resolve()) : resolve()));
  });
  return { socket, settled, closed };
}

/** A Prometheus sample's value in `/metrics`, asked from the other address (0 when absent). */
async function metric(line: RegExp): Promise<number> {
  const reply = await rawRequest(server.url, [`GET /metrics HTTP/1.1${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}`], {
    localAddress: OTHER,
    waitMs: 60_000,
  });
  const sample = reply.text.split('\n').find((candidate) => line.test(candidate));
  return sample ? Number(sample.split(' ').at(-1)) : 0;
}

/** The server's JSON log lines written so far. */
function logLines(): Array<{ level: number; msg: string }> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

describe('Client hang-ups', () => {
  it('should log a client closing its connection mid-request at debug, never as an outage or a server error', async () => {
    const before = logLines().length;
    const paths = ['/graphql', '/graphql/stream'];
    for (const path of paths) {
      const hangUp = attacker(
        `POST ${path} HTTP/1.1${CRLF}Host: x${CRLF}Content-Type: application/json${CRLF}Expect: 100-continue${CRLF}` +
          `Content-Length: 100${CRLF}${CRLF}{"query":`,
      );
      // Node answers 100 Continue as it hands the request on: from then on its body is being read.
      await new Promise<void>((resolve) => hangUp.socket.once('data', () => resolve()));
      hangUp.socket.destroy();
      await hangUp.closed;
    }
    const gone = () =>
      logLines()
        .slice(before)
        .filter((line) => line.msg === 'Client went away mid-request');
    // Each hang-up is logged once the server notices it (asking for the metrics meanwhile lets it run).
    while (gone().length < paths.length) await metric(/^collectifs_http_connections_open /);
    const lines = logLines().slice(before);
    expect(lines.filter((line) => line.level >= 40 || /outage|UNAVAILABLE/.test(line.msg))).toEqual([]);
    expect(await metric(/^collectifs_http_requests_total\{.*status="5\d\d"\}/)).toBe(0);
    expect(await metric(/^collectifs_graphql_errors_total\{code="UNAVAILABLE"\}/)).toBe(0);
    expect(await metric(/^collectifs_http_requests_total\{method="POST",route="graphql",status="aborted"\}/)).toBe(paths.length);
  }, 60_000);
});

describe('Connections per address', () => {
  it('should close connections that never send a byte once the headers timeout passes', async () => {
    // Node's headersTimeout covers a connection from its start: it is ended with a 408 (or closed) after 1 s here.
    const idle = Array.from({ length: 10 }, () => attacker(''));
    const ends = await Promise.all(idle.map((connection) => connection.closed));
    expect(ends.filter((end) => !end.byServer)).toEqual([]);
    expect(ends.filter((end) => end.status !== null && end.status !== 408)).toEqual([]);
  }, 60_000);

  it(`should hold at most ${CAP} connections of one address: 10 000 idle sockets from it leave the other address served`, async () => {
    const baseline = openFds();
    let peak = baseline;
    const held: Attacker[] = [];
    try {
      for (let batch = 0; batch < 40; batch += 1) {
        const connections = Array.from({ length: 250 }, () => attacker(''));
        held.push(...connections);
        await Promise.all(connections.map((connection) => connection.settled));
        // The listening socket accepts in order: once the other address is answered, the batch has been accepted or refused.
        await fromOtherAddress();
        peak = Math.max(peak, openFds());
      }
      const refused = await metric(/^collectifs_http_connections_refused_total /);
      console.info(
        `10 000 idle sockets: server fds ${baseline} before, at most ${peak} meanwhile; ${refused} refused on arrival`,
      );
      expect(refused).toBeGreaterThan(10_000 - 40 * CAP);
      // The cap, the other address's connection and a few files or pipes opened meanwhile: never thousands.
      expect(peak - baseline).toBeLessThanOrEqual(CAP + 16);
    } finally {
      for (const connection of held) connection.socket.destroy();
    }
  }, 240_000);

  it('should keep answering another address within 10× its unloaded latency while one address trickles 4 000 slow POSTs', async () => {
    // Headers sent, then a body of a megabyte that never completes.
    const slowPost = `POST /graphql HTTP/1.1${CRLF}Host: x${CRLF}Content-Type: application/json${CRLF}Content-Length: 1000000${CRLF}${CRLF}{`;
    const held: Attacker[] = [];
    const baseline = openFds();
    let peak = baseline;
    let slowest = 0;
    try {
      // The burst, 250 at a time; the other address is answered after each (and its wait measured).
      for (let batch = 0; batch < 16; batch += 1) {
        const burst = Array.from({ length: 250 }, () => attacker(slowPost));
        held.push(...burst);
        await Promise.all(burst.map((connection) => connection.settled));
        const started = performance.now();
        await fromOtherAddress();
        slowest = Math.max(slowest, performance.now() - started);
        peak = Math.max(peak, openFds());
      }
      const open = () => held.filter((connection) => !connection.socket.destroyed);
      // Then each round trickles one more byte of body on every connection still open.
      const measured = await latencyUnderAbuse(
        fromOtherAddress,
        async () => {
          await Promise.all(open().map((connection) => new Promise((resolve) => connection.socket.write(' ', resolve))));
          // The trickle's pace: a byte per connection every 10 ms (this is the abuse's rate, not a wait for an outcome).
          await new Promise((resolve) => setTimeout(resolve, 10));
          peak = Math.max(peak, openFds());
        },
        { lanes: 1, samples: 9 },
      );
      console.info(
        `4 000 slow POSTs: other address answered in at most ${Math.round(slowest)} ms during the burst, then ` +
          `${JSON.stringify(measured)} while ${open().length} trickle; server fds ${baseline} before, at most ${peak}`,
      );
      expect(measured.rounds).toBeGreaterThan(0);
      expect(measured.ratio).toBeLessThan(10);
      expect(peak - baseline).toBeLessThanOrEqual(CAP + 16);
    } finally {
      for (const connection of held) connection.socket.destroy();
    }
  }, 240_000);
});
