import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorsOnBoth, post, printOutputOnFailure, twoInstances, twoMembers, until } from '../resilience/support.js';
import { textOf, typeInto } from '../support/collab.js';
import { gid } from '../support/scenario.js';

// Issue 10: a restored version is the version on every instance, whatever this instance had missed. Two server
// processes share a throwaway PostgreSQL and Redis; Redis stops, so instance A never hears of what an editor on B
// types (stored, its hint lost), then A restores a version saved before. The restore's deletion must cover B's
// text too (A catches up with the database inside the storing transaction): once Redis is back and both
// instances have caught up, every `content` answer and every editor holds exactly the version.

const CONTENT = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`;
const SAVE = /* GraphQL */ `mutation($i: SaveSectionVersionInput!) {
  saveSectionVersion(input: $i) { __typename ... on MutationSaveSectionVersionSuccess { data { id } } } }`;
const RESTORE = /* GraphQL */ `mutation($i: RestoreSectionVersionInput!) {
  restoreSectionVersion(input: $i) { __typename } }`;

/** Whether `doc` holds everything `other` wrote (its own client's clock). */
const holds = (doc: Y.Doc, other: Y.Doc) => Y.getState(doc.store, other.clientID) >= Y.getState(other.store, other.clientID);

describe('Restoring a version across instances', () => {
  const instances = twoInstances();

  it('deletes what another instance stored and this one never heard of: every instance ends on the version', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 6000);
    const members = await twoMembers(db);
    const { section, token, otherToken } = members;
    const sectionId = gid('TenderSection', section.id);
    const { alice, bob } = await editorsOnBoth(instances, members);
    const markdown = async (url: string, bearer: string) =>
      (await post(url, CONTENT, { id: sectionId }, bearer)).body.data?.node?.content?.markdown as string | undefined;
    try {
      typeInto(alice, 'Version retenue ');
      await alice.settled();
      await until(
        () => holds(bob.doc, alice.doc),
        () => 'bob to receive alice’s words through Redis',
      );
      const saved = await post(a.url, SAVE, { i: { sectionId, name: 'Retenue' } }, token);
      expect(saved.body.data?.saveSectionVersion?.__typename).toBe('MutationSaveSectionVersionSuccess');
      const version = await markdown(a.url, token);
      expect(version).toContain('Version retenue');

      // Redis away: bob's words are stored by B, and A never hears of them.
      await redis.stop();
      // A paragraph of its own: deleting the version's paragraphs alone leaves it (text typed inside one of them
      // would go with it).
      bob.doc.transact(() => {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.insert(0, [new Y.XmlText('texte de bob à effacer')]);
        bob.body.insert(bob.body.length, [paragraph]);
      });
      await bob.settled();
      expect(bob.rejected).toEqual([]);
      expect(bob.unacknowledged).toBe(0);
      expect(await markdown(a.url, token)).toBe(version);

      const restored = await post(a.url, RESTORE, { i: { versionId: saved.body.data.saveSectionVersion.data.id } }, token);
      expect(restored.body.data?.restoreSectionVersion?.__typename).toBe('MutationRestoreSectionVersionSuccess');

      // Back: both instances catch up with the database; every answer and every editor converges.
      await redis.start();
      const converged = await until(
        async () => {
          if (!holds(alice.doc, bob.doc) || !holds(bob.doc, alice.doc) || textOf(alice.body) !== textOf(bob.body)) return false;
          const [fromA, fromB] = await Promise.all([markdown(a.url, token), markdown(b.url, otherToken)]);
          return fromA === fromB && fromA;
        },
        () => `every instance and editor to agree: alice "${textOf(alice.body)}", bob "${textOf(bob.body)}"`,
      );
      expect(converged).toBe(version);
      expect(textOf(alice.body)).not.toContain('bob');
    } finally {
      await Promise.all([alice.disconnect(), bob.disconnect()]);
    }
  }, 240_000);
});
