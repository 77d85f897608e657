import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Access } from '../../server/src/auth/access.js';
import type { Context } from '../../server/src/context.js';
import { setDealPartners } from '../../server/src/domain/deals.js';
import { leave, leaveCooperative } from '../../server/src/domain/memberships.js';
import { changeSectionStatus, updateSection } from '../../server/src/domain/tenders.js';
import type { Member, Prisma } from '../../server/src/generated/prisma/client.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

// Issue 10 item 7: every condition a push depends on is checked inside the transaction that stores it, and that
// transaction is serialised with EVERY change that can invalidate it, not only the deal's submission: a member
// leaving the collective or the cooperative, the deal's partners changing, the section being marked done,
// restricted or given another owner. So every acknowledged update was allowed at the moment it was stored.
//
// Each change below runs the real domain function in a transaction the test holds open; a push made meanwhile
// must wait for it (PostgreSQL shows it waiting on a lock), and once the change commits, be refused. Before the
// fix, the pusher's standing came from the start of their request and the section row was read from before the
// wait, so these pushes were acknowledged although the change had already removed the right to make them.
// PostgreSQL only: on PGlite statements run one at a time, so there is no interleaving to test.

const PUSH = /* GraphQL */ `
  mutation Push($input: PushSectionUpdateInput!) {
    pushSectionUpdate(input: $input) { __typename ... on RuleViolationError { rule } ... on Error { message } }
  }
`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

type Answer = { __typename: string; rule?: string };

/** A one-paragraph update typed by a fresh client: independent of everything stored, so it always applies. */
function typed(text: string): string {
  const doc = new Y.Doc();
  const paragraph = new Y.XmlElement('paragraph');
  doc.getXmlFragment('body').insert(0, [paragraph]);
  paragraph.insert(0, [new Y.XmlText(text)]);
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
}

async function push(token: string, sectionId: string, text: string): Promise<Answer> {
  const answer = await t.gql(PUSH, { input: { sectionId: gid('TenderSection', sectionId), update: typed(text) } }, token);
  expect(answer.errors).toBeUndefined();
  return answer.data?.pushSectionUpdate as Answer;
}

/**
 * Resolves once a push's locking statement (the only statements with FOR SHARE) waits for a row lock: the push
 * waiting for the held change. Other waiters (a word recount waiting for the event log's advisory lock, which
 * the held change holds) do not count.
 */
