import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json } from '../support/app.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { makeMember } from '../support/scenario.js';

// A real server process: JSON nested too deep must be refused by the server as deployed, sockets included.
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({
    DATABASE_URL: '',
    DATA_DIR: 'memory://',
    NODE_ENV: 'production',
    JSON_MAX_DEPTH: '64',
    WS_MAX_SOCKETS_PER_USER: '3',
    WS_MAX_INIT_PAYLOAD_BYTES: String(16 * 1024),
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const nested = (levels: number, inner = '1') => '['.repeat(levels) + inner + ']'.repeat(levels);

async function post(body: string, contentType = 'application/json', path = '/graphql') {
  // graphql-sse's endpoint answers its distinct-connection requests as an event stream.
  const accept = path === '/graphql' ? 'application/json' : 'text/event-stream';
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept },
    body,
  });
  const text = await response.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, text, json };
}

/** The server still answers a small query. */
async function stillAnswers() {
  const answer = await post(JSON.stringify({ query: '{ __typename }' }));
  expect(answer.status).toBe(200);
  expect(answer.json.data).toEqual({ __typename: 'Query' });
}

// Every path that accepts a GraphQL request body: /graphql (Yoga's parser) and graphql-sse's endpoint, which
// reads its requests itself.
describe.each(['/graphql', '/graphql/stream'])('JSON nested too deep over HTTP, on %s', (path) => {
  const answered = (answer: { status: number; text: string }) => {
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('"__typename":"Query"');
  };

  it('should refuse a 1.8 MB [[[[…]]]] body with 400 BAD_USER_INPUT before parsing it, and keep answering', async () => {
    const answer = await post(`{"query":"{ __typename }","variables":{"x":${nested(900_000)}}}`, undefined, path);
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'jsonDepth', maxDepth: 64 });
    const bare = await post(nested(900_000), undefined, path);
    expect(bare.status).toBe(400);
    answered(await post(JSON.stringify({ query: '{ __typename }' }), undefined, path));
    await stillAnswers();
  });

  it('should accept nesting up to the limit, and brackets inside strings at any count', async () => {
    // The body is one level, variables a second: 62 more is 64 in all.
    // Past the JSON scan it is parsed (GraphQL's own, shallower, input-depth limit then refuses it).
    const deepest = await post(`{"query":"{ __typename }","variables":{"x":${nested(62)}}}`, undefined, path);
    expect(deepest.text).not.toContain('jsonDepth');
    expect(deepest.status).not.toBe(413);
    const oneMore = await post(`{"query":"{ __typename }","variables":{"x":${nested(63)}}}`, undefined, path);
    expect(oneMore.status).toBe(400);
    const strings = JSON.stringify({ query: '{ __typename }', variables: { x: `"\\${'[{'.repeat(5000)}` } });
    answered(await post(strings, undefined, path));
  });

  it('should refuse deep variables in a GET query string', async () => {
    const url = new URL(`${server.url}${path}`);
    url.searchParams.set('query', '{ __typename }');
    url.searchParams.set('variables', `{"x":${nested(100)}}`);
    const accept = path === '/graphql' ? 'application/json' : 'text/event-stream';
    const response = await fetch(url, { headers: { accept } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('should refuse a body over the size limit with 413, and keep answering', async () => {
    const answer = await post(
      JSON.stringify({ query: '{ __typename }', variables: { x: 'x'.repeat(3 * 1024 * 1024) } }),
      undefined,
      path,
    );
    expect(answer.status).toBe(413);
    await stillAnswers();
  });
});

describe('GraphQL POST content types', () => {
  it('should refuse every POST that is not JSON with 415, without running it', async () => {
    const query = '{ __typename }';
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query }).toString()],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query })}\r\n--x--\r\n`,
      ],
      ['application/graphql', query],
      ['text/plain', JSON.stringify({ query })],
    ];
    for (const [type, body] of bodies) {
      const answer = await post(body, type);
      expect(answer.status, type).toBe(415);
      expect(answer.json?.data, type).toBeUndefined();
      expect(answer.text, type).not.toContain('Query');
    }
    await stillAnswers();
  });

  it('should answer a body that is not JSON 400 BAD_REQUEST without quoting it (production)', async () => {
    const answer = await post('{"query": "{ __typename }" secret-body-text');
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(answer.json.errors[0].extensions.originalError).toBeUndefined();
    expect(answer.text).not.toContain('secret-body-text');
  });
});

/** A raw graphql-transport-ws socket, open; `closed` resolves with its close code. */
async function openSocket() {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('open', () => resolve(true))),
    closed.then(() => false),
  ]);
  const message = (type: string) =>
    new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === type) resolve();
      }),
    );
  return { socket, closed, opened, message };
}

describe('graphql-ws messages', () => {
  it('should close a socket whose connection_init is nested too deep with 4400, and keep answering', async () => {
    const { socket, closed, opened } = await openSocket();
    expect(opened).toBe(true);
    socket.send(`{"type":"connection_init","payload":{"x":${nested(5000)}}}`);
    expect(await closed).toBe(4400);
    await stillAnswers();
  });

  it('should close a socket whose message before connection_init is past the smaller limit with 1009', async () => {
    const { socket, closed } = await openSocket();
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(20 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('should close a socket whose subscribe after connection_ack is nested too deep with 4400', async () => {
    const { socket, closed, message } = await openSocket();
    const acknowledged = message('connection_ack');
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acknowledged;
    // Past the initial limit too: once acknowledged, messages may be as large as the payload limit.
    socket.send(`{"id":"1","type":"subscribe","payload":{"query":"{ __typename }","variables":{"x":${nested(20_000)}}}}`);
    expect(await closed).toBe(4400);
  });

  it('should count sockets that have not sent connection_init against their address', async () => {
    const waiting = await Promise.all([openSocket(), openSocket(), openSocket()]);
    expect(waiting.every((s) => s.opened)).toBe(true);
    const fourth = await openSocket();
    expect(await fourth.closed).toBe(4429);
    // One leaves: its place is free again.
    waiting[0]?.socket.close();
    await waiting[0]?.closed;
    const next = await openSocket();
    expect(next.opened).toBe(true);
    for (const s of [...waiting.slice(1), next]) s.socket.close();
    await Promise.all([...waiting.slice(1), next].map((s) => s.closed));
  });
});

describe('Requests in flight per caller', () => {
  it('should count requests with tokens that name no session against the address', async () => {
    const { limits } = loadConfig({ HTTP_MAX_IN_FLIGHT_PER_CALLER: '2' });
    const test = await createTestApp({ config: { limits } });
    try {
      const ask = (authorization: string | null) =>
        test.app.fetch(
          new Request('http://collectifs.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            body: JSON.stringify({ query: '{ viewer { id } }' }),
          }),
        );
      const bogus = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(`Bearer bogus-${i}`)));
      expect(bogus.filter((response) => response.status === 429)).toHaveLength(8);

      // A live session's token is counted against its member once a request has shown it to be live.
      const member = await makeMember(test.db.prisma);
      const token = await test.tokenFor(member.id);
      expect((await ask(`Bearer ${token}`)).status).toBe(200);
      const [signedIn, anonymous] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => ask(`Bearer ${token}`))),
        Promise.all(Array.from({ length: 2 }, () => ask(null))),
      ]);
      expect(signedIn.filter((response) => response.status === 200)).toHaveLength(2);
      expect(signedIn.filter((response) => response.status === 429)).toHaveLength(8);
      expect(anonymous.map((response) => response.status)).toEqual([200, 200]);
    } finally {
      await test.close();
    }
  });
});
