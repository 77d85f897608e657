import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../resilience/support.js';
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
const openFds = (of: ServerProcess = server) => readdirSync(`/proc/${of.process.pid}/fd`).length;

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

/** A connection from `localAddress` (127.0.0.1) to `to` that sends `opening` (nothing when empty) and then nothing more. */
function attacker(opening: string, localAddress = '127.0.0.1', to: ServerProcess = server): Attacker {
  const { port } = new URL(to.url);
  const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
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
function logLines(of: ServerProcess = server): Array<{ level: number; msg: string }> {
  return of
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
      const refused = await metric(/^collectifs_http_connections_refused_total\{limit="perAddress"\} /);
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

/** A response's body once it has fully arrived after its `head` (Content-Length or chunked), and its length on the wire. */
function bodyOf(head: string, rest: Buffer): { text: string; length: number } | null {
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) {
    const size = Number(length[1]);
    return rest.length >= size ? { text: rest.subarray(0, size).toString('utf8'), length: size } : null;
  }
  const chunks: Buffer[] = [];
  for (let at = 0; ; ) {
    const line = rest.indexOf(CRLF, at);
    if (line < 0) return null;
    const size = Number.parseInt(rest.subarray(at, line).toString('latin1'), 16);
    if (rest.length < line + 2 + size + 2) return null;
    if (size === 0) return { text: Buffer.concat(chunks).toString('utf8'), length: line + 4 };
    chunks.push(rest.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

/**
 * One keep-alive connection from `localAddress`, opened before a flood: `ask` sends a GET on it and resolves with
 * the answer (status and body), so a test can read the server while no new connection is let in.
 */
function keptAlive(to: ServerProcess, localAddress: string) {
  const { port } = new URL(to.url);
  const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
  let received = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    waiting?.();
  });
  socket.on('close', () => waiting?.());
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const ask = async (path: string): Promise<{ status: number; body: string }> => {
    await connected;
    socket.write(`GET ${path} HTTP/1.1${CRLF}Host: x${CRLF}Connection: keep-alive${CRLF}${CRLF}`);
    for (;;) {
      const text = received.toString('latin1');
      const end = text.indexOf(`${CRLF}${CRLF}`);
      const body = end >= 0 ? bodyOf(text.slice(0, end), received.subarray(end + 4)) : null;
      if (body) {
        received = received.subarray(end + 4 + body.length);
        return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), body: body.text };
      }
      if (socket.destroyed) throw new Error(`The kept-alive connection was closed: ${text.slice(0, 300)}`);
      await new Promise<void>((resolve) => {
        waiting = resolve;
      });
      waiting = null;
    }
  };
  return { socket, ask };
}

describe('Connections in all', () => {
  /** HTTP_MAX_CONNECTIONS for this server; each address may hold more than a third of it. */
  const TOTAL = 40;
  const PER_ADDRESS = 16;
  let capped: ServerProcess;

  beforeAll(async () => {
    capped = await startServerProcess({
      DATABASE_URL: '',
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'info',
      HTTP_MAX_CONNECTIONS: String(TOTAL),
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      // Idle connections stay for the test's length: the cap, not a timeout, is what holds them back.
      HTTP_HEADERS_TIMEOUT_MS: '600000',
      HTTP_REQUEST_TIMEOUT_MS: '600000',
    });
  }, 120_000);

  afterAll(async () => {
    await capped?.stop();
  });

  it(`should hold at most ${TOTAL} connections from 20 addresses together, keep serving those open, and let new ones in once they close`, async () => {
    // A client connected before the flood (a member's keep-alive connection): it must go on being served.
    const member = keptAlive(capped, '127.0.0.200');
    expect((await member.ask('/health')).status).toBe(200);
    const sample = async (line: RegExp) => {
      const { body } = await member.ask('/metrics');
      const found = body.split('\n').find((candidate) => line.test(candidate));
      return found ? Number(found.split(' ').at(-1)) : 0;
    };
    const refusedInAll = /^collectifs_http_connections_refused_total\{limit="total"\} /;
    const baseline = openFds(capped);
    let peak = baseline;
    const flood: Attacker[] = [];
    try {
      // 20 addresses × 10 idle connections: none past its own cap, 200 in all.
      for (let address = 10; address < 30; address += 1) {
        const batch = Array.from({ length: 10 }, () => attacker('', `127.0.0.${address}`, capped));
        flood.push(...batch);
        await Promise.all(batch.map((connection) => connection.settled));
        peak = Math.max(peak, openFds(capped));
        // Asked between batches, so its connection is never idle for Node's keep-alive timeout.
        expect((await member.ask('/health')).status).toBe(200);
      }
      // Every connection of the flood is accepted or refused once the server counts 200 of them.
      await until(
        async () => (await sample(/^collectifs_http_connections_open /)) - 1 + (await sample(refusedInAll)) >= flood.length,
        () => 'the server to accept or refuse the whole flood',
      );
      peak = Math.max(peak, openFds(capped));
      const open = await sample(/^collectifs_http_connections_open /);
      const refused = await sample(refusedInAll);
      console.info(
        `200 idle connections from 20 addresses: ${open} open, ${refused} refused on arrival; server fds ${baseline} before, at most ${peak}`,
      );
      expect(open).toBe(TOTAL);
      expect(refused).toBe(flood.length - (TOTAL - 1));
      expect(await sample(/^collectifs_http_connections_refused_total\{limit="perAddress"\} /)).toBe(0);
      // The cap, and a few files or pipes opened meanwhile: never the whole flood.
      expect(peak - baseline).toBeLessThanOrEqual(TOTAL + 16);
      // The refused connections were closed by the server, with nothing answered; the others are still open.
      await until(
        () => flood.filter((connection) => connection.socket.destroyed).length >= refused,
        () => `the ${refused} refused connections to be closed`,
      );
      const closed = flood.filter((connection) => connection.socket.destroyed);
      expect(closed).toHaveLength(refused);
      const ends = await Promise.all(closed.map((connection) => connection.closed));
      expect(ends.filter((end) => !end.byServer || end.status !== null)).toEqual([]);
      // The member connected before is still served, while the server is full.
      expect((await member.ask('/health')).status).toBe(200);
      // Logged once for the whole flood, as a warning.
      const full = logLines(capped).filter((line) => /HTTP_MAX_CONNECTIONS open/.test(line.msg));
      expect(full.map((line) => line.level)).toEqual([40]);
    } finally {
      for (const connection of flood) connection.socket.destroy();
    }
    // Once the flood is gone, a new connection from anywhere is answered again.
    const answered = await until(
      async () => {
        const reply = await rawRequest(capped.url, [`GET /health HTTP/1.1${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}`], {
          localAddress: '127.0.0.201',
          waitMs: 60_000,
        });
        return reply.status === 200 ? reply : null;
      },
      () => 'a new connection to be answered after the flood',
    );
    expect(answered.status).toBe(200);
    member.socket.destroy();
  }, 240_000);
});
