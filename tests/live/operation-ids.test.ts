import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Json } from '../support/app.js';
import { testAppForFile } from '../support/app.js';
import { paragraphUpdate, pushOverHttp, sectionScenario } from '../support/collab.js';
import { gid } from '../support/scenario.js';
import { until } from '../support/waits.js';

/**
 * An operation id reused on one graphql-transport-ws socket right after its `complete` (attack of issues 9 and 10):
 * the completed operation's stream is released at once, none of its frames is sent under the reused id, and the
 * new operation stays completable (so the per-socket cap still counts it).
 */
const t = testAppForFile();
const SYNC = 'subscription($s: ID!) { sectionSync(sectionId: $s) { kind update } }';
const ROUNDS = 20;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const updateOf = (frame: Json) =>
  (frame as { payload?: { data?: { sectionSync?: { update?: string } } } }).payload?.data?.sectionSync?.update;

describe('an operation id reused after complete', () => {
  it('releases the completed stream and never sends its frames under the new operation', async () => {
    const { members, response, section: a } = await sectionScenario(t.db.prisma);
    const b = await t.db.prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'PROJECT_DESCRIPTION', title: 'B', position: 2 },
    });
    const member = members[0];
    if (!member) throw new Error('no member');
    const token = await t.tokenFor(member.id);
    const socket = new WebSocket(`${t.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const frames: Json[] = [];
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      frames.push(JSON.parse(String(data)));
      for (const waiter of waiters.splice(0)) waiter();
    });
    let closed: number | undefined;
    socket.on('close', (code) => {
      closed = code;
      for (const waiter of waiters.splice(0)) waiter();
    });
    const frame = async (test: (f: Json) => boolean) => {
      while (!frames.some(test)) {
        if (closed !== undefined) throw new Error(`socket closed ${closed}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await frame((f) => f.type === 'connection_ack');
    const subscribe = (section: string) =>
      socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SYNC, variables: { s: gid('TenderSection', section) } } }),
      );
    const leaks: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      frames.length = 0;
      subscribe(a.id);
      await frame((f) => f.id === '1' && f.type === 'next');
      const sinceA = frames.length;
      socket.send(JSON.stringify({ id: '1', type: 'complete' }));
      subscribe(b.id);
      await frame((f) => f.id === '1' && f.type === 'next' && frames.indexOf(f) >= sinceA);
      const secretA = paragraphUpdate(`secret A ${round}`);
      const markerB = paragraphUpdate(`marker B ${round}`);
      expect(await pushOverHttp(t, token, a.id, secretA)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
      expect(await pushOverHttp(t, token, b.id, markerB)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
      // Pushes are delivered in order of the event log: once B's marker is here, A's update was sent if it ever would be.
      await frame((f) => updateOf(f) === b64(markerB));
      const afterResubscribe = frames.slice(sinceA);
      const leaked = afterResubscribe.filter((f) => updateOf(f) === b64(secretA)).length;
      // The server never completes "1" on its own: a `complete` from it would be the old operation's, sent for the new.
      const completes = afterResubscribe.filter((f) => f.type === 'complete').length;
      if (leaked > 0 || completes > 0) leaks.push(`round ${round}: ${leaked} frame(s) of A, ${completes} complete(s) under "1"`);
      socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    }
    // Each complete released its own stream, with no event happening (the socket stays open).
    await until(
      () => t.app.live.streamCount === 0 && t.app.documents.listenerCount === 0,
      () => `the release: streams=${t.app.live.streamCount} listeners=${t.app.documents.listenerCount}`,
      { timeoutMs: 15_000 },
    );
    expect(leaks).toEqual([]);
    expect(closed).toBeUndefined();
    socket.close();
  }, 180_000);
});
