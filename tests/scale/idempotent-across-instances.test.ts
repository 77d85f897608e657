import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorsOnBoth, post, printOutputOnFailure, twoInstances, twoMembers } from '../resilience/support.js';
import { gid } from '../support/scenario.js';

// Attack finding (restore duplicates with one Idempotency-Key on two instances): each round, one of the answers
// was 503 UNAVAILABLE (its claim found the key committed by the other instance), and once a duplicate reading the
// key between the first run's commit and its stored answer got ALREADY_APPLIED "perdue dans une panne" with no
// outage. Now a duplicate on either instance waits for the first run's answer and replays it: every answer of a
// round is the one restore's, one change is stored per round. Two server processes on a throwaway PostgreSQL.

const SAVE = /* GraphQL */ `mutation($i: SaveSectionVersionInput!) {
  saveSectionVersion(input: $i) { __typename ... on MutationSaveSectionVersionSuccess { data { id } } } }`;
const RESTORE = /* GraphQL */ `mutation($i: RestoreSectionVersionInput!) {
  restoreSectionVersion(input: $i) { __typename ... on MutationRestoreSectionVersionSuccess { data { id } } ... on Error { message } } }`;

describe('Duplicates of one idempotency key sent to two instances at once', () => {
  const instances = twoInstances();

  it('restoreSectionVersion: every answer is the one restore (run once, replayed to the others), one change stored', async () => {
    const { a, b, db } = instances;
    printOutputOnFailure(instances, 6000);
    const members = await twoMembers(db);
    const { section, token } = members;
    const sectionId = gid('TenderSection', section.id);
    const { alice, bob } = await editorsOnBoth(instances, members);
    try {
      alice.doc.transact(() => {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.insert(0, [new Y.XmlText('Version retenue')]);
        alice.body.insert(0, [paragraph]);
      });
      await alice.settled();
      const saved = await post(a.url, SAVE, { i: { sectionId, name: 'Retenue' } }, token);
      const versionId = saved.body.data.saveSectionVersion.data.id;
      for (let round = 0; round < 4; round += 1) {
        // Text typed after the version, which each round's restore deletes: every round stores one change.
        bob.doc.transact(() => {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.insert(0, [new Y.XmlText(`texte de bob ${round}`)]);
          bob.body.insert(bob.body.length, [paragraph]);
        });
        await bob.settled();
        const before = await db.prisma.sectionUpdate.count({ where: { sectionId: section.id } });
        const key = `restore-across-${round}`;
        const answers = await Promise.all(
          [a.url, b.url, a.url, b.url].map((url) => post(url, RESTORE, { i: { versionId } }, token, { 'idempotency-key': key })),
        );
        const shown = JSON.stringify(answers);
        for (const answer of answers) {
          expect(answer.status, shown).toBe(200);
          expect(answer.body.errors, shown).toBeUndefined();
          expect(answer.body.data, shown).toEqual((answers[0] as (typeof answers)[0]).body.data);
        }
        expect(answers[0]?.body.data?.restoreSectionVersion?.__typename, shown).toBe('MutationRestoreSectionVersionSuccess');
        expect(
          answers.filter((answer) => answer.body.extensions?.idempotentReplay !== true),
          shown,
        ).toHaveLength(1);
        expect(await db.prisma.sectionUpdate.count({ where: { sectionId: section.id } }), shown).toBe(before + 1);
      }
    } finally {
      await Promise.all([alice.disconnect(), bob.disconnect()]);
    }
  }, 240_000);
});
