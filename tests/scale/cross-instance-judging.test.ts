import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorSchema } from '../../client/src/features/editor/editorSchema.js';
import { editorsOnBoth, post, printOutputOnFailure, twoInstances, twoMembers, until } from '../resilience/support.js';
import { gid } from '../support/scenario.js';

// Issue 10 item 6 across instances (attack of 2026-11-30 on 2daf8b6): each instance judged a push against its own
// document, which may lack a push another instance stored (its hint on its way, or lost while Redis is away). Two
// deletions, each valid where it was judged, merged into a list item starting with a heading (y-tiptap then deleted
// the list and its text for everyone); a struct ID stored on one instance was stored again with other content on the
// other, and the instances diverged for good. Pushes to a section are now serialised across instances (the section's
// row locked with them) and an instance that lacks a stored push catches up under that lock before judging.
// Redis is stopped so that no hint can arrive: the outcome does not depend on timing.

const CONTENT = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`;
const PUSH = /* GraphQL */ `mutation($input: PushSectionUpdateInput!) {
  pushSectionUpdate(input: $input) { __typename ... on RuleViolationError { rule } } }`;
const schema = editorSchema();

function block(name: 'paragraph' | 'heading', text: string): Y.XmlElement {
  const element = new Y.XmlElement(name);
  if (name === 'heading') element.setAttribute('level', 2 as unknown as string);
  element.insert(0, [new Y.XmlText(text)]);
  return element;
}

/** What y-tiptap renders of a copy of `doc`'s body, and whether rendering it deleted anything. */
function rendered(doc: Y.Doc): { text: string; deletedOnRender: boolean } {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const body = copy.getXmlFragment('body');
  const before = body.toString();
  const text = yXmlFragmentToProseMirrorRootNode(body, schema).textContent;
  return { text, deletedOnRender: body.toString() !== before };
}

describe('Pushes judged against everything stored, whichever instance stored it', () => {
  const instances = twoInstances();

  it('should refuse a deletion that, merged with one stored on the other instance, breaks a list item', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 4000);
    const members = await twoMembers(db);
    const sectionId = gid('TenderSection', members.section.id);
    const { alice, bob } = await editorsOnBoth(instances, members);
    try {
      alice.doc.transact(() => {
        const list = new Y.XmlElement('bulletList');
        alice.body.insert(0, [list]);
        const item = new Y.XmlElement('listItem');
        list.insert(0, [item]);
        item.insert(0, [block('paragraph', 'un'), block('paragraph', 'deux'), block('heading', 'Titre confidentiel')]);
      });
      await alice.settled();
      await until(
        () => bob.body.toString().includes('Titre confidentiel'),
        () => 'bob to receive the list',
      );
      const item = (doc: Y.Doc) => (doc.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlElement;

      await redis.stop();
      // On A: 'un' deleted, [deux, Titre]: stored. On B, which cannot hear of it: 'deux' deleted, [un, Titre] there,
      // but [Titre] once merged with what A stored: refused.
      item(alice.doc).delete(0, 1);
      await alice.settled();
      expect(alice.rejected).toEqual([]);
      item(bob.doc).delete(1, 1);
      await bob.settled();
      expect(bob.rejected).toHaveLength(1);
      expect(bob.rejected[0]).toContain('MALFORMED_UPDATE');

      // What is stored renders whole, the heading's text kept, on both instances once Redis is back.
      const markdown = async (url: string) =>
        (await post(url, CONTENT, { id: sectionId }, members.token)).body.data?.node?.content?.markdown as string;
      await redis.start();
      const stored = await until(
        async () => {
          const [onA, onB] = [await markdown(a.url), await markdown(b.url)];
          return onA === onB && onA.includes('deux') && !onA.includes('un\n') ? onA : null;
        },
        () => 'both instances to answer the stored text',
      );
      expect(stored).toContain('Titre confidentiel');
      await until(
        () => alice.body.toString().includes('deux') && !alice.body.toString().includes('>un<'),
        () => 'alice',
      );
      const onAlice = rendered(alice.doc);
      expect(onAlice.deletedOnRender).toBe(false);
      expect(onAlice.text).toContain('Titre confidentiel');
    } finally {
      await Promise.all([alice.disconnect(), bob.disconnect()]);
    }
  }, 240_000);

  it('should judge a struct ID stored on one instance as stored when it is sent again to the other', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 4000);
    const members = await twoMembers(db);
    const sectionId = gid('TenderSection', members.section.id);
    const push = async (url: string, token: string, update: Uint8Array) =>
      (await post(url, PUSH, { input: { sectionId, update: Buffer.from(update).toString('base64') } }, token)).body.data
        ?.pushSectionUpdate?.__typename as string;
    const markdown = async (url: string) =>
      (await post(url, CONTENT, { id: sectionId }, members.token)).body.data?.node?.content?.markdown as string;
    // One writer, two contents under the same IDs: a paragraph "A" (555:0…2), a list holding "contenu B" (555:0…).
    const first = new Y.Doc();
    first.clientID = 555;
    first.getXmlFragment('body').insert(0, [block('paragraph', 'A')]);
    const second = new Y.Doc();
    second.clientID = 555;
    second.transact(() => {
      const list = new Y.XmlElement('bulletList');
      second.getXmlFragment('body').insert(0, [list]);
      const item = new Y.XmlElement('listItem');
      list.insert(0, [item]);
      item.insert(0, [block('paragraph', 'contenu B')]);
    });
    // The section open on both instances: each holds a document (an editor on each).
    const { alice, bob } = await editorsOnBoth(instances, members);
    try {
      await redis.stop();
      expect(await push(a.url, members.token, Y.encodeStateAsUpdate(first))).toBe('MutationPushSectionUpdateSuccess');
      // B judges it against what A stored: the IDs A stored are cut, what builds on them lands nowhere visible.
      await push(b.url, members.otherToken, Y.encodeStateAsUpdate(second));
      await redis.start();
      const [onA, onB] = await until(
        async () => {
          const answers = [await markdown(a.url), await markdown(b.url)];
          return answers[0] === answers[1] && answers[0]?.includes('A') ? answers : null;
        },
        () => 'both instances to answer the same text',
      );
      expect(onA).toBe(onB);
      expect(onA).not.toContain('contenu B');
      await until(
        () => alice.body.toString() === bob.body.toString() && alice.body.toString().includes('A'),
        () => `editors to converge: ${alice.body.toString()} | ${bob.body.toString()}`,
      );
      expect(rendered(alice.doc).deletedOnRender).toBe(false);
    } finally {
      await Promise.all([alice.disconnect(), bob.disconnect()]);
    }
  }, 240_000);
});
