import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { frenchProblems, notFrench } from '../support/french.js';
import { rawRequest } from '../support/raw-http.js';
import { gid, makeMember, makeMemberWithPassword } from '../support/scenario.js';

// Every refusal a person can read is French and coded (SECURITY.md, "Messages"), whichever layer answers it: Yoga's
// own parameter checks, the validation plugin, the WebSocket handshake (ws) and graphql-ws' closes, the download
// route. graphql-js' errors about a document stay English for the developer who wrote it, and carry their code.
// A real server on a socket, in production mode, as deployed.
const MAX_BODY_BYTES = 16 * 1024;
let t: TestApp;
let url: string;
let token: string;

beforeAll(async () => {
  const config = loadConfig({ ...GENEROUS_LIMITS_ENV, HTTP_MAX_BODY_BYTES: String(MAX_BODY_BYTES), GRAPHQL_MAX_DEPTH: '5' });
  t = await createTestApp({
    config: {
      http: config.http,
      limits: config.limits,
      security: { production: true, introspection: 'signed-in', corsOrigins: [] },
    },
  });
  url = await t.app.start();
  token = await t.tokenFor((await makeMember(t.db.prisma)).id);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  errors: Array<{ message?: unknown; extensions?: { code?: unknown } }>;
  data?: Json;
}

/** A request to the server and the errors it answered (none when it is not a GraphQL-shaped refusal). */
async function ask(path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, errors: json?.errors ?? [], data: json?.data };
}

const postJson = (body: string, headers: Record<string, string> = {}) =>
  ask('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const query = (document: string, variables?: unknown, withToken = false) =>
  postJson(JSON.stringify({ query: document, variables }), withToken ? { authorization: `Bearer ${token}` } : {});

describe('Refusals over HTTP', () => {
  it('should answer each of Yoga’s parameter checks, the query limits and the validation plugin in French, coded', async () => {
    const nested =
      '{ collectives(first: 1) { edges { node { memberships(first: 1) { edges { node { member { displayName } } } } } } } }';
    const cases: Array<[string, Promise<Answer>, number]> = [
      // GraphQL over HTTP answers application/json refusals with 200 (the legacy media type).
      ['GET without a query', ask('/graphql', { headers: { accept: 'application/json' } }), 200],
      ['POST without a query', postJson('{}'), 200],
      ['an unexpected parameter', postJson('{"query":"{ __typename }","nope":1}'), 400],
      ['a batch', postJson('[{"query":"{ __typename }"}]'), 400],
      ['a query that is not a string', postJson('{"query":1}'), 400],
      ['variables that are not an object', postJson('{"query":"{ __typename }","variables":[1]}'), 400],
      ['extensions that are not an object', postJson('{"query":"{ __typename }","extensions":"x"}'), 400],
      ['a body that is not JSON', postJson('{"query":'), 400],
      ['a body past the limit', postJson(JSON.stringify({ query: `{ __typename } #${'x'.repeat(MAX_BODY_BYTES)}` })), 413],
      [
        'a mutation over GET',
        ask(`/graphql?query=${encodeURIComponent('mutation { signOut }')}`, { headers: { accept: 'application/json' } }),
        405,
      ],
      ['a document past the depth limit', query(nested, undefined, true), 200],
      ['anonymous introspection', query('{ __schema { queryType { name } } }'), 200],
      ['a malformed global ID', query('{ node(id: "!!!") { id } }'), 200],
      ['a cursor of nothing', query('{ collectives(first: 1, after: "bm9wZQ==") { totalCount } }', undefined, true), 200],
      ['an argument its validation refuses', query('{ dashboard(withinDays: 9999) { __typename } }', undefined, true), 200],
      ['the activity asked anonymously', query('{ activity(first: 1) { __typename } }'), 200],
      ['a member’s list asked anonymously', query('{ brands(first: 1) { __typename } }'), 200],
    ];
    const problems: string[] = [];
    const statuses: Array<[string, number]> = [];
    for (const [name, answer, status] of cases) {
      const { status: got, errors } = await answer;
      statuses.push([name, got]);
      if (got !== status) problems.push(`${name}: status ${got}, not ${status}`);
      if (errors.length === 0) problems.push(`${name}: no errors`);
      problems.push(...frenchProblems(name, errors));
    }
    expect(problems, JSON.stringify(statuses)).toEqual([]);
  });

  it('should say what is wrong with each input value in French, in the typed error a mutation returns', async () => {
    const issues = async (input: Record<string, unknown>) => {
      const answer = await query(
        `mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) {
          __typename ... on InputValidationError { message issues { field message reason limit } } } }`,
        { input },
        true,
      );
      const error = answer.data.updateMyProfile;
      expect(error.__typename).toBe('InputValidationError');
      expect(notFrench(error.message)).toBeNull();
      return error.issues;
    };
    expect(await issues({ firstName: 'x'.repeat(200) })).toEqual([
      { field: 'input.firstName', message: 'Trop long : au plus 80 caractères.', reason: 'TOO_LONG', limit: 80 },
    ]);
    expect(await issues({ firstName: '  ' })).toEqual([
      { field: 'input.firstName', message: 'Obligatoire.', reason: 'REQUIRED', limit: 1 },
    ]);
  });

  it('should refuse a wrong password in French', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, 'le-bon-mot-de-passe');
    const answer = await query(
      `mutation($email: String!) { signIn(input: { email: $email, password: "pas-le-bon" }) { __typename ... on Error { message } } }`,
      { email: member.email },
    );
    expect(answer.data.signIn.__typename).toBe('InvalidCredentialsError');
    expect(notFrench(answer.data.signIn.message)).toBeNull();
  });

  it('should keep graphql-js’ own errors about a document in English, each with its code', async () => {
    const cases: Array<[string, Promise<Answer>, string]> = [
      ['a syntax error', query('{'), 'GRAPHQL_PARSE_FAILED'],
      ['an unknown field', query('{ nope }'), 'GRAPHQL_VALIDATION_FAILED'],
      [
        'a variable of the wrong type',
        query('query($n: Int!) { collectives(first: $n) { totalCount } }', { n: 'deux' }),
        'BAD_USER_INPUT',
      ],
    ];
    for (const [name, answer, code] of cases) {
      const { errors } = await answer;
      expect([name, errors[0]?.extensions?.code]).toEqual([name, code]);
      // Allowed English, by its code (tests/support/french.ts): nothing else is.
      expect(frenchProblems(name, errors)).toEqual([]);
    }
  });

  it('should answer the download route’s refusals in French, coded', async () => {
    const problems: string[] = [];
    const unknown = gid('TenderResponse', '00000000-0000-4000-8000-000000000000');
    for (const [name, path, headers, status] of [
      ['no ID', '/exports/tender-response', {}, 400],
      ['anonymous', `/exports/tender-response?id=${encodeURIComponent(unknown)}`, {}, 401],
      [
        'unknown response',
        `/exports/tender-response?id=${encodeURIComponent(unknown)}`,
        { authorization: `Bearer ${token}` },
        404,
      ],
    ] as const) {
      const answer = await ask(path, { headers });
      expect([name, answer.status]).toEqual([name, status]);
      problems.push(...frenchProblems(name, answer.errors));
    }
    expect(problems).toEqual([]);
  });
});

