import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SectionDocuments, type SectionUpdateMessage } from '../../server/src/collab/documents.js';
import type { Actor } from '../../server/src/domain/tenders.js';
import type { Topics } from '../../server/src/events/bus.js';
import { createEventPubSub } from '../../server/src/events/pubsub.js';
import { sectionScenario } from '../support/collab.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Issue 10 item 5, deterministically: two instances' documents on one database, the pub/sub between them
// losing a hint on purpose. The receiving instance notices (the sender's watermark, or an update that builds on
// the lost one) and catches up with the database by state vector.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.dispose());

/** Two instances whose pub/sub link drops the hints `drop` says to. */
async function twoInstances(drop: (hint: Topics['section:update'][0]) => boolean) {
  const { pubsub: fromA } = await createEventPubSub(undefined);
  const { pubsub: toB } = await createEventPubSub(undefined);
  const a = new SectionDocuments(db, fromA, { compactAfter: 1000 });
  const b = new SectionDocuments(db, toB, { compactAfter: 1000 });
  void (async () => {
    for await (const hint of fromA.subscribe('section:update')) if (!drop(hint)) toB.publish('section:update', hint);
  })();
  void (async () => {
    for await (const mark of fromA.subscribe('section:watermark')) toB.publish('section:watermark', mark);
  })();
  a.start();
  b.start();
  return { a, b, stop: () => [a.stop(), b.stop()] };
}

function paragraphUpdate(doc: Y.Doc, words: string): Uint8Array {
  let update: Uint8Array = new Uint8Array();
  const capture = (u: Uint8Array) => {
    update = u;
  };
  doc.on('update', capture);
  const body = doc.getXmlFragment('body');
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(words)]);
  body.insert(body.length, [paragraph]);
  doc.off('update', capture);
  return update;
}

describe('Hints', () => {
  it('should catch up with the database when a hint is lost, from the watermark or from an update built on it', async () => {
    const { members, collective, section } = await sectionScenario(db.prisma, { members: 1 });
    const member = members[0] as Actor['member'];
    const pusher = {
      actor: { member, isSupportStaff: false, insiderOf: new Set([collective.id]) },
      authorId: member.id,
      connectionId: null,
      sessionId: null,
    };
    let dropped = 0;
    const { a, b, stop } = await twoInstances(() => dropped++ === 0 || dropped === 3);
    try {
      const received: SectionUpdateMessage[] = [];
      let wake = () => {};
      const { doc: onB, close } = await b.listen(section.id, (message) => {
        received.push(message);
        wake();
      });
      const until = async (check: () => boolean) => {
        while (!check()) await new Promise<void>((resolve) => (wake = resolve));
      };
      const editor = new Y.Doc();
      // Lost hint, nothing after it: the next watermark (every second) shows the gap.
      await a.push(section.id, paragraphUpdate(editor, 'Premier paragraphe.'), pusher);
      await until(() => onB.getXmlFragment('body').toString().includes('Premier paragraphe.'));
      expect(b.caughtUp).toBe(1);
      // Delivered hint: applied as is.
      await a.push(section.id, paragraphUpdate(editor, 'Deuxième.'), pusher);
      await until(() => onB.getXmlFragment('body').toString().includes('Deuxième.'));
      expect(b.caughtUp).toBe(1);
      // Lost again, then an update that builds on it arrives: it cannot integrate, so B catches up at once.
      await a.push(section.id, paragraphUpdate(editor, 'Troisième.'), pusher);
      await a.push(section.id, paragraphUpdate(editor, 'Quatrième.'), pusher);
      await until(() => onB.getXmlFragment('body').toString().includes('Quatrième.'));
      expect(onB.getXmlFragment('body').toString()).toContain('Troisième.');
      expect(Buffer.from(Y.encodeStateVector(onB)).equals(Buffer.from(Y.encodeStateVector(editor)))).toBe(true);
      expect(b.caughtUp).toBeGreaterThanOrEqual(2);
      close();
    } finally {
      stop();
    }
  });
});
