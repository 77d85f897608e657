import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createTestApp, type TestApp } from '../support/app.js';
import { CollabClient, sectionScenario } from '../support/collab.js';
import { gid, makeMember, snapshot } from '../support/scenario.js';
import { until } from '../support/waits.js';

let t: TestApp;
let url: string;
const clients: CollabClient[] = [];

beforeAll(async () => {
  t = await createTestApp({ config: { maxUpdateBytes: 64 * 1024, compactAfter: 50 } });
  url = await t.app.start();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.disconnect().catch(() => {})));
  await t.close();
});

function client(token: string, sectionId: string): CollabClient {
  const created = new CollabClient(url, token, sectionId);
  clients.push(created);
  return created;
}

/** A seeded pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function paragraphs(doc: Y.Doc): Y.XmlText[] {
  return doc
    .getXmlFragment('body')
    .toArray()
    .flatMap((node) =>
      node instanceof Y.XmlElement ? node.toArray().filter((child): child is Y.XmlText => child instanceof Y.XmlText) : [],
    );
}

/** One random edit: insert, delete, format, or a new paragraph. */
function randomEdit(doc: Y.Doc, next: () => number): void {
  const texts = paragraphs(doc);
  const roll = next();
  if (texts.length === 0 || roll < 0.1) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(`Paragraphe ${Math.floor(next() * 1000)} `)]);
    const body = doc.getXmlFragment('body');
    body.insert(Math.floor(next() * (body.length + 1)), [paragraph]);
    return;
  }
  const text = texts[Math.floor(next() * texts.length)] as Y.XmlText;
  const at = Math.floor(next() * (text.length + 1));
  if (roll < 0.6) text.insert(at, ['écrit ', 'mot ', 'offre ', 'é', ' '][Math.floor(next() * 5)] as string);
  else if (roll < 0.8 && text.length > 0) text.delete(Math.min(at, text.length - 1), 1 + Math.floor(next() * 3));
  else if (text.length > 0)
    text.format(Math.min(at, text.length - 1), 1 + Math.floor(next() * 5), next() < 0.5 ? { bold: {} } : { italic: {} });
}

/** Waits until every document holds the same state (updates arrive asynchronously). */
async function converged(docs: Y.Doc[]): Promise<void> {
  const same = () =>
    docs.every((doc) => Buffer.from(Y.encodeStateVector(doc)).equals(Buffer.from(Y.encodeStateVector(docs[0] as Y.Doc))));
  await until(same, 'the documents to converge');
}

async function serverDoc(sectionId: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await t.app.documents.storedState(sectionId));
  return doc;
}

describe('Convergence', () => {
  it('should make five concurrent editors and the server end byte-identical, with one editing offline and merging', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 5 });
    const editors = await Promise.all(members.map(async (member) => client(await t.tokenFor(member.id), section.id)));
    await Promise.all(editors.map((editor) => editor.connect()));
    const next = random(42);
    const offline = editors[4] as CollabClient;
    for (let round = 0; round < 12; round += 1) {
      if (round === 4) await offline.disconnect();
      for (const editor of editors) for (let i = 0; i < 8; i += 1) randomEdit(editor.doc, next);
      if (round === 9) await offline.connect();
    }
    await Promise.all(editors.map((editor) => editor.settled()));
    const docs = editors.map((editor) => editor.doc);
    await converged(docs);
    const server = await serverDoc(section.id);
    const reference = Buffer.from(Y.encodeStateAsUpdate(docs[0] as Y.Doc));
    for (const doc of [...docs.slice(1), server]) {
      expect(Buffer.from(Y.encodeStateAsUpdate(doc)).equals(reference)).toBe(true);
      expect(doc.getXmlFragment('body').toString()).toBe((docs[0] as Y.Doc).getXmlFragment('body').toString());
    }
    expect(editors.flatMap((editor) => editor.rejected)).toEqual([]);
    expect((docs[0] as Y.Doc).getXmlFragment('body').toString()).toContain('<bold>');
  });

  it('should send a late subscriber everything, whatever the order of subscribe and load', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const [first, second] = (await Promise.all(
      members.map(async (member) => client(await t.tokenFor(member.id), section.id)),
    )) as [CollabClient, CollabClient];
    await first.connect();
    first.body.insert(0, [new Y.XmlElement('paragraph')]);
    (first.body.get(0) as Y.XmlElement).insert(0, [new Y.XmlText('Avant la connexion du second.')]);
    await first.settled();
    await second.connect();
    await converged([first.doc, second.doc]);
    expect(second.body.toString()).toContain('Avant la connexion du second.');
  });
});

describe('Echo suppression', () => {
  it('should key echo suppression by connection, so a client-chosen clientId hides nobody’s updates', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const [writer, reader] = (await Promise.all(
      members.map(async (member) => client(await t.tokenFor(member.id), section.id)),
    )) as [CollabClient, CollabClient];
    // The reader claims the writer's clientId: it must still receive every update the writer pushes.
    (reader as unknown as { clientId: string }).clientId = writer.clientId;
    await Promise.all([writer.connect(), reader.connect()]);
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Visible malgré le même clientId.')]);
    writer.body.insert(0, [paragraph]);
    await writer.settled();
    await converged([writer.doc, reader.doc]);
    expect(reader.body.toString()).toContain('Visible malgré le même clientId.');
  });
});

