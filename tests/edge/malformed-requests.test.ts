import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frenchProblems } from '../support/french.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { rawRequest } from '../support/raw-http.js';

// A real server process: a request that crashed it would end the process, which an in-process app hides.
let server: ServerProcess;
// A built web app of its own, so that the file requests (ranges, conditional GETs) meet real files
// whether or not the client was built.
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'collectifs-dist-'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><html><head></head><body>Collectifs</body></html>\n');
  // Embedded and in memory in both passes: what is tested here is the HTTP layer, not the database.
  server = await startServerProcess({
    DATABASE_URL: '',
    DATA_DIR: 'memory://',
    CLIENT_DIST: dist,
    HTTP_HEADERS_TIMEOUT_MS: '1000',
    HTTP_REQUEST_TIMEOUT_MS: '2000',
    HTTP_MAX_BODY_BYTES: String(64 * 1024),
    // A server started under vitest logs nothing unless told: the check below that nothing is logged as an error
    // needs its lines.
    LOG_LEVEL: 'debug',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(dist, { recursive: true, force: true });
});

const CRLF = '\r\n';
/** A request head; `Connection: close` so that the server ends the exchange once it answered. */
const head = (line: string, headers: string[] = []) =>
  [line, 'Host: localhost', 'Connection: close', ...headers, '', ''].join(CRLF);
const post = (body: string | Buffer, headers: string[] = ['Content-Type: application/json']) => [
  head('POST /graphql HTTP/1.1', [...headers, `Content-Length: ${Buffer.byteLength(body)}`]),
  body,
];

interface Case {
  name: string;
  chunks: Array<string | Buffer>;
  /** The statuses this request may get; null stands for "the connection was closed without an answer". */
  expect: Array<number | null>;
  gapMs?: number;
}

