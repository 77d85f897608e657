import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { post, printOutputOnFailure, twoInstances, twoMembers, until } from '../resilience/support.js';
import { CollabClient, nestedLists, nestingOf } from '../support/collab.js';
import { gid } from '../support/scenario.js';

// A section stored deeper than MAX_BODY_DEPTH (before pushes were bounded), opened at once on two instances: each
// read it too deep and called rewriteDeep; the second found it rewritten already and kept the deep document it had
// read, for good (the rewrite, only in the snapshot, added no update ID and was never published), so its editors
// saw another text and its pushes were judged against it (attack of 2026-11-30). Now the second reads the stored
// rewrite, and a rewrite is published to instances holding the section.

const CONTENT = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`;

describe('A section nested too deep, opened on two instances at once', () => {
  const instances = twoInstances();

  it('should be served and judged as stored, rewritten, by both', async () => {
    const { a, b, db } = instances;
    printOutputOnFailure(instances, 3000);
    for (let round = 0; round < 3; round += 1) {
      const members = await twoMembers(db);
      const deep = Y.encodeStateAsUpdate(nestedLists(130, `Tout au fond ${round}.`));
      await db.prisma.sectionUpdate.create({ data: { sectionId: members.section.id, update: new Uint8Array(deep) } });
      const alice = new CollabClient(a.url, members.token, members.section.id);
      const bob = new CollabClient(b.url, members.otherToken, members.section.id);
      try {
        await Promise.all([alice.connect(), bob.connect()]);
        const stored = new Y.Doc();
        await until(
          async () => {
            const snapshot = await db.prisma.sectionSnapshot.findUnique({ where: { sectionId: members.section.id } });
            return snapshot && Y.applyUpdate(stored, snapshot.state as Uint8Array) === undefined;
          },
          () => 'the rewrite to be stored',
        );
        const depth = nestingOf(stored.getXmlFragment('body'));
        expect(depth).toBeLessThan(130);
        await until(
          () => nestingOf(alice.body) === depth && nestingOf(bob.body) === depth,
          () => `both editors at nesting ${depth}: alice ${nestingOf(alice.body)}, bob ${nestingOf(bob.body)}`,
        );
        // Bob types at the end of his text: stored, and Alice sees it.
        let node: unknown = bob.body.get(0);
        while (node instanceof Y.XmlElement && node.length > 0) node = node.get(node.length - 1);
        if (node instanceof Y.XmlText) node.insert(0, 'Bob ');
        await bob.settled();
        expect(bob.rejected).toEqual([]);
        await until(
          () => alice.body.toString() === bob.body.toString(),
          () => 'the editors to agree',
        );
        const id = gid('TenderSection', members.section.id);
        const [onA, onB] = [await post(a.url, CONTENT, { id }, members.token), await post(b.url, CONTENT, { id }, members.token)];
        expect(onA.body.data?.node?.content?.markdown).toContain('Bob ');
        expect(onB.body.data?.node?.content?.markdown).toBe(onA.body.data?.node?.content?.markdown);
      } finally {
        await Promise.all([alice.disconnect(), bob.disconnect()]);
      }
    }
  }, 300_000);
});
