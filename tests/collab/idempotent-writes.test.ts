import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { answerWaits } from '../../server/src/transport/idempotency.js';
import { type Json, testAppForFile } from '../support/app.js';
import { CollabClient, sectionScenario, textOf } from '../support/collab.js';
import { gid } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack: saveSectionVersion sent twice with one `Idempotency-Key` stored two versions and the second answer had
// no `idempotentReplay`: keys were claimed only with a mutation's first recorded event. Every mutation that writes
// claims its key in its storing transaction. Mutations of the schema that write without recording an event, found
// by reading server/src/schema (every other one records its event in its storing transaction, which claims):
//   - saveSectionVersion: a SectionVersion row (claimed in keepVersion's transaction);
//   - restoreSectionVersion: a computed SectionUpdate, stored before its `versionRestored` event in another
//     transaction (claimed in the change's storing transaction, Documents.applyComputed).
// Not listed: updatePresence (memory only), pushSectionUpdate (a Yjs update stored twice applies once),
// signIn (anonymous: keys are per member), updateMyProfile with nothing changed (writes nothing).

const t = testAppForFile();

/** Posts one mutation through Yoga with an `Idempotency-Key` header; the answer as sent, `extensions` included. */
async function send(token: string, key: string, query: string, variables: Json): Promise<Json> {
  const response = await t.app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return response.json();
}

const SAVE = /* GraphQL */ `mutation($i: SaveSectionVersionInput!) {
  saveSectionVersion(input: $i) { __typename ... on MutationSaveSectionVersionSuccess { data { id } } } }`;
const RESTORE = /* GraphQL */ `mutation($i: RestoreSectionVersionInput!) {
  restoreSectionVersion(input: $i) { __typename ... on MutationRestoreSectionVersionSuccess { data { id content { markdown } } } } }`;

async function section() {
  const { members, section } = await sectionScenario(t.db.prisma);
  const token = await t.tokenFor((members[0] as { id: string }).id);
  const sectionId = gid('TenderSection', section.id);
  const editor = new CollabClient(t.url, token, section.id);
  await editor.connect();
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText('Version retenue du mémoire technique.')]);
  editor.doc.transact(() => editor.body.insert(0, [paragraph]));
  await editor.settled();
  return { token, sectionId, dbId: section.id, editor, memberId: (members[0] as { id: string }).id };
}