describe('Compaction', () => {
  it('should fold the log into the snapshot without losing updates stored meanwhile', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 3 });
    const editors = await Promise.all(members.map(async (member) => client(await t.tokenFor(member.id), section.id)));
    await Promise.all(editors.map((editor) => editor.connect()));
    const next = random(7);
    const compactions: Array<Promise<number>> = [];
    for (let round = 0; round < 30; round += 1) {
      for (const editor of editors) randomEdit(editor.doc, next);
      // Compactions run while pushes are being stored, not between them.
      compactions.push(t.app.documents.compact(section.id));
      if (round % 5 === 4) await editors[round % 3]?.settled();
    }
    await Promise.all(editors.map((editor) => editor.settled()));
    const folded = (await Promise.all(compactions)).reduce((sum, count) => sum + count, 0);
    expect(folded).toBeGreaterThan(0);
    await converged(editors.map((editor) => editor.doc));
    expect(await t.db.prisma.sectionSnapshot.findUnique({ where: { sectionId: section.id } })).not.toBeNull();
    const server = await serverDoc(section.id);
    expect(server.getXmlFragment('body').toString()).toBe(editors[0]?.body.toString());
  });

  it('should keep every stored update when compacting, one the loaded document never applied included', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 1 });
    const editor = client(await t.tokenFor((members[0] as { id: string }).id), section.id);
    await editor.connect();
    const typed = new Y.XmlElement('paragraph');
    typed.insert(0, [new Y.XmlText('Tapé dans l’éditeur.')]);
    editor.body.insert(0, [typed]);
    await editor.settled();
    // A row stored behind the loaded document's back (as by another writer): on top of what the editor has.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(editor.doc));
    const before = Y.encodeStateVector(other);
    const added = new Y.XmlElement('paragraph');
    added.insert(0, [new Y.XmlText('Écrit hors du serveur.')]);
    other.getXmlFragment('body').push([added]);
    await t.db.sql.query('INSERT INTO "SectionUpdate" ("sectionId", "update") VALUES ($1::uuid, $2::bytea)', [
      section.id,
      Buffer.from(Y.encodeStateAsUpdate(other, before)),
    ]);
    expect(await t.app.documents.compact(section.id)).toBeGreaterThan(0);
    const stored = (await serverDoc(section.id)).getXmlFragment('body').toString();
    expect(stored).toContain('Tapé dans l’éditeur.');
    expect(stored).toContain('Écrit hors du serveur.');
  });
});

describe('Rejections', () => {
  async function push(token: string, sectionId: string, update: string) {
    const result = await t.gql(
      `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename ... on RuleViolationError { field rule } ... on NotFoundError { field } } }`,
      { input: { sectionId: gid('TenderSection', sectionId), update } },
      token,
    );
    return result.data?.pushSectionUpdate;
  }

  function validUpdate(text: string): string {
    const doc = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    doc.getXmlFragment('body').insert(0, [paragraph]);
    paragraph.insert(0, [new Y.XmlText(text)]);
    return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
  }

  it('should refuse malformed, oversized, foreign-root, unauthorised, restricted and done updates, changing nothing', async () => {
    const { members, section, response } = await sectionScenario(t.db.prisma, { members: 2 });
    const [writer] = members;
    const token = await t.tokenFor((writer as { id: string }).id);
    const outsider = await t.tokenFor((await makeMember(t.db.prisma)).id);
    const staff = await t.tokenFor(
      (await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false })).id,
    );
    expect((await push(token, section.id, validUpdate('Premier jet.')))?.__typename).toBe('MutationPushSectionUpdateSuccess');
    // The accepted update's figures are recomputed shortly after (an event): let that settle first.
    await until(
      async () => (await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } })).wordCount === 2,
      'the figures to settle',
    );
    const before = await t.app.documents.storedState(section.id);
    const rows = await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } });
    const state = await snapshot(t.db.prisma);

    expect(await push(token, section.id, Buffer.from('pas du tout une mise à jour').toString('base64'))).toEqual({
      __typename: 'RuleViolationError',
      field: 'input.update',
      rule: 'MALFORMED_UPDATE',
    });
    expect(await push(token, section.id, 'pas du base64 !')).toMatchObject({ rule: 'MALFORMED_UPDATE' });
    const big = new Y.Doc();
    big.getXmlFragment('body').insert(0, [new Y.XmlText('x'.repeat(70 * 1024))]);
    expect(await push(token, section.id, Buffer.from(Y.encodeStateAsUpdate(big)).toString('base64'))).toMatchObject({
      rule: 'UPDATE_TOO_LARGE',
      field: 'input.update',
    });
    const foreign = new Y.Doc();
    foreign.getMap('secrets').set('x', 1);
    expect(await push(token, section.id, Buffer.from(Y.encodeStateAsUpdate(foreign)).toString('base64'))).toMatchObject({
      rule: 'MALFORMED_UPDATE',
    });
    expect(await push(outsider, section.id, validUpdate('Intrus'))).toEqual({
      __typename: 'NotFoundError',
      field: 'input.sectionId',
    });
    expect((await push(staff, section.id, validUpdate('Appui')))?.__typename).toBe('ForbiddenError');

    const restricted = await t.db.prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'BUDGET', title: 'Budget', position: 2, restricted: true },
    });
    expect(await push(token, restricted.id, validUpdate('Chiffres'))).toEqual({
      __typename: 'NotFoundError',
      field: 'input.sectionId',
    });
    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { status: 'DONE' } });
    expect(await push(token, section.id, validUpdate('Après coup'))).toMatchObject({ rule: 'SECTION_DONE' });
    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { status: 'DRAFT' } });

    expect(Buffer.from(await t.app.documents.storedState(section.id)).equals(Buffer.from(before))).toBe(true);
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(rows);
    const after = await snapshot(t.db.prisma);
    expect(after.events).toBe(state.events);
  });
});