async function aPushWaitsForALock(): Promise<'waiting'> {
  for (;;) {
    const [row] = await t.db.prisma.$queryRaw<Array<{ waiting: number }>>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event <> 'advisory'
        AND query ILIKE '%FOR SHARE%'`;
    if ((row?.waiting ?? 0) > 0) return 'waiting';
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs `change` in a transaction kept open until the returned `commit` is called: the change has taken its
 * locks and written, not committed.
 */
async function holdOpen(change: (tx: Prisma.TransactionClient) => Promise<unknown>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let changed!: () => void;
  const done = new Promise<void>((resolve) => {
    changed = resolve;
  });
  const transaction = t.db.prisma.$transaction(
    async (tx) => {
      await change(tx);
      changed();
      await released;
    },
    { timeout: 120_000 },
  );
  await Promise.race([done, transaction]);
  return {
    commit: async () => {
      release();
      await transaction;
    },
  };
}

const tendersActor = (member: Member, insiderOf: string[]) => ({
  member,
  isSupportStaff: false,
  insiderOf: new Set(insiderOf),
});

/**
 * A collective (animator = the deal's lead, two more members) answering a deal with an outside partner, and a
 * fresh section for each case.
 */
async function scenario() {
  const prisma = t.db.prisma;
  const lead = await makeMember(prisma);
  const [stayer, leaver, quitter, outsider] = await Promise.all([1, 2, 3, 4].map(() => makeMember(prisma)));
  if (!stayer || !leaver || !quitter || !outsider) throw new Error('members');
  const collective = await makeCollective(prisma, {
    animatorId: lead.id,
    memberIds: [stayer.id, leaver.id, quitter.id],
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    openness: 'CLOSED',
    objective: 'Répondre',
    targetDate: new Date('2027-06-30'),
  });
  const opportunity = await prisma.opportunity.create({
    data: { kind: 'PUBLIC_TENDER', title: 'Marché', buyer: 'Ville', submissionDeadline: new Date(Date.now() + 86_400_000) },
  });
  const deal = await prisma.deal.create({
    data: {
      collectiveId: collective.id,
      opportunityId: opportunity.id,
      title: 'Groupement',
      status: 'PREPARING',
      groupForm: 'JOINT',
      totalAmountCents: 1000,
      partners: {
        create: [
          { memberId: lead.id, isLead: true, amountCents: 600, shareBasisPoints: 6000 },
          { memberId: outsider.id, amountCents: 400, shareBasisPoints: 4000 },
        ],
      },
    },
    include: { partners: true },
  });
  const response = await prisma.tenderResponse.create({
    data: { collectiveId: collective.id, opportunityId: opportunity.id, dealId: deal.id, title: 'Réponse' },
  });
  let position = 0;
  const section = (data: Partial<Prisma.TenderSectionUncheckedCreateInput> = {}) => {
    position += 1;
    return prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'FREE', title: `Section ${position}`, position, ...data },
    });
  };
  const tokens = {
    lead: await t.tokenFor(lead.id),
    stayer: await t.tokenFor(stayer.id),
    leaver: await t.tokenFor(leaver.id),
    quitter: await t.tokenFor(quitter.id),
    outsider: await t.tokenFor(outsider.id),
  };
  return { lead, stayer, leaver, quitter, outsider, collective, deal, response, section, tokens };
}

/**
 * What came first while `held` was open, `answer` (as `{ answered }`) or a push waiting for a lock ('waiting');
 * `held` is committed either way.
 */
async function firstWhileHeld(held: { commit: () => Promise<void> }, answer: Promise<unknown>): Promise<unknown> {
  try {
    return await Promise.race([answer.then((a) => ({ answered: a })), aPushWaitsForALock()]);
  } finally {
    // Committed whatever happened: a change left open would hold its locks (and the event log's) for the next tests.
    await held.commit();
  }
}

/** A fresh scenario and a section of it (with `data`), in which `author` has pushed once, acknowledged. */
async function afterOnePush(
  author: 'leaver' | 'quitter' | 'outsider' | 'stayer',
  data?: (s: Awaited<ReturnType<typeof scenario>>) => Partial<Prisma.TenderSectionUncheckedCreateInput>,
) {
  const s = await scenario();
  const section = await s.section(data?.(s));
  expect((await push(s.tokens[author], section.id, 'Avant.')).__typename).toBe('MutationPushSectionUpdateSuccess');
  return { s, section };
}

/** A push made while `held` is open waits for it, and is refused as `expected` once it commits. */
async function pushWaitsThenIsRefused(
  held: { commit: () => Promise<void> },
  token: string,
  sectionId: string,
  expected: { __typename: string; rule?: string },
) {
  const answer = push(token, sectionId, 'Écrit pendant le changement.');
  // The push must wait for the change: answered before it commits, it was judged on what the change replaces.
  expect(await firstWhileHeld(held, answer)).toBe('waiting');
  expect(await answer).toMatchObject(expected);
  const stored = await t.db.prisma.sectionUpdate.count({ where: { sectionId } });
  expect(stored).toBe(1);
}

describe.skipIf(!process.env.DATABASE_URL)('A lead change is serialised with a section being restricted', () => {
  const SET_PARTNERS = /* GraphQL */ `
    mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename ... on RuleViolationError { rule field } } }
  `;

  /** What the first statement other than the held change's waits for: the response's row lock, or something else. */
  async function firstWait(): Promise<string> {
    for (;;) {
      const [row] = await t.db.prisma.$queryRaw<Array<{ query: string; wait_event: string }>>`
        SELECT query, wait_event FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (row) return /"TenderResponse".*FOR UPDATE/s.test(row.query) ? 'the response' : `${row.wait_event}: ${row.query}`;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('should refuse a colleague naming themself lead while the lead restricts a section, once it is restricted', async () => {
    const s = await scenario();
    const section = await s.section();
    const outsiderPartner = s.deal.partners.find((p) => p.memberId === s.outsider.id);
    const held = await holdOpen((tx) =>
      updateSection(tx, tendersActor(s.lead, [s.collective.id]), section.id, {
        restricted: true,
        ownerPartnerId: outsiderPartner?.id ?? null,
      }),
    );
    // A colleague who is no partner names themself lead: without the response's lock, the section's restriction, not
    // committed yet, was not counted, and they became lead of a response with a restricted section.
    const parties = [
      { memberId: gid('Member', s.lead.id), amountCents: 500, shareBasisPoints: 5000 },
      { memberId: gid('Member', s.outsider.id), amountCents: 400, shareBasisPoints: 4000 },
      { memberId: gid('Member', s.stayer.id), isLead: true, amountCents: 100, shareBasisPoints: 1000 },
    ].map((party) => ({ ...party, scopeOfWork: 'Lot' }));
    const answer = t.gql(
      SET_PARTNERS,
      { input: { dealId: gid('Deal', s.deal.id), groupForm: 'JOINT', totalAmountCents: 1000, partners: parties } },
      s.tokens.stayer,
    );
    let first: unknown;
    try {
      first = await Promise.race([answer.then((a) => ({ answered: a })), firstWait()]);
    } finally {
      await held.commit();
    }
    expect(first).toBe('the response');
    expect((await answer).data?.setDealPartners).toEqual({
      __typename: 'RuleViolationError',
      rule: 'LEAD_CHANGE_BY_LEAD',
      field: 'input.partners',
    });
    expect(await t.db.prisma.dealPartner.count({ where: { dealId: s.deal.id, memberId: s.stayer.id } })).toBe(0);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('Pushes are serialised with every change that can refuse them', () => {
  it('should refuse a push waiting on a member leaving the collective, once they left', async () => {
    const { s, section } = await afterOnePush('leaver');
    const held = await holdOpen((tx) => leave(tx, { member: s.leaver, isSupportStaff: false }, s.collective.id, new Date()));
    await pushWaitsThenIsRefused(held, s.tokens.leaver, section.id, { __typename: 'NotFoundError' });
  });

  it('should refuse a push waiting on its author leaving the cooperative, once they left', async () => {
    const { s, section } = await afterOnePush('quitter');
    const held = await holdOpen((tx) =>
      leaveCooperative(tx, { member: s.quitter, isSupportStaff: false }, s.quitter.id, new Date()),
    );
    // Leaving the cooperative also revokes the sessions: the push is refused however it is refused, never stored.
    const answer = t.gql(
      PUSH,
      { input: { sectionId: gid('TenderSection', section.id), update: typed('Pendant.') } },
      s.tokens.quitter,
    );
    expect(await firstWhileHeld(held, answer)).toBe('waiting');
    const result = await answer;
    expect(result.data?.pushSectionUpdate?.__typename).not.toBe('MutationPushSectionUpdateSuccess');
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(1);
  });

  it('should refuse a push waiting on its author being removed from the deal’s partners, once removed', async () => {
    const { s, section } = await afterOnePush('outsider');
    const access = await Access.forViewer(t.db.prisma, s.lead);
    const held = await holdOpen((tx) =>
      setDealPartners(
        tx,
        { access } as unknown as Context,
        {
          dealId: s.deal.id,
          groupForm: 'NONE',
          totalAmountCents: 1000,
          partners: [{ memberId: s.lead.id, isLead: true, amountCents: 1000, shareBasisPoints: 10_000 }],
        },
        new Date(),
      ),
    );
    await pushWaitsThenIsRefused(held, s.tokens.outsider, section.id, { __typename: 'NotFoundError' });
  });

  it('should refuse a push waiting on the section being marked done, once done', async () => {
    const { s, section } = await afterOnePush('stayer', (s) => ({ status: 'REVIEW', reviewerId: s.lead.id }));
    const held = await holdOpen((tx) => changeSectionStatus(tx, tendersActor(s.lead, [s.collective.id]), section.id, 'DONE'));
    await pushWaitsThenIsRefused(held, s.tokens.stayer, section.id, {
      __typename: 'RuleViolationError',
      rule: 'SECTION_DONE',
    });
  });

  it('should refuse a push waiting on the section being restricted to another owner, once restricted', async () => {
    const { s, section } = await afterOnePush('stayer');
    const leadPartner = s.deal.partners.find((p) => p.isLead);
    const held = await holdOpen((tx) =>
      updateSection(tx, tendersActor(s.lead, [s.collective.id]), section.id, {
        restricted: true,
        ownerPartnerId: leadPartner?.id ?? null,
      }),
    );
    await pushWaitsThenIsRefused(held, s.tokens.stayer, section.id, { __typename: 'NotFoundError' });
  });

  it('should acknowledge only what was stored while the member belonged, with pushes in flight as they leave', async () => {
    const s = await scenario();
    const section = await s.section();
    const acknowledged: string[] = [];
    const refused: string[] = [];
    let enough!: () => void;
    const started = new Promise<void>((resolve) => {
      enough = resolve;
    });
    // Two pushes in flight at any time, one after another, until the leave refuses them.
    const lane = async (lane: number) => {
      for (let n = 0; n < 2000; n += 1) {
        const marker = `l${lane}n${n}z`;
        const answer = await push(s.tokens.leaver, section.id, marker);
        if (answer.__typename !== 'MutationPushSectionUpdateSuccess') {
          expect(answer.__typename).toBe('NotFoundError');
          refused.push(marker);
          return;
        }
        acknowledged.push(marker);
        if (acknowledged.length === 10) enough();
      }
      throw new Error('Leaving the collective never refused a push');
    };
    const lanes = Promise.all([lane(0), lane(1)]);
    await started;
    const left = await t.gql(
      'mutation($input: CollectiveRefInput!) { leaveCollective(input: $input) { __typename ... on Error { message } } }',
      { input: { collectiveId: gid('Collective', s.collective.id) } },
      s.tokens.leaver,
    );
    expect(left.errors).toBeUndefined();
    expect(left.data?.leaveCollective.__typename).toBe('MutationLeaveCollectiveSuccess');
    await lanes;
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    const text = stored.getXmlFragment('body').toString();
    for (const marker of acknowledged) expect(text).toContain(marker);
    for (const marker of refused) expect(text).not.toContain(marker);
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(acknowledged.length);
  });
});