describe('Idempotency keys on mutations that write without an event', () => {
  it('saveSectionVersion: the same request twice with one key stores one version; the second answer is the replay', async () => {
    const s = await section();
    try {
      const first = await send(s.token, 'version-1', SAVE, { i: { sectionId: s.sectionId, name: 'Première' } });
      expect(first.data.saveSectionVersion.__typename).toBe('MutationSaveSectionVersionSuccess');
      expect(first.extensions?.idempotentReplay).toBeUndefined();
      const second = await send(s.token, 'version-1', SAVE, { i: { sectionId: s.sectionId, name: 'Première' } });
      expect(second.extensions).toMatchObject({ idempotentReplay: true });
      expect(second.data).toEqual(first.data);
      expect(await t.db.prisma.sectionVersion.count({ where: { sectionId: s.dbId } })).toBe(1);
    } finally {
      await s.editor.disconnect();
    }
  });

  it('restoreSectionVersion: the same request twice with one key stores one change and one event; the second answer is the replay', async () => {
    const s = await section();
    try {
      const saved = await send(s.token, 'save-before-restore', SAVE, { i: { sectionId: s.sectionId, name: 'Retenue' } });
      const versionId = saved.data.saveSectionVersion.data.id;
      const updatesBefore = await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } });
      const first = await send(s.token, 'restore-1', RESTORE, { i: { versionId } });
      expect(first.data.restoreSectionVersion.__typename).toBe('MutationRestoreSectionVersionSuccess');
      const updatesAfterFirst = await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } });
      expect(updatesAfterFirst).toBe(updatesBefore + 1);
      const second = await send(s.token, 'restore-1', RESTORE, { i: { versionId } });
      expect(second.extensions).toMatchObject({ idempotentReplay: true });
      expect(second.data).toEqual(first.data);
      expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } })).toBe(updatesAfterFirst);
      expect(await t.db.prisma.eventLog.count({ where: { type: 'tenderSection.versionRestored', subjectId: s.sectionId } })).toBe(
        1,
      );

      // Sent twice at once with a new key: the change is stored once, whichever request's claim came second
      // (it is told to retry, or gets the replay).
      const [a, b] = await Promise.all([
        send(s.token, 'restore-2', RESTORE, { i: { versionId } }),
        send(s.token, 'restore-2', RESTORE, { i: { versionId } }),
      ]);
      expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } })).toBe(updatesAfterFirst + 1);
      for (const answer of [a, b])
        expect(
          answer.data?.restoreSectionVersion?.__typename === 'MutationRestoreSectionVersionSuccess' ||
            answer.errors?.[0]?.extensions?.code === 'UNAVAILABLE',
        ).toBe(true);
    } finally {
      await s.editor.disconnect();
    }
  });
  it('restoreSectionVersion: duplicates of one key, sequential or at once, store nothing, reach no editor and answer as the first', async () => {
    const s = await section();
    try {
      const saved = await send(s.token, 'save-before-duplicates', SAVE, { i: { sectionId: s.sectionId, name: 'Retenue' } });
      const versionId = saved.data.saveSectionVersion.data.id;
      const version = textOf(s.editor.body);
      const markdown = async () =>
        (
          await t.gql(
            'query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }',
            { id: s.sectionId },
            s.token,
          )
        ).data?.node?.content?.markdown;
      const versionMarkdown = await markdown();
      // Text typed after the version, which the restore deletes.
      s.editor.doc.transact(() => {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.insert(0, [new Y.XmlText('Brouillon à effacer.')]);
        s.editor.body.insert(s.editor.body.length, [paragraph]);
      });
      await s.editor.settled();
      for (const [round, duplicates] of [
        ['sequential', 1],
        ['at once', 5],
      ] as const) {
        const updatesBefore = await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } });
        const eventsBefore = await t.db.prisma.eventLog.count({
          where: { type: 'tenderSection.versionRestored', subjectId: s.sectionId },
        });
        const key = `restore-duplicates-${round.replace(' ', '-')}`;
        const answers =
          duplicates === 1
            ? [await send(s.token, key, RESTORE, { i: { versionId } }), await send(s.token, key, RESTORE, { i: { versionId } })]
            : await Promise.all(Array.from({ length: duplicates }, () => send(s.token, key, RESTORE, { i: { versionId } })));
        const firsts = answers.filter((answer) => answer.extensions?.idempotentReplay === undefined);
        expect(firsts, `${round}: one answer ran, the others are its replay ${JSON.stringify(answers)}`).toHaveLength(1);
        const first = firsts[0] as Json;
        expect(first.data?.restoreSectionVersion?.__typename).toBe('MutationRestoreSectionVersionSuccess');
        for (const answer of answers) {
          expect(answer.errors, round).toBeUndefined();
          expect(answer.data, round).toEqual(first.data);
        }
        // One change stored, one event; the editor and the server's document hold the version once.
        expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: s.dbId } })).toBe(updatesBefore + 1);
        expect(
          await t.db.prisma.eventLog.count({ where: { type: 'tenderSection.versionRestored', subjectId: s.sectionId } }),
        ).toBe(eventsBefore + 1);
        await s.editor.settled();
        expect(await markdown(), round).toBe(versionMarkdown);
        const stored = await t.db.prisma.sectionUpdate.findMany({ where: { sectionId: s.dbId }, orderBy: { id: 'asc' } });
        const snapshot = await t.db.prisma.sectionSnapshot.findUnique({ where: { sectionId: s.dbId } });
        const fromDatabase = new Y.Doc();
        if (snapshot) Y.applyUpdate(fromDatabase, snapshot.state);
        for (const row of stored) Y.applyUpdate(fromDatabase, row.update);
        expect(textOf(fromDatabase.getXmlFragment('body')), round).toBe(version);
        // The editor holds exactly what is stored (once it received it): no duplicate's change reached it.
        const svOf = (doc: Y.Doc) => Object.fromEntries(Y.decodeStateVector(Y.encodeStateVector(doc)));
        await until(
          () => Object.entries(svOf(fromDatabase)).every(([client, clock]) => (svOf(s.editor.doc)[client] ?? 0) >= clock),
          () => `${round}: the editor to receive the restore`,
        );
        expect(svOf(s.editor.doc), round).toEqual(svOf(fromDatabase));
        expect(textOf(s.editor.body), round).toBe(version);
      }
    } finally {
      await s.editor.disconnect();
    }
  });
});

