import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { subscribe, wsClient } from '../support/live.js';
import { gid } from '../support/scenario.js';

// ATTACK.md (second run) 7: every amount is an Int, but their sums were too (GraphQL Int is 32 bits): two deals
// of 20 M€ made the dashboard (query and subscription) fail, two maximal sales a product's revenue. Sums are now
// `Cents`: a JSON number exact to 2^53 − 1.
const t = testAppForFile();

const INT_MAX = 2_147_483_647;

describe('Sums of amounts past GraphQL Int', () => {
  it('are exact on the dashboard (query and subscription), a deal’s partner total and a product’s revenue', async () => {
    const { members, collective, response } = await sectionScenario(t.db.prisma, { members: 2 });
    const animator = members[0] as { id: string };
    const other = members[1] as { id: string };
    const token = await t.tokenFor(animator.id);
    const { opportunityId } = await t.db.prisma.tenderResponse.findUniqueOrThrow({ where: { id: response.id } });
    const deals = [];
    for (const title of ['Premier', 'Second'])
      deals.push(
        await t.db.prisma.deal.create({
          data: { collectiveId: collective.id, opportunityId: opportunityId as string, title, totalAmountCents: 2_000_000_000 },
        }),
      );
    await t.db.prisma.dealPartner.createMany({
      data: [
        { dealId: (deals[0] as { id: string }).id, memberId: animator.id, isLead: true, amountCents: INT_MAX },
        { dealId: (deals[0] as { id: string }).id, memberId: other.id, amountCents: INT_MAX },
      ],
    });

    const dashboard = await t.gql('{ dashboard { deals { status count totalAmountCents } } }', {}, token);
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data?.dashboard.deals).toContainEqual({ status: 'WATCH', count: 2, totalAmountCents: 4_000_000_000 });

    const client = wsClient(t.url, token);
    try {
      const { inbox, stop } = subscribe(client, 'subscription { dashboard { deals { status totalAmountCents } } }', {});
      const [first] = await inbox.waitFor(1);
      stop();
      expect(inbox.errors).toEqual([]);
      expect((first as { dashboard: { deals: unknown[] } }).dashboard.deals).toContainEqual({
        status: 'WATCH',
        totalAmountCents: 4_000_000_000,
      });
    } finally {
      await client.dispose();
    }

    const deal = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on Deal { amountTotal } } }',
      { id: gid('Deal', (deals[0] as { id: string }).id) },
      token,
    );
    expect(deal.errors).toBeUndefined();
    expect(deal.data?.node.amountTotal).toBe(2 * INT_MAX);

    const product = await t.db.prisma.product.create({ data: { collectiveId: collective.id, name: 'Formation' } });
    for (const soldOn of ['2026-11-01', '2026-11-02'])
      await t.db.prisma.productSale.create({
        data: {
          productId: product.id,
          soldOn: new Date(soldOn),
          amountCents: INT_MAX,
          recordedById: animator.id,
          shares: { create: [{ memberId: animator.id, amountCents: INT_MAX }] },
        },
      });
    const revenue = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on Product { revenueCents revenueByOwner { amountCents saleCount } } } }',
      { id: gid('Product', product.id) },
      token,
    );
    expect(revenue.errors).toBeUndefined();
    expect(revenue.data?.node).toEqual({
      revenueCents: 2 * INT_MAX,
      revenueByOwner: [{ amountCents: 2 * INT_MAX, saleCount: 2 }],
    });
  });
});
