import { describe, expect, it } from 'vitest';
import { dashboardCounters } from '../../server/src/schema/dashboard.js';
import { type Json, testAppForFile } from '../support/app.js';
import { subscribe, wsClient } from '../support/live.js';
import { gid, makeCollective, makeMember, makeTenderDeal } from '../support/scenario.js';

// Issue 10 item 11: the live dashboard is recomputed only for changes the viewer may see, and once the viewer
// loses access to a collective (or a deal), the next push no longer counts it. Counted with the server's
// `dashboardCounters`: `triggers` grows once per event that wakes a dashboard, synchronously as the bus delivers
// it, so after `events.sync()` the count is final, with no waiting for a push that should not come.

const t = testAppForFile();

const DASHBOARD = /* GraphQL */ `subscription { dashboard { position deals { status count } } }`;
const LA_POSTE_SIRET = '35600000000048';

async function mutate(query: string, variables: Record<string, unknown>, token: string): Promise<void> {
  const result = await t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  const data = Object.values(result.data ?? {})[0] as Json;
  expect(data.__typename, JSON.stringify(data)).toMatch(/Success$/);
}

const preparing = (message: Json): number =>
  (message.dashboard.deals as Array<{ status: string; count: number }>).find((row) => row.status === 'PREPARING')?.count ?? 0;

const renameDeal = (dealId: string, title: string, token: string) =>
  mutate(
    'mutation($id: ID!, $title: String!) { updateDeal(input: { id: $id, title: $title }) { __typename ... on Error { message } } }',
    { id: gid('Deal', dealId), title },
    token,
  );

const renameCollective = (collectiveId: string, purpose: string, token: string) =>
  mutate(
    'mutation($id: ID!, $purpose: String!) { updateCollective(input: { id: $id, purpose: $purpose }) { __typename ... on Error { message } } }',
    { id: gid('Collective', collectiveId), purpose },
    token,
  );

/**
 * A business collective animated by `animator` (with `members`), answering a deal in preparation with a
 * company (`companyShare` basis points; the lead has 5 000).
 */
async function collectiveWithDeal(animatorId: string, memberIds: string[], companyShare = 5000) {
  const prisma = t.db.prisma;
  const collective = await makeCollective(prisma, {
    animatorId,
    memberIds,
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    openness: 'CLOSED',
  });
  const deal = await makeTenderDeal(prisma, collective.id, {}, 90);
  const lead = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: animatorId, isLead: true, shareBasisPoints: 5000 },
  });
  // A group needs two parties: a company from outside the cooperative.
  await prisma.dealPartner.create({
    data: { dealId: deal.id, companyName: 'La Poste', siret: LA_POSTE_SIRET, shareBasisPoints: companyShare },
  });
  return { collective, deal, lead };
}

describe('The live dashboard and what its viewer may see', () => {
  it('should recompute only for visible changes, and drop a collective or deal at the push after access is lost', async () => {
    const prisma = t.db.prisma;
    const [viewer, animatorE, animatorC, animatorX] = await Promise.all([1, 2, 3, 4].map(() => makeMember(prisma)));
    if (!viewer || !animatorE || !animatorC || !animatorX) throw new Error('members');
    // E: the viewer is a member. C: the viewer is a partner of its deal from outside. X: nothing of the viewer's.
    const e = await collectiveWithDeal(animatorE.id, [viewer.id]);
    const c = await collectiveWithDeal(animatorC.id, [], 2500);
    await prisma.dealPartner.create({ data: { dealId: c.deal.id, memberId: viewer.id, shareBasisPoints: 2500 } });
    const x = await collectiveWithDeal(animatorX.id, []);
    // A section of C's deal restricted to its lead: its events are not the viewer's.
    const response = await prisma.tenderResponse.create({
      data: { collectiveId: c.collective.id, dealId: c.deal.id, opportunityId: c.deal.opportunityId, title: 'Réponse' },
    });
    const restricted = await prisma.tenderSection.create({
      data: {
        responseId: response.id,
        kind: 'PRICE_SCHEDULE',
        title: 'Prix',
        position: 1,
        restricted: true,
        ownerPartnerId: c.lead.id,
      },
    });
    const tokens = {
      viewer: await t.tokenFor(viewer.id),
      e: await t.tokenFor(animatorE.id),
      c: await t.tokenFor(animatorC.id),
      x: await t.tokenFor(animatorX.id),
    };

    const client = wsClient(t.url, tokens.viewer);
    try {
      const { inbox } = subscribe(client, DASHBOARD);
      const [first] = await inbox.waitFor(1);
      expect(preparing(first)).toBe(2); // E's deal and C's deal

      // Changes the viewer may not see: X's collective and deal, C's restricted section.
      const before = { ...dashboardCounters };
      await renameCollective(x.collective.id, 'Invisible 1', tokens.x);
      await renameDeal(x.deal.id, 'Invisible 2', tokens.x);
      await mutate(
        'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }',
        { input: { sectionId: gid('TenderSection', restricted.id), title: 'Prix confidentiels' } },
        tokens.c,
      );
      await t.app.events.sync();
      expect(dashboardCounters).toEqual(before);

      // A change the viewer sees (their deal in C renamed): one event, one recomputation, one push.
      await renameDeal(c.deal.id, 'Groupement renommé', tokens.c);
      await t.app.events.sync();
      expect(dashboardCounters.triggers).toBe(before.triggers + 1);
      const [, second] = await inbox.waitFor(2);
      expect(preparing(second)).toBe(2);
      expect(dashboardCounters.recomputations).toBe(before.recomputations + 1);

      // The viewer leaves E: the very next push no longer counts E's deal.
      await mutate(
        'mutation($id: ID!) { leaveCollective(input: { collectiveId: $id }) { __typename ... on Error { message } } }',
        { id: gid('Collective', e.collective.id) },
        tokens.viewer,
      );
      const [, , third] = await inbox.waitFor(3);
      expect(preparing(third)).toBe(1);

      // The viewer is removed from C's deal: its event is no longer theirs, yet it takes a deal away from their
      // figures, so it pushes, and that push no longer counts it.
      await mutate(
        `mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename ... on Error { message } } }`,
        {
          input: {
            dealId: gid('Deal', c.deal.id),
            partners: [
              { memberId: gid('Member', animatorC.id), isLead: true, shareBasisPoints: 5000 },
              { companyName: 'La Poste', siret: LA_POSTE_SIRET, shareBasisPoints: 5000 },
            ],
          },
        },
        tokens.c,
      );
      const [, , , fourth] = await inbox.waitFor(4);
      expect(preparing(fourth)).toBe(0);

      // From then on, E's and C's changes wake the viewer's dashboard no more.
      const after = { ...dashboardCounters };
      await renameDeal(e.deal.id, 'Plus le vôtre', tokens.e);
      await renameDeal(c.deal.id, 'Plus le vôtre non plus', tokens.c);
      await renameCollective(e.collective.id, 'Ailleurs', tokens.e);
      await t.app.events.sync();
      expect(dashboardCounters).toEqual(after);
      expect(inbox.received).toHaveLength(4);
    } finally {
      await client.dispose();
    }
  });
});
