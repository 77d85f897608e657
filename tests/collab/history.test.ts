import JSZip from 'jszip';
import mammoth from 'mammoth';
import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { writeBlocks } from '../../server/src/collab/content.js';
import { testAppForFile } from '../support/app.js';
import { CollabClient, sectionScenario } from '../support/collab.js';
import { gid, makeTenderDeal } from '../support/scenario.js';
import { until } from '../support/waits.js';

const t = testAppForFile();

function two<T>(list: readonly T[]): [T, T] {
  const [first, second] = list;
  if (first === undefined || second === undefined) throw new Error('Two members expected');
  return [first, second];
}

/** Writes rich text through a real editor connection and waits for the server's acknowledgement. */
async function write(token: string, sectionId: string, edit: (body: Y.XmlFragment) => void): Promise<CollabClient> {
  const editor = new CollabClient(t.url, token, sectionId);
  await editor.connect();
  editor.doc.transact(() => edit(editor.body));
  await editor.settled();
  return editor;
}

const SECTION = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      ... on TenderSection {
        wordCount characterCount isOverLimit
        content { markdown words characters contentHash }
        approval { isStale contentHash reviewer { id } }
        versions(first: 10) { totalCount edges { node { id name automatic author { id } } } }
      }
    }
  }
`;

describe('Figures', () => {
  it('should compute word and character counts on the server and push them with the over-limit flag', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { wordLimit: 3 } });
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const head = await t.db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } });
    const editor = await write(token, section.id, (body) =>
      writeBlocks(body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Notre offre répond au cahier des charges.' }] }]),
    );
    const event = await until(
      () =>
        t.db.prisma.eventLog.findFirst({
          where: {
            type: 'tenderSection.figuresChanged',
            subjectId: gid('TenderSection', section.id),
            position: { gt: head?.position ?? 0n },
          },
        }),
      'the figures event',
    );
    expect(event.payload).toMatchObject({ wordCount: 7, isOverLimit: true, wordLimit: 3 });
    const result = await t.gql(SECTION, { id: gid('TenderSection', section.id) }, token);
    expect(result.data?.node).toMatchObject({
      wordCount: 7,
      characterCount: 41,
      isOverLimit: true,
      content: { words: 7, characters: 41 },
    });
    await editor.disconnect();
  });
});

describe('History', () => {
  it('should save named versions, list them with author, and restore one as a forward change every editor converges to', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const [alice, bob] = two(members);
    const aliceToken = await t.tokenFor(alice.id);
    const first = await write(aliceToken, section.id, (body) =>
      writeBlocks(body, [{ type: 'heading', level: 1, content: [{ type: 'text', text: 'Méthodologie' }] }]),
    );
    const saved = await t.gql(
      'mutation($input: SaveSectionVersionInput!) { saveSectionVersion(input: $input) { __typename ... on MutationSaveSectionVersionSuccess { data { id name markdown } } } }',
      { input: { sectionId: gid('TenderSection', section.id), name: 'Premier jet' } },
      aliceToken,
    );
    const version = saved.data?.saveSectionVersion.data;
    expect(version).toMatchObject({ name: 'Premier jet', markdown: '# Méthodologie' });
    const watcher = new CollabClient(t.url, await t.tokenFor(bob.id), section.id);
    await watcher.connect();
    first.doc.transact(() => writeBlocks(first.body, [{ type: 'paragraph', content: [{ type: 'text', text: 'À jeter.' }] }]));
    await first.settled();

    const restored = await t.gql(
      'mutation($input: RestoreSectionVersionInput!) { restoreSectionVersion(input: $input) { __typename ... on MutationRestoreSectionVersionSuccess { data { content { markdown } } } } }',
      { input: { versionId: version.id } },
      aliceToken,
    );
    expect(restored.data?.restoreSectionVersion.data.content.markdown).toBe('# Méthodologie');
    await until(
      () => watcher.body.toString() === first.body.toString() && !first.body.toString().includes('À jeter'),
      'the editors to converge to the restored version',
    );
    const listed = await t.gql(SECTION, { id: gid('TenderSection', section.id) }, aliceToken);
    expect(
      listed.data?.node.versions.edges.map((edge: { node: { name: string | null; author: { id: string } } }) => edge.node),
    ).toContainEqual(expect.objectContaining({ name: 'Premier jet', author: { id: gid('Member', alice.id) } }));
    await Promise.all([first.disconnect(), watcher.disconnect()]);
  });
});

describe('Approval', () => {
  it('should tie the reviewer’s approval to the content hash and show it stale once the text changes', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const [writer, reviewer] = two(members);
    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { reviewerId: reviewer.id, status: 'REVIEW' } });
    const writerToken = await t.tokenFor(writer.id);
    const reviewerToken = await t.tokenFor(reviewer.id);
    const editor = await write(writerToken, section.id, (body) =>
      writeBlocks(body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Texte relu.' }] }]),
    );
    const byWriter = await t.gql(
      'mutation($input: ApproveSectionInput!) { approveSection(input: $input) { __typename } }',
      { input: { sectionId: gid('TenderSection', section.id) } },
      writerToken,
    );
    expect(byWriter.data?.approveSection.__typename).toBe('ForbiddenError');
    const approved = await t.gql(
      'mutation($input: ApproveSectionInput!) { approveSection(input: $input) { __typename ... on MutationApproveSectionSuccess { data { approval { isStale contentHash } content { contentHash } } } } }',
      { input: { sectionId: gid('TenderSection', section.id) } },
      reviewerToken,
    );
    const state = approved.data?.approveSection.data;
    expect(state.approval).toEqual({ isStale: false, contentHash: state.content.contentHash });
    editor.doc.transact(() => {
      const text = (editor.body.get(0) as Y.XmlElement).get(0) as Y.XmlText;
      text.format(0, 5, { bold: {} });
    });
    await editor.settled();
    const after = await t.gql(SECTION, { id: gid('TenderSection', section.id) }, writerToken);
    expect(after.data?.node.approval).toMatchObject({ isStale: true });
    await editor.disconnect();
  });
});

describe('Submission and export', () => {
  it('should freeze the response with a SHA-256 record when the deal is submitted, and export it to Markdown and DOCX', async () => {
    const { members, section, response, collective } = await sectionScenario(t.db.prisma, { members: 2 });
    const [lead, partner] = two(members);
    const token = await t.tokenFor(lead.id);
    await t.db.prisma.tenderSection.update({
      where: { id: section.id },
      data: { title: 'Mémoire technique', kind: 'TECHNICAL_PROPOSAL' },
    });
    const second = await t.db.prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'PLANNING', title: 'Planning', position: 2 },
    });
    const editor = await write(token, section.id, (body) =>
      writeBlocks(body, [
        { type: 'heading', level: 1, content: [{ type: 'text', text: 'Notre approche' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Une méthode ' },
            { type: 'text', text: 'éprouvée', marks: { bold: true } },
          ],
        },
        {
          type: 'bulletList',
          items: [
            { content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Atelier' }] }] },
            { content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Restitution', marks: { italic: true } }] }] },
          ],
        },
      ]),
    );
    const planning = await write(token, second.id, (body) =>
      writeBlocks(body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Six semaines.' }] }]),
    );

    const exported = await t.gql(
      'query($id: ID!, $f: ExportFormat!) { exportTenderResponse(responseId: $id, format: $f) { filename mimeType base64 } }',
      { id: gid('TenderResponse', response.id), f: 'DOCX' },
      token,
    );
    const docx = Buffer.from(exported.data?.exportTenderResponse.base64, 'base64');
    const html = (await mammoth.convertToHtml({ buffer: docx })).value;
    // Each section is a numbered, bookmarked top-level heading (the table of contents links to it);
    // the section's own headings sit one level below.
    expect(html).toMatch(/<h1><a id="section_1"><\/a>1\. Mémoire technique<\/h1>/);
    expect(html).toContain('<a href="#section_1">1. Mémoire technique</a>');
    expect(html).toContain('<h2>Notre approche</h2>');
    expect(html).toContain('<strong>éprouvée</strong>');
    expect(html).toMatch(/<ul><li>Atelier<\/li><li><em>Restitution<\/em><\/li><\/ul>/);
    expect(html.indexOf('Mémoire technique')).toBeLessThan(html.indexOf('Planning'));
    expect(await (await JSZip.loadAsync(docx)).file('word/document.xml')?.async('string')).toContain('Heading1');
    const markdown = await t.gql(
      'query($id: ID!) { exportTenderResponse(responseId: $id, format: MARKDOWN) { base64 } }',
      { id: gid('TenderResponse', response.id) },
      token,
    );
    expect(Buffer.from(markdown.data?.exportTenderResponse.base64, 'base64').toString('utf8')).toContain(
      '## Planning\n\nSix semaines.',
    );

    // The deal is submitted: a record of every section, with its hash, and the sections become read-only.
    const deal = await makeTenderDeal(
      t.db.prisma,
      collective.id,
      {
        groupForm: 'NONE',
        totalAmountCents: 1000,
        partners: {
          create: [
            { memberId: lead.id, isLead: true, amountCents: 600, shareBasisPoints: 6000 },
            { memberId: partner.id, amountCents: 400, shareBasisPoints: 4000 },
          ],
        },
      },
      1,
    );
    await t.db.prisma.tenderResponse.update({ where: { id: response.id }, data: { dealId: deal.id } });
    const submitted = await t.gql(
      'mutation($input: ChangeDealStatusInput!) { changeDealStatus(input: $input) { __typename ... on Error { message } } }',
      { input: { dealId: gid('Deal', deal.id), status: 'SUBMITTED' } },
      token,
    );
    expect(submitted.data?.changeDealStatus.__typename).toBe('MutationChangeDealStatusSuccess');
    const record = await t.db.prisma.submissionRecord.findFirstOrThrow({
      where: { responseId: response.id },
      include: { sections: { orderBy: { position: 'asc' } } },
    });
    expect(record.sections.map((s) => s.title)).toEqual(['Mémoire technique', 'Planning']);
    const { createHash } = await import('node:crypto');
    for (const recorded of record.sections)
      expect(recorded.sha256).toBe(createHash('sha256').update(recorded.content).digest('hex'));
    expect(record.sections[1]?.content).toBe('Six semaines.');

    editor.doc.transact(() => writeBlocks(editor.body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Trop tard.' }] }]));
    await editor.settled();
    expect(editor.rejected.join()).toContain('SUBMITTED_READ_ONLY');
    await Promise.all([editor.disconnect(), planning.disconnect()]);
  });
});

describe('Concurrent restores', () => {
  // Attack finding: two restores of one version at once each deleted the text they had read and both wrote the
  // version's (48 → 96 → 192 words on PostgreSQL). Each is now computed in the section's storing transaction.
  it('should leave exactly the version after any number of concurrent restores', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = await write(token, section.id, (body) =>
      writeBlocks(body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Version retenue du mémoire technique.' }] }]),
    );
    const saved = await t.gql(
      'mutation($input: SaveSectionVersionInput!) { saveSectionVersion(input: $input) { ... on MutationSaveSectionVersionSuccess { data { id } } } }',
      { input: { sectionId: gid('TenderSection', section.id), name: 'Retenue' } },
      token,
    );
    editor.doc.transact(() => writeBlocks(editor.body, [{ type: 'paragraph', content: [{ type: 'text', text: 'Brouillon.' }] }]));
    await editor.settled();
    await editor.disconnect();
    const restores = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.gql(
          'mutation($input: RestoreSectionVersionInput!) { restoreSectionVersion(input: $input) { __typename ... on MutationRestoreSectionVersionSuccess { data { content { markdown } } } } }',
          { input: { versionId: saved.data?.saveSectionVersion.data.id } },
          token,
        ),
      ),
    );
    for (const restored of restores)
      expect(restored.data?.restoreSectionVersion.data.content.markdown).toBe('Version retenue du mémoire technique.');
    const now = await t.gql(SECTION, { id: gid('TenderSection', section.id) }, token);
    expect(now.data?.node.content.markdown).toBe('Version retenue du mémoire technique.');
  });
});
