// Co-editing's pushes and cursor positions count against an allowance of their own (COEDITING_MESSAGES_PER_SECOND),
// not against MUTATIONS_PER_SECOND: a member typing fast (a push per keystroke once the previous one is acknowledged,
// a held key repeating) was refused at typing speed, and the web editor then showed itself reconnecting.
import { getOperationAST, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootFieldNames } from '../../server/src/limits/callers.js';
import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';
import type { Json } from '../support/app.js';
import { CollabClient, paragraphUpdate, textOf, typeInto } from '../support/collab.js';
import { subscribe, wsClient } from '../support/live.js';
import { postGraphql, type ServerProcess, startServerProcess } from '../support/processes.js';

const MUTATIONS_PER_SECOND = 5;
const COEDITING_MESSAGES_PER_SECOND = 40;

const http = postGraphql;

const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1] as string;

describe('Co-editing’s allowance', () => {
  let server: ServerProcess;
  let token: string;
  /** A draft section of the seeded joint response the demo member writes (global ID). */
  let sectionId: string;

  beforeAll(async () => {
    server = await startServerProcess({
      DATABASE_URL: '',
      DATA_DIR: 'memory://',
      SEED: 'true',
      MUTATIONS_PER_SECOND: String(MUTATIONS_PER_SECOND),
      COEDITING_MESSAGES_PER_SECOND: String(COEDITING_MESSAGES_PER_SECOND),
      // Room for an operation of more pushes than the allowance (15 aliases by default).
      GRAPHQL_MAX_ALIASES: String(COEDITING_MESSAGES_PER_SECOND + MUTATIONS_PER_SECOND + 2),
    });
    const signIn = await http(
      server,
      null,
      'mutation($input: SignInInput!) { signIn(input: $input) { ... on MutationSignInSuccess { data { token } } } }',
      { input: DEMO_ACCOUNT },
    );
    token = signIn.data?.signIn.data.token as string;
    expect(token).toBeTruthy();
    const responses = await http(
      server,
      token,
      '{ tenderResponses(first: 10) { edges { node { sections { id kind status } } } } }',
    );
    const sections = ((responses.data?.tenderResponses.edges ?? []) as Json[]).flatMap((edge) => edge.node.sections as Json[]);
    sectionId = sections.find((section) => section.kind === 'TECHNICAL_PROPOSAL' && section.status === 'DRAFT')?.id;
    expect(sectionId).toBeTruthy();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('should acknowledge a burst of pushes and cursor positions past MUTATIONS_PER_SECOND, leaving that allowance whole', async () => {
    const editor = new CollabClient(server.url, token, rawId(sectionId), { applyRemote: true, maxInFlight: 25 });
    await editor.connect();
    const client = wsClient(server.url, token, { lazy: false });
    try {
      // 25 keystrokes, each its own push, all in flight at once; and 10 cursor positions at once (with the
      // handshake's push, within the 40 a second of co-editing, far past the 5 of other mutations).
      for (let k = 0; k < 25; k += 1) typeInto(editor, String.fromCharCode(97 + (k % 26)));
      const cursors = Array.from({ length: 10 }, () =>
        subscribe(client, 'mutation($input: UpdatePresenceInput!) { updatePresence(input: $input) { __typename } }', {
          input: { sectionId, cursor: {} },
        }),
      );
      await editor.settled();
      for (const cursor of cursors) await cursor.inbox.waitForEnd();
      expect(editor.rejected).toEqual([]);
      expect(editor.acknowledged).toBe(25);
      for (const cursor of cursors) {
        expect(cursor.inbox.errors).toEqual([]);
        expect(cursor.inbox.received.map((data) => (data as Json).updatePresence.__typename)).toEqual([
          'MutationUpdatePresenceSuccess',
        ]);
      }
      // Every other mutation still has its whole allowance.
      const profile = await http(
        server,
        token,
        `mutation { ${Array.from({ length: MUTATIONS_PER_SECOND }, (_, k) => `m${k}: updateMyProfile(input: { trade: "après la frappe ${k}" }) { __typename }`).join(' ')} }`,
      );
      expect(profile.errors).toBeUndefined();
      expect(Object.keys(profile.data ?? {})).toHaveLength(MUTATIONS_PER_SECOND);
    } finally {
      await client.dispose();
      await editor.disconnect();
    }
  });

  it('should refuse an operation past the co-editing allowance whole, naming that allowance, and store none of it', async () => {
    const marker = 'jamais-enregistre';
    const pushes = Array.from(
      { length: COEDITING_MESSAGES_PER_SECOND + 1 },
      (_, k) =>
        `p${k}: pushSectionUpdate(input: { sectionId: "${sectionId}", update: "${Buffer.from(paragraphUpdate(`${marker}-${k}`)).toString('base64')}" }) { __typename }`,
    );
    const refused = await http(server, token, `mutation { ${pushes.join(' ')} }`);
    expect(refused.status).toBe(429);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'coeditingMessagesPerSecond' });
    // A mixed operation past the other allowance is refused whole too, its push included.
    const mixed = await http(
      server,
      token,
      `mutation { ${pushes[0]} ${Array.from({ length: MUTATIONS_PER_SECOND + 1 }, (_, k) => `m${k}: updateMyProfile(input: { trade: "${marker}" }) { __typename }`).join(' ')} }`,
    );
    expect(mixed.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'mutationsPerSecond' });
    const reader = new CollabClient(server.url, token, rawId(sectionId));
    await reader.connect();
    try {
      expect(textOf(reader.body)).not.toContain(marker);
    } finally {
      await reader.disconnect();
    }
    expect((await http(server, token, '{ viewer { trade } }')).data?.viewer.trade).not.toBe(marker);
    // The refused operations gave back what they took: a push still fits at once.
    const one = await http(server, token, `mutation { ${pushes[1]} }`);
    expect(one.errors).toBeUndefined();
    expect(one.data?.p1.__typename).toBe('MutationPushSectionUpdateSuccess');
  });

  it('should refuse, at once, a mutation of fragments that expand exponentially once the member’s allowance is used', async () => {
    // Used up: single mutations until one is refused (at most the allowance and one more, within a second).
    for (let k = 0; k <= MUTATIONS_PER_SECOND; k += 1) {
      const one = await http(server, token, `mutation { updateMyProfile(input: { trade: "plein ${k}" }) { __typename } }`);
      if (one.errors?.[0]?.extensions?.code === 'RATE_LIMITED') break;
    }
    // 2^60 spreads of one field: read spread by spread (the early refusal did), it never ends.
    const fragments = Array.from({ length: 60 }, (_, k) => `fragment F${k} on Mutation { ...F${k + 1} ...F${k + 1} }`);
    const chain = `mutation Chain { ...F0 } ${fragments.join(' ')} fragment F60 on Mutation { updateMyProfile(input: { trade: "x" }) { __typename } }`;
    const refused = await http(server, token, chain);
    expect(refused.data ?? null).toBeNull();
    // Refused early while the allowance is used up; by the expansion limit if a second passed meanwhile.
    expect(['RATE_LIMITED', 'BAD_REQUEST']).toContain(refused.errors?.[0]?.extensions?.code);
  });
});

describe('rootFieldNames', () => {
  const names = (source: string) => {
    const document = parse(source);
    return rootFieldNames(document, getOperationAST(document) as OperationDefinitionNode);
  };
  it('should name each response key once, aliases apart, fragments expanded once however often spread', () => {
    expect(
      names('mutation { a: updatePresence(input: {}) { __typename } b: updatePresence(input: {}) { __typename } __typename }'),
    ).toEqual(['updatePresence', 'updatePresence']);
    expect(
      names(
        'mutation { ...F ...F ... on Mutation { ...F } } fragment F on Mutation { pushSectionUpdate(input: {}) { __typename } }',
      ),
    ).toEqual(['pushSectionUpdate']);
    const fragments = Array.from({ length: 60 }, (_, k) => `fragment F${k} on Mutation { ...F${k + 1} ...F${k + 1} }`);
    expect(
      names(`mutation { ...F0 } ${fragments.join(' ')} fragment F60 on Mutation { updateMyProfile { __typename } }`),
    ).toEqual(['updateMyProfile']);
  });
});