// Attack finding (restore duplicates across two instances): a duplicate arriving after the first run claimed the
// key (its transaction committed) but before its answer was stored was answered ALREADY_APPLIED, "sa réponse s'est
// perdue dans une panne", with no outage. The first run's claim is written here as another instance's would be
// (claimed, no answer yet); this instance has no run of that key, so the duplicate reads the key.
describe('A duplicate finding the key claimed but not answered yet', () => {
  /** The fingerprint the plugin computes for a request sent by `send` (no operation name). */
  const fingerprintOf = (query: string, variables: Json) =>
    createHash('sha256')
      .update(JSON.stringify([query, null, variables]))
      .digest('hex');

  async function claimedElsewhere(key: string, createdAt?: Date) {
    const s = await section();
    const variables = { i: { sectionId: s.sectionId, name: 'Ailleurs' } };
    await t.db.prisma.idempotencyKey.create({
      data: { memberId: s.memberId, key, fingerprint: fingerprintOf(SAVE, variables), ...(createdAt ? { createdAt } : {}) },
    });
    return { ...s, variables };
  }

  it('waits for the first run’s answer and replays it, running nothing', async () => {
    const s = await claimedElsewhere('claimed-elsewhere');
    let listener: (memberId: string, key: string) => void = () => {};
    const waiting = new Promise<'waiting'>((resolve) => {
      listener = (_memberId, key) => {
        if (key === 'claimed-elsewhere') resolve('waiting');
      };
      answerWaits.on('waiting', listener);
    });
    try {
      const answer = send(s.token, 'claimed-elsewhere', SAVE, s.variables);
      expect(await Promise.race([waiting, answer.then((sent) => JSON.stringify(sent))])).toBe('waiting');
      // The first run, elsewhere, stores its answer now.
      const stored = {
        data: { saveSectionVersion: { __typename: 'MutationSaveSectionVersionSuccess', data: { id: 'v-ailleurs' } } },
      };
      await t.db.prisma.idempotencyKey.updateMany({
        where: { memberId: s.memberId, key: 'claimed-elsewhere' },
        data: { result: stored },
      });
      const sent = await answer;
      expect(sent.errors).toBeUndefined();
      expect(sent.data).toEqual(stored.data);
      expect(sent.extensions).toMatchObject({ idempotentReplay: true });
      expect(await t.db.prisma.sectionVersion.count({ where: { sectionId: s.dbId } })).toBe(0);
    } finally {
      answerWaits.off('waiting', listener);
      await s.editor.disconnect();
    }
  });

  it('whose first run is gone (claimed long ago, never answered): ALREADY_APPLIED, claiming no outage', async () => {
    const s = await claimedElsewhere('claimed-long-ago', new Date(Date.now() - 3_600_000));
    try {
      const sent = await send(s.token, 'claimed-long-ago', SAVE, s.variables);
      expect(sent.errors?.[0]?.extensions?.code).toBe('ALREADY_APPLIED');
      expect(sent.errors?.[0]?.message).toMatch(/appliquée/);
      expect(sent.errors?.[0]?.message).not.toMatch(/panne/);
      expect(await t.db.prisma.sectionVersion.count({ where: { sectionId: s.dbId } })).toBe(0);
    } finally {
      await s.editor.disconnect();
    }
  });
});