/** The refusal body of a raw HTTP reply, parsed (the WebSocket handshake's refusals come on a bare socket). */
function rawErrors(text: string): Answer['errors'] {
  try {
    return JSON.parse(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')).errors ?? [];
  } catch {
    return [{ message: text.slice(0, 200) }];
  }
}

describe('Refusals of WebSockets', () => {
  const handshake = (path: string, headers: string[]) =>
    [`GET ${path} HTTP/1.1`, 'Host: localhost', 'Upgrade: websocket', 'Connection: Upgrade', ...headers, '', ''].join('\r\n');
  const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';

  it('should refuse a malformed handshake with a coded French body, whichever check fails', async () => {
    const cases: Array<[string, string, number]> = [
      ['no key', handshake('/graphql', ['Sec-WebSocket-Version: 13']), 400],
      ['a bad version', handshake('/graphql', [KEY, 'Sec-WebSocket-Version: 99']), 400],
      ['a bad key', handshake('/graphql', ['Sec-WebSocket-Key: court', 'Sec-WebSocket-Version: 13']), 400],
      ['another path', handshake('/ailleurs', [KEY, 'Sec-WebSocket-Version: 13']), 404],
      [
        'a bad subprotocol header',
        handshake('/graphql', [KEY, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: a,,b']),
        400,
      ],
    ];
    const problems: string[] = [];
    for (const [name, request, status] of cases) {
      const reply = await rawRequest(url, [request]);
      expect([name, reply.status]).toEqual([name, status]);
      problems.push(...frenchProblems(name, rawErrors(reply.text)));
    }
    expect(problems).toEqual([]);
  });

  /** Opens a socket, runs `act` once it is open, and resolves with how the server closed it. */
  function closing(protocol: string | undefined, act: (socket: WebSocket) => void): Promise<{ code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, protocol);
      socket.once('open', () => act(socket));
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
      socket.once('error', reject);
    });
  }
  const send = (socket: WebSocket, message: unknown) => socket.send(JSON.stringify(message));
  const PROTOCOL = 'graphql-transport-ws';

  it('should close with a French reason for each of graphql-ws’ and ws’ own refusals', async () => {
    const cases: Array<[string, Promise<{ code: number; reason: string }>, number]> = [
      ['no subprotocol', closing(undefined, () => {}), 4406],
      [
        'an unknown session token',
        closing(PROTOCOL, (s) => send(s, { type: 'connection_init', payload: { authorization: 'Bearer inconnu' } })),
        4403,
      ],
      [
        'subscribe before connection_init',
        closing(PROTOCOL, (s) => send(s, { type: 'subscribe', id: '1', payload: { query: '{ __typename }' } })),
        4401,
      ],
      [
        'connection_init twice',
        closing(PROTOCOL, (s) => {
          send(s, { type: 'connection_init' });
          send(s, { type: 'connection_init' });
        }),
        4429,
      ],
      ['a message that is not JSON', closing(PROTOCOL, (s) => s.send('bonjour')), 4400],
      ['a message too large before connection_init', closing(PROTOCOL, (s) => s.send('x'.repeat(20 * 1024))), 1009],
      ['no connection_init in time', closing(PROTOCOL, () => {}), 4408],
    ];
    const problems: string[] = [];
    for (const [name, closed, code] of cases) {
      const { code: got, reason } = await closed;
      expect([name, got]).toEqual([name, code]);
      const problem = reason ? notFrench(reason) : 'no reason';
      if (problem) problems.push(`${name}: ${problem}`);
    }
    expect(problems).toEqual([]);
  }, 30_000);

  it('should code a syntax error sent over graphql-ws as over HTTP', async () => {
    const errors = await new Promise<Answer['errors']>((resolve, reject) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, PROTOCOL);
      socket.once('open', () => send(socket, { type: 'connection_init' }));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_ack') send(socket, { type: 'subscribe', id: '1', payload: { query: '{' } });
        if (message.type === 'error') {
          resolve(message.payload);
          socket.close();
        }
      });
      socket.once('error', reject);
    });
    expect(errors[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(frenchProblems('a syntax error over graphql-ws', errors)).toEqual([]);
  });
});

