import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testAppForFile } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { wsClient } from '../support/live.js';
import { gid, makeTenderDeal } from '../support/scenario.js';

// Issue 10 item 7: every condition a push depends on is checked in the transaction that stores it, so pushing
// and submitting the deal are serialised: an acknowledged update is in the submission record, or it was refused.
// Meaningful on PostgreSQL (`pnpm test:postgres`); on PGlite statements run one at a time and it holds trivially.

const PUSH = /* GraphQL */ `
  mutation Push($input: PushSectionUpdateInput!) {
    pushSectionUpdate(input: $input) { __typename ... on RuleViolationError { rule } ... on Error { message } }
  }
`;

const t = testAppForFile();

function push(client: Client, sectionId: string, update: Uint8Array): Promise<{ __typename: string; rule?: string }> {
  return new Promise((resolve, reject) => {
    let answer: { __typename: string; rule?: string } | null = null;
    client.subscribe<{ pushSectionUpdate: { __typename: string; rule?: string } }>(
      {
        query: PUSH,
        variables: { input: { sectionId: gid('TenderSection', sectionId), update: Buffer.from(update).toString('base64') } },
      },
      {
        next: (result) => {
          answer = result.data?.pushSectionUpdate ?? null;
        },
        error: reject,
        complete: () => (answer ? resolve(answer) : reject(new Error('No answer'))),
      },
    );
  });
}

describe('Submission race', () => {
  it('should put every acknowledged update in the submission record when pushes are in flight while the deal is submitted', async () => {
    const { members, collective, response, section } = await sectionScenario(t.db.prisma, { members: 4 });
    const [lead, partner] = members as unknown as [{ id: string }, { id: string }];
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

    // The paragraph every editor types into exists first.
    const base = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    base.getXmlFragment('body').insert(0, [paragraph]);
    paragraph.insert(0, [new Y.XmlText('Début.')]);
    const tokens = await Promise.all(members.map((member) => t.tokenFor(member.id)));
    const first = wsClient(t.url, tokens[0] as string, { lazy: false });
    expect((await push(first, section.id, Y.encodeStateAsUpdate(base))).__typename).toBe('MutationPushSectionUpdateSuccess');
    await first.dispose();

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let enough!: () => void;
    const enoughAcknowledged = new Promise<void>((resolve) => {
      enough = resolve;
    });
    // Each editor types markers one push after another until the submission refuses it.
    const editors = tokens.map(async (token, index) => {
      const client = wsClient(t.url, token, { lazy: false });
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
      const text = (doc.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlText;
      try {
        for (let n = 0; n < 500; n += 1) {
          // A letter after the number, so no marker is a prefix of another.
          const marker = `e${index}m${n}z`;
          let update: Uint8Array = new Uint8Array();
          const capture = (u: Uint8Array) => {
            update = u;
          };
          doc.on('update', capture);
          text.insert(text.length, ` ${marker}`);
          doc.off('update', capture);
          const answer = await push(client, section.id, update);
          if (answer.__typename !== 'MutationPushSectionUpdateSuccess') {
            expect(answer.rule).toBe('SUBMITTED_READ_ONLY');
            refused.push(marker);
            return;
          }
          acknowledged.push(marker);
          if (acknowledged.length === 40) enough();
        }
        throw new Error('The submission never refused a push');
      } finally {
        await client.dispose();
      }
    });
    await enoughAcknowledged;
    const submitted = await t.gql(
      'mutation($input: ChangeDealStatusInput!) { changeDealStatus(input: $input) { __typename ... on Error { message } } }',
      { input: { dealId: gid('Deal', deal.id), status: 'SUBMITTED' } },
      tokens[0],
    );
    expect(submitted.data?.changeDealStatus.__typename).toBe('MutationChangeDealStatusSuccess');
    await Promise.all(editors);

    const record = await t.db.prisma.submissionRecord.findFirstOrThrow({
      where: { responseId: response.id },
      include: { sections: true },
    });
    const content = record.sections[0]?.content ?? '';
    expect(refused.length).toBe(members.length);
    for (const marker of acknowledged) expect(content).toContain(marker);
    for (const marker of refused) expect(content).not.toContain(marker);
    // And what is stored now is exactly what was recorded: nothing acknowledged after the record.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    for (const marker of refused) expect(stored.getXmlFragment('body').toString()).not.toContain(marker);
  }, 120_000);
});