const CASES: Case[] = [
  // Paths and request targets.
  { name: 'invalid percent-encoding in the path', chunks: [head('GET /%E0%A4%A HTTP/1.1')], expect: [400] },
  { name: 'lone percent sign', chunks: [head('GET /% HTTP/1.1')], expect: [400] },
  { name: 'percent-encoded NUL', chunks: [head('GET /a%00b HTTP/1.1')], expect: [400] },
  { name: 'invalid percent-encoding under /assets', chunks: [head('GET /assets/%ZZ.js HTTP/1.1')], expect: [400] },
  { name: 'invalid percent-encoding on the GraphQL path', chunks: [head('GET /graph%ql HTTP/1.1')], expect: [400] },
  { name: 'encoded path traversal', chunks: [head('GET /assets/..%2f..%2f..%2fpackage.json HTTP/1.1')], expect: [403, 404] },
  { name: 'raw path traversal', chunks: [head('GET /../../../etc/passwd HTTP/1.1')], expect: [404, 200] },
  { name: 'backslash traversal', chunks: [head('GET /..\\..\\package.json HTTP/1.1')], expect: [400, 404] },
  { name: 'asterisk-form target', chunks: [head('OPTIONS * HTTP/1.1')], expect: [400, 404, 405] },
  {
    name: 'absolute-form target',
    chunks: [head('GET http://elsewhere.example/graphql?query=%7B__typename%7D HTTP/1.1')],
    expect: [200],
  },
  { name: 'malformed absolute-form target', chunks: [head('GET http://[::1 HTTP/1.1')], expect: [400] },
  { name: 'invalid percent-encoding in the query string', chunks: [head('GET /graphql?query=%E0%A4%A HTTP/1.1')], expect: [400] },
  { name: 'query string that is not GraphQL', chunks: [head('GET /graphql?query=%7B%7B%7B HTTP/1.1')], expect: [200, 400] },
  {
    name: 'variables that are not JSON',
    chunks: [head('GET /graphql?query=%7B__typename%7D&variables=%7Bbad HTTP/1.1')],
    expect: [400],
  },
  { name: 'a 100 kB request line', chunks: [head(`GET /${'a'.repeat(100_000)} HTTP/1.1`)], expect: [431, 414, 400] },
  { name: 'raw NUL byte in the path', chunks: [`GET /a\0b HTTP/1.1${CRLF}Host: localhost${CRLF}${CRLF}`], expect: [400] },
  {
    name: 'raw non-ASCII bytes in the path',
    chunks: [
      Buffer.concat([Buffer.from('GET /'), Buffer.from([0xff, 0xfe]), Buffer.from(` HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`)]),
    ],
    expect: [400],
  },
  { name: 'a missing asset', chunks: [head('GET /assets/missing-0000.js HTTP/1.1')], expect: [404] },
  // Methods.
  { name: 'unknown method', chunks: [head('FROB / HTTP/1.1')], expect: [400] },
  { name: 'lower-case method', chunks: [head('get / HTTP/1.1')], expect: [400] },
  { name: 'DELETE on a page', chunks: [head('DELETE / HTTP/1.1')], expect: [405] },
  {
    name: 'PUT on GraphQL',
    chunks: [head('PUT /graphql HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 2']), '{}'],
    expect: [405],
  },
  { name: 'TRACE', chunks: [head('TRACE / HTTP/1.1')], expect: [405] },
  { name: 'CONNECT', chunks: [head('CONNECT localhost:80 HTTP/1.1')], expect: [400, 405, null] },
  { name: 'PATCH on GraphQL', chunks: [head('PATCH /graphql HTTP/1.1', ['Content-Length: 0'])], expect: [405] },
  // Headers.
  { name: 'header line without a colon', chunks: [head('GET / HTTP/1.1', ['NoColonHere'])], expect: [400] },
  { name: 'control character in a header value', chunks: [head('GET / HTTP/1.1', ['X-Test: a\u0001b'])], expect: [400] },
  { name: 'space before the colon', chunks: [head('GET / HTTP/1.1', ['X-Test : a'])], expect: [400] },
  {
    name: 'two different Content-Length values',
    chunks: [head('POST /graphql HTTP/1.1', ['Content-Length: 5', 'Content-Length: 6']), '{}'],
    expect: [400],
  },
  {
    name: 'Content-Length with Transfer-Encoding',
    chunks: [head('POST /graphql HTTP/1.1', ['Content-Length: 4', 'Transfer-Encoding: chunked']), '0\r\n\r\n'],
    expect: [400],
  },
  { name: 'negative Content-Length', chunks: [head('POST /graphql HTTP/1.1', ['Content-Length: -1'])], expect: [400] },
  {
    name: 'Content-Length that is not a number',
    chunks: [head('POST /graphql HTTP/1.1', ['Content-Length: ten'])],
    expect: [400],
  },
  {
    name: 'unknown Transfer-Encoding',
    chunks: [head('POST /graphql HTTP/1.1', ['Transfer-Encoding: gzip, foo']), 'x'],
    expect: [400, 415, 501],
  },
  { name: 'a 100 kB header', chunks: [head('GET / HTTP/1.1', [`X-Big: ${'b'.repeat(100_000)}`])], expect: [431] },
  {
    name: 'three thousand headers',
    chunks: [
      head(
        'GET / HTTP/1.1',
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`),
      ),
    ],
    expect: [431, 400, 200],
  },
  { name: 'HTTP/1.1 without Host', chunks: [`GET / HTTP/1.1${CRLF}Connection: close${CRLF}${CRLF}`], expect: [400] },
  { name: 'unsupported HTTP version', chunks: [head('GET / HTTP/3.7')], expect: [400, 505] },
  { name: 'malformed Range', chunks: [head('GET / HTTP/1.1', ['Range: bytes=5-2'])], expect: [200, 206, 416] },
  { name: 'unsatisfiable Range', chunks: [head('GET / HTTP/1.1', ['Range: bytes=99999999-'])], expect: [200, 416] },
  { name: 'Range that is not bytes', chunks: [head('GET / HTTP/1.1', ['Range: lines=1-2'])], expect: [200, 416] },
  {
    name: 'garbage Accept-Encoding',
    chunks: [head('GET / HTTP/1.1', ['Accept-Encoding: gzip;q=abc, br;q=-1, *;q=9'])],
    expect: [200, 404],
  },
  {
    name: 'garbage conditional headers',
    chunks: [head('GET / HTTP/1.1', ['If-None-Match: "', 'If-Modified-Since: yesterday'])],
    expect: [200, 404],
  },
  {
    name: 'garbage Authorization',
    chunks: [head('GET /graphql?query=%7B__typename%7D HTTP/1.1', [`Authorization: Bearer ${'\u00e9'.repeat(500)}`])],
    expect: [200, 401],
  },
  {
    name: 'Authorization that is not Bearer',
    chunks: [head('GET /graphql?query=%7B__typename%7D HTTP/1.1', ['Authorization: Basic Zm9vOmJhcg=='])],
    expect: [200],
  },
  {
    name: 'garbage Accept',
    chunks: [head('GET /graphql?query=%7B__typename%7D HTTP/1.1', ['Accept: ;;;,,,*/*;q=x'])],
    expect: [200, 406],
  },
  {
    name: 'garbage x-request-id',
    chunks: [head('GET /graphql?query=%7B__typename%7D HTTP/1.1', [`X-Request-Id: ${'\u00ff'.repeat(300)}`])],
    expect: [200],
  },
  // Bodies.
  { name: 'body that is not JSON', chunks: post('{"query": '), expect: [400] },
  { name: 'JSON that is not an object', chunks: post('[1, 2, 3]'), expect: [400] },
  { name: 'JSON null', chunks: post('null'), expect: [400] },
  { name: 'query that is a number', chunks: post('{"query": 42}'), expect: [400] },
  { name: 'variables that are a string', chunks: post('{"query": "{ __typename }", "variables": "x"}'), expect: [400] },
  {
    name: 'deeply nested JSON',
    chunks: post(`{"query": "{ __typename }", "variables": {"a": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}`),
    expect: [200, 400, 413],
  },
  { name: 'empty body', chunks: post(''), expect: [400] },
  { name: 'body larger than the limit', chunks: post(`{"query": "${'x'.repeat(100_000)}"}`), expect: [413] },
  {
    name: 'body shorter than its Content-Length',
    chunks: [head('POST /graphql HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 100']), '{"query"'],
    expect: [400, 408, null],
  },
  {
    name: 'invalid chunk size',
    chunks: [
      head('POST /graphql HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked']),
      'zz\r\n{}\r\n0\r\n\r\n',
    ],
    expect: [400],
  },
  {
    name: 'chunked body over the limit',
    chunks: [
      head('POST /graphql HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked']),
      `10000\r\n${'a'.repeat(0x10000)}\r\n10000\r\n${'a'.repeat(0x10000)}\r\n0\r\n\r\n`,
    ],
    expect: [413],
  },
  {
    name: 'multipart body that is garbage',
    chunks: post('--x\r\ngarbage', ['Content-Type: multipart/form-data; boundary=x']),
    expect: [400, 415],
  },
  { name: 'unsupported content type', chunks: post('{ __typename }', ['Content-Type: text/plain']), expect: [400, 415, 200] },
  {
    name: 'content type that merely contains application/json',
    chunks: post('{"query":"{ __typename }"}', ['Content-Type: text/plain; x=application/json']),
    expect: [415],
  },
  {
    name: 'content type that merely contains application/json, on the graphql-sse path',
    chunks: [
      head('POST /graphql/stream HTTP/1.1', [
        'Content-Type: text/plain; x=application/json',
        'Accept: text/event-stream',
        'Content-Length: 26',
      ]),
      '{"query":"{ __typename }"}',
    ],
    expect: [415],
  },
  {
    name: 'two media types in one content type',
    chunks: post('{"query":"{ __typename }"}', ['Content-Type: application/json, text/plain']),
    expect: [415],
  },
  {
    name: 'content type with an unknown charset',
    chunks: post('{"query":"{ __typename }"}', ['Content-Type: application/json; charset=ebcdic']),
    expect: [200, 400, 415],
  },
  {
    name: 'gzip Content-Encoding with a body that is not gzip',
    chunks: post('not gzip at all', ['Content-Type: application/json', 'Content-Encoding: gzip']),
    expect: [415],
  },
  {
    name: 'unknown Content-Encoding',
    chunks: post('{"query":"{ __typename }"}', ['Content-Type: application/json', 'Content-Encoding: frobnicate']),
    expect: [415],
  },
  // Encodings.
  {
    name: 'invalid UTF-8 in a JSON body',
    chunks: post(Buffer.concat([Buffer.from('{"query": "{ __typename } #'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])),
    expect: [200, 400],
  },
  { name: 'UTF-16 body', chunks: post(Buffer.from('{"query":"{ __typename }"}', 'utf16le')), expect: [400] },
  { name: 'byte-order mark before JSON', chunks: post('\ufeff{"query":"{ __typename }"}'), expect: [200, 400] },
  { name: 'NUL bytes in a query', chunks: post('{"query":"{ __typename \\u0000 }"}'), expect: [200, 400] },
  // Protocol.
  { name: 'HTTP/0.9 request', chunks: [`GET /${CRLF}`], expect: [400, 408, null] },
  { name: 'bare LF line endings', chunks: ['GET / HTTP/1.1\nHost: x\nConnection: close\n\n'], expect: [200, 400, 404] },
  { name: 'HTTP/2 preface on HTTP/1', chunks: [`PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`], expect: [400, 505] },
  { name: 'TLS ClientHello on plain HTTP', chunks: [Buffer.from('160301020001000200030377', 'hex')], expect: [400] },
  { name: 'random bytes', chunks: [Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))], expect: [400] },
  {
    name: 'two pipelined requests, the second malformed',
    chunks: [
      `GET /graphql?query=%7B__typename%7D HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}GET /%E0 HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`,
    ],
    expect: [200],
  },
  // WebSocket handshakes.
  {
    name: 'WebSocket upgrade without a key',
    chunks: [head('GET /graphql HTTP/1.1', ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'])],
    expect: [400],
  },
  {
    name: 'WebSocket upgrade with a bad version',
    chunks: [
      head('GET /graphql HTTP/1.1', [
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 99',
      ]),
    ],
    expect: [400, 426],
  },
  {
    name: 'WebSocket upgrade on another path',
    chunks: [
      head('GET /elsewhere HTTP/1.1', [
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
      ]),
    ],
    expect: [404],
  },
  {
    name: 'WebSocket upgrade on a malformed path',
    chunks: [
      head('GET /%E0%A4%A HTTP/1.1', [
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
      ]),
    ],
    expect: [400],
  },
  // Slow clients: Node's own timeouts end them (HTTP_HEADERS_TIMEOUT_MS and HTTP_REQUEST_TIMEOUT_MS above).
  {
    name: 'slowloris: headers one byte at a time',
    chunks: [...`GET / HTTP/1.1${CRLF}Host: x${CRLF}X-Slow: ${'s'.repeat(60)}`],
    gapMs: 50,
    expect: [408, null],
  },
  {
    name: 'slow body',
    chunks: [
      head('POST /graphql HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 500']),
      ...'{"query":"{ __typename }"'.split(''),
    ],
    gapMs: 200,
    expect: [408, null],
  },
];

/**
 * Whether a raw reply's body is a refusal shaped like the API's (`{ errors: [{ message, extensions: { code } }] }`,
 * a French message): 'typed', or what is wrong with it.
 */
function typedRefusal(text: string): string {
  const headEnd = text.indexOf('\r\n\r\n');
  let body = text.slice(headEnd + 4);
  // A chunked body, de-chunked: size line, data, CRLF, until the empty chunk.
  if (/\r\ntransfer-encoding: *chunked/i.test(text.slice(0, headEnd))) {
    let plain = '';
    for (let rest = body; ; ) {
      const line = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, line), 16);
      if (!(size > 0)) break;
      plain += rest.slice(line + 2, line + 2 + size);
      rest = rest.slice(line + 4 + size);
    }
    body = plain;
  }
  // rawRequest reads bytes as latin1: the body back as UTF-8.
  body = Buffer.from(body, 'latin1').toString('utf8');
  let parsed: { errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }> };
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'with a body that is not JSON';
  }
  const error = parsed.errors?.[0];
  if (!error) return 'without errors';
  // Coded, and French but for graphql-js' document errors (tests/support/french.ts).
  const problems = frenchProblems('', [error]);
  return problems.length > 0 ? problems.join('; ') : 'typed';
}

async function stillAnswers(): Promise<void> {
  const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
  expect(response.status).toBe(200);
  expect((await response.json()).data).toEqual({ __typename: 'Query' });
}

describe('Malformed requests', () => {
  it(`should answer each of ${CASES.length} malformed requests with a refusal and keep answering`, async () => {
    const seen: string[] = [];
    const mismatches: string[] = [];
    const untyped: string[] = [];
    for (const testCase of CASES) {
      const reply = await rawRequest(server.url, testCase.chunks, { gapMs: testCase.gapMs, waitMs: 8_000 });
      seen.push(`${testCase.name}: ${reply.status ?? 'closed'}`);
      if (!testCase.expect.includes(reply.status))
        mismatches.push(`${testCase.name} answered ${reply.status}:\n${reply.text.slice(0, 300)}`);
      const refusal = typedRefusal(reply.text);
      // The WebSocket handshake's refusals too (answered by transport/websocket.ts, not by ws in text/html).
      if (reply.status !== null && reply.status >= 400 && refusal !== 'typed')
        untyped.push(`${testCase.name} answered ${reply.status} ${refusal}:\n${reply.text.slice(0, 300)}`);
      expect(server.process.exitCode, `${testCase.name} ended the server:\n${server.output()}`).toBeNull();
      await stillAnswers();
    }
    expect(mismatches).toEqual([]);
    // Every refusal is coded like the API's GraphQL ones, its message in French as theirs are.
    expect(untyped).toEqual([]);
    // Nothing slipped through to the process-level handlers, and no refusal was logged as an error.
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const errors = lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors, seen.join('\n')).toEqual([]);
  }, 240_000);
});

/**
 * A slow client that never finishes: it opens a connection, sends `opening`, then one more byte of `drip` every
 * `gapMs` for as long as the connection stays open (up to `maxMs`, far past the server's timeouts). Resolves
 * with whether the server ended it, its status line if it answered, and when.
 */
function slowClient(opening: string, drip: string, gapMs: number, maxMs = 30_000) {
  const { port, hostname } = new URL(server.url);
  const started = Date.now();
  return new Promise<{ endedByServer: boolean; status: number | null; afterMs: number }>((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (endedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ endedByServer, status: status ? Number(status) : null, afterMs: Date.now() - started });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.once('close', () => finish(true));
    socket.once('error', () => finish(true));
    socket.once('connect', () => {
      socket.write(opening);
      let sent = 0;
      const next = () => {
        if (socket.destroyed) return;
        if (Date.now() - started > maxMs) return finish(false);
        socket.write(drip[sent % drip.length] as string);
        sent += 1;
        timer = setTimeout(next, gapMs);
      };
      timer = setTimeout(next, gapMs);
    });
  });
}

describe('Slow clients', () => {
  it('should end clients that send their headers or body too slowly (408 or closed) while answering others', async () => {
    // Twenty at once of each kind: a header that never ends (slowloris), and a body that never completes.
    const slow = [
      ...Array.from({ length: 20 }, () => slowClient(`GET / HTTP/1.1${CRLF}Host: x${CRLF}X-Slow: `, 's', 100)),
      ...Array.from({ length: 20 }, () =>
        slowClient(head('POST /graphql HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 1000']), ' ', 100),
      ),
    ];
    // Meanwhile a small query is answered.
    await stillAnswers();
    const ended = await Promise.all(slow);
    // Every one ended by the server (HTTP_HEADERS_TIMEOUT_MS 1 s, HTTP_REQUEST_TIMEOUT_MS 2 s), none by the client's bound.
    expect(ended.filter((client) => !client.endedByServer)).toEqual([]);
    expect(ended.filter((client) => client.status !== null && client.status !== 408)).toEqual([]);
    expect(server.process.exitCode).toBeNull();
    await stillAnswers();
  }, 120_000);
});