/**
 * Where the server's code hands a person a message: the argument of each error constructor or helper that is the
 * message (its index), a `message:` property, and every value of a table whose name says it holds messages
 * (`RULE_MESSAGES`, `END_MESSAGES`, `MESSAGE_BY_STATUS`…).
 */
const MESSAGE_ARGUMENT: Record<string, number> = {
  ForbiddenError: 0,
  UnavailableError: 0,
  NotFoundError: 2,
  RuleViolationError: 2,
  GraphQLError: 0,
  createGraphQLError: 0,
  rateLimited: 1,
};

/** Each message written in the server's source (`file: text`, a template's parts joined by `…`). */
function messagesInSource(): string[] {
  const root = fileURLToPath(new URL('../../server/src/', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );
  const found: string[] = [];
  for (const file of files(root)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const where = file.slice(root.length);
    const text = (node: ts.Node): string | null => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
      if (ts.isTemplateExpression(node))
        return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join('…');
      return null;
    };
    const add = (node: ts.Node | undefined) => {
      const message = node && text(node);
      if (message) found.push(`${where}: ${message}`);
    };
    const visit = (node: ts.Node) => {
      if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.arguments) {
        const index = MESSAGE_ARGUMENT[node.expression.getText(source).split('.').pop() ?? ''];
        if (index !== undefined) add(node.arguments[index]);
      }
      if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'message') add(node.initializer);
      if (ts.isVariableDeclaration(node) && /MESSAGE/.test(node.name.getText(source)) && node.initializer) {
        let table: ts.Expression = node.initializer;
        while (ts.isAsExpression(table) || ts.isSatisfiesExpression(table) || ts.isParenthesizedExpression(table))
          table = table.expression;
        if (ts.isObjectLiteralExpression(table))
          for (const property of table.properties) if (ts.isPropertyAssignment(property)) add(property.initializer);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('Every message in the server’s code', () => {
  it('should be French, whichever transport or stream sends it (a refusal met only on some path included)', () => {
    const messages = messagesInSource();
    // The scan reads what it should: the rules' messages and the streams' end messages among them.
    expect(messages.filter((message) => message.startsWith('errors.ts: ')).length).toBeGreaterThan(100);
    expect(messages.some((message) => message.startsWith('live/lifecycle.ts: '))).toBe(true);
    const problems = messages.flatMap((message) => {
      const problem = notFrench(message.slice(message.indexOf(': ') + 2));
      return problem ? [`${message.slice(0, message.indexOf(': '))}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });
});
