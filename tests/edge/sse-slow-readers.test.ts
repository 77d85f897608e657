import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { syncBacklog } from '../../server/src/collab/documents.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { until } from '../resilience/support.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { holdsTyped, pushOverHttp, sectionScenario, textOf } from '../support/collab.js';
import { INBOX_TIMEOUT_MS, singleStream, subscribe, wsClient } from '../support/live.js';
import { gid } from '../support/scenario.js';

// Slow readers (issue 9): a graphql-sse stream whose client stops reading (a paused tab, a stuck proxy, an
// attacker) while a co-author writes. The socket fills, the stream holds at most SSE_MAX_UNREAD_RESULTS results,
// its sectionSync waits, and what it waits with (updates from others) stays under MAX_UPDATE_BYTES however much is
// written: past it the backlog is dropped and the reader is later sent the document's difference. Others keep being
// served, and once the client reads again it converges with nothing lost.

/** SSE_MAX_UNREAD_RESULTS for this server: small, so that a few large updates reach it. */
const MAX_UNREAD = 4;
/** MAX_UPDATE_BYTES, its default: what one sync subscriber may have waiting. */
const MAX_UPDATE_BYTES = loadConfig({}).maxUpdateBytes;
/** Rounds of writing after which the socket must have filled and the backlog been dropped (else the test fails). */
const MAX_ROUNDS = 120;
let t: TestApp;
let url: string;

beforeAll(async () => {
  const { limits } = loadConfig({ ...GENEROUS_LIMITS_ENV, SSE_MAX_UNREAD_RESULTS: String(MAX_UNREAD) });
  t = await createTestApp({ config: { limits } });
  url = await t.app.start();
  // Word counts are recounted after pushes on a timer: not what this test looks at.
  t.app.documents.onStored = null;
});
afterAll(async () => {
  await t?.close();
});

const SYNC = 'subscription($id: ID!) { sectionSync(sectionId: $id) { kind update } }';

/** A gauge's value in the app's `/metrics` registry. */
async function gauge(name: string): Promise<number> {
  const metric = await t.app.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

describe('A sectionSync subscriber on a graphql-sse stream whose client stops reading', () => {
  it('should hold a bounded backlog, keep serving others, and converge once it reads again', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 3 });
    const [reader, writer, other] = await Promise.all(members.map((member) => t.tokenFor(member.id)));
    const sectionId = gid('TenderSection', section.id);

    // Another co-author follows over graphql-ws and reads everything.
    const otherClient = wsClient(url, other as string);
    const following = subscribe(otherClient, SYNC, { id: sectionId });
    await following.inbox.waitFor(1);

    const stream = await singleStream(url, reader as string);
    expect((await stream.post('sync', SYNC, { id: sectionId })).status).toBe(202);
    // Whenever it starts listening, its first message (SYNC) holds what was written before: no wait needed here.

    // The co-author's writing: each round pastes ~400 KB and deletes it again (the section stays small, the bytes
    // written do not), and adds a short paragraph that stays.
    const writing = new Y.Doc();
    const body = writing.getXmlFragment('body');
    const paste = 'texte collé '.repeat(32_000);
    let rounds = 0;
    let largestBacklog = 0;
    const droppedBefore = syncBacklog.dropped;
    const change = async (edit: () => void) => {
      const before = Y.encodeStateVector(writing);
      writing.transact(edit);
      const pushed = await pushOverHttp(t, writer as string, section.id, Y.encodeStateAsUpdate(writing, before));
      expect(pushed.__typename).toBe('MutationPushSectionUpdateSuccess');
      largestBacklog = Math.max(largestBacklog, await gauge('collectifs_sync_backlog_bytes'));
      expect(await gauge('collectifs_sse_unread_results')).toBeLessThanOrEqual(MAX_UNREAD);
    };
    const paragraph = (text: string) => {
      const element = new Y.XmlElement('paragraph');
      element.insert(0, [new Y.XmlText(text)]);
      return element;
    };
    const round = async () => {
      await change(() => body.insert(body.length, [paragraph(paste)]));
      await change(() => body.delete(body.length - 1, 1));
      await change(() => body.insert(body.length, [paragraph(`Paragraphe ${rounds}.`)]));
      rounds += 1;
    };

    // Until the socket is full, the sync operation waits, and its backlog passed its bound and was dropped;
    // then a few more rounds, written while it is behind.
    while (syncBacklog.dropped === droppedBefore) {
      if (rounds >= MAX_ROUNDS)
        throw new Error(`The paused stream's backlog was never dropped after ${rounds} rounds (${largestBacklog} bytes at most)`);
      await round();
    }
    for (let more = 0; more < 3; more += 1) await round();
    // Someone else is answered meanwhile.
    const viewer = await t.gql('{ viewer { id } }', {}, other as string);
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data?.viewer).toBeTruthy();

    const written = rounds * paste.length;
    console.info(
      `paused graphql-sse stream: ${rounds} rounds (${Math.round(written / 1e6)} MB pasted and deleted); ` +
        `largest co-editing backlog ${largestBacklog} bytes, dropped ${syncBacklog.dropped - droppedBefore}×`,
    );
    // What the server holds for the reader stays bounded: one subscriber's MAX_UPDATE_BYTES, plus at most one
    // paste the reading co-author's subscription may not have been handed yet.
    expect(largestBacklog).toBeLessThanOrEqual(MAX_UPDATE_BYTES + 2 * paste.length);
    expect(written).toBeGreaterThan(2 * MAX_UPDATE_BYTES);

    // The reading co-author has everything.
    const typed = new Map([[writing.clientID, Y.getState(writing.store, writing.clientID)]]);
    const followed = new Y.Doc();
    let applied = 0;
    const applyFollowed = () => {
      for (; applied < following.inbox.received.length; applied += 1) {
        const message = following.inbox.received[applied] as { sectionSync: { update: string } };
        Y.applyUpdate(followed, Buffer.from(message.sectionSync.update, 'base64'));
      }
      return holdsTyped(followed, typed);
    };
    await until(applyFollowed, () => 'the reading co-author to have every update', INBOX_TIMEOUT_MS);
    expect(following.inbox.errors).toEqual([]);
    expect(textOf(followed.getXmlFragment('body'))).toBe(textOf(body));

    // The paused client reads again: it ends up with the co-author's whole text, nothing lost.
    const received = new Y.Doc();
    const errors: unknown[] = [];
    stream.read(({ id, payload }) => {
      if (payload.errors) errors.push(payload.errors);
      const update = (payload.data as { sectionSync?: { update: string } } | undefined)?.sectionSync?.update;
      if (id === 'sync' && update) Y.applyUpdate(received, Buffer.from(update, 'base64'));
    });
    await until(
      () => holdsTyped(received, typed),
      () => `the reader to catch up (${Y.getState(received.store, writing.clientID)} of ${typed.get(writing.clientID)})`,
      INBOX_TIMEOUT_MS,
    );
    expect(errors).toEqual([]);
    expect(textOf(received.getXmlFragment('body'))).toBe(textOf(body));
    expect(textOf(body).split('\n')).toEqual(Array.from({ length: rounds }, (_, i) => `Paragraphe ${i}.`));

    stream.close();
    following.stop();
    await otherClient.dispose();
    await until(
      async () => (await gauge('collectifs_sse_unread_results')) === 0 && (await gauge('collectifs_sync_backlog_bytes')) === 0,
      () => 'the stream’s results and backlog to be released',
      INBOX_TIMEOUT_MS,
    );
  }, 600_000);
});
