import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';
import type { Json } from '../support/app.js';
import { CollabClient, typeInto } from '../support/collab.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { until } from '../support/waits.js';

async function gql(url: string, query: string, variables: Json = {}, token?: string): Promise<Json> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Every update the `acknowledged` vector counts is in `state`. */
function includes(state: Uint8Array, acknowledged: Map<number, number>): boolean {
  const held = Y.decodeStateVector(state);
  return [...acknowledged].every(([client, clock]) => (held.get(client) ?? 0) >= clock);
}

describe('Restart', () => {
  const processes: ServerProcess[] = [];
  let dataDir = '';
  afterAll(async () => {
    await Promise.all(processes.map((server) => server.stop('SIGKILL')));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('should keep every acknowledged update when the server is killed mid-session, and let clients resync', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'collectifs-restart-'));
    const env = { DATA_DIR: dataDir, SEED: 'true' };
    const first = await startServerProcess(env);
    processes.push(first);
    const signIn = await gql(
      first.url,
      'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { ... on MutationSignInSuccess { data { token } } } }',
      { e: DEMO_ACCOUNT.email, p: DEMO_ACCOUNT.password },
    );
    const token = signIn.data.signIn.data.token as string;
    const responses = await gql(
      first.url,
      '{ tenderResponses(first: 10) { edges { node { sections { id status restricted } } } } }',
      {},
      token,
    );
    const section = responses.data.tenderResponses.edges
      .flatMap((edge: Json) => edge.node.sections)
      .find((candidate: Json) => candidate.status !== 'DONE' && !candidate.restricted);
    const sectionId = Buffer.from(section.id, 'base64').toString('utf8').split(':')[1] as string;

    const alice = new CollabClient(first.url, token, sectionId);
    const bob = new CollabClient(first.url, token, sectionId);
    await Promise.all([alice.connect(), bob.connect()]);
    for (let i = 0; i < 40; i += 1) typeInto(i % 2 ? alice : bob, `mot${i} `);
    await Promise.all([alice.settled(), bob.settled()]);
    const acknowledged = new Map([
      ...Y.decodeStateVector(Y.encodeStateVector(alice.doc)),
      ...Y.decodeStateVector(Y.encodeStateVector(bob.doc)),
    ]);
    // More typing, some of it in flight when the process dies.
    for (let i = 40; i < 60; i += 1) typeInto(i % 2 ? alice : bob, `après${i} `);
    await first.stop('SIGKILL');
    await Promise.all([alice.abandon(), bob.abandon()]);

    const second = await startServerProcess(env);
    processes.push(second);
    const fresh = new CollabClient(second.url, token, sectionId);
    await fresh.connect();
    expect(includes(Y.encodeStateVector(fresh.doc), acknowledged)).toBe(true);

    // The old clients come back: the handshake sends what the server never acknowledged.
    for (const client of [alice, bob]) {
      Object.assign(client, { url: second.url });
      await client.connect();
    }
    await Promise.all([alice.settled(), bob.settled()]);
    const same = (a: Y.Doc, b: Y.Doc) => Buffer.from(Y.encodeStateAsUpdate(a)).equals(Buffer.from(Y.encodeStateAsUpdate(b)));
    await until(() => same(alice.doc, bob.doc) && same(alice.doc, fresh.doc), 'the clients to converge after the restart');
    const text = fresh.body.toString();
    for (let i = 0; i < 60; i += 1) expect(text).toContain(i < 40 ? `mot${i} ` : `après${i} `);
    await Promise.all([alice.disconnect(), bob.disconnect(), fresh.disconnect()]);
  }, 180_000);
});
