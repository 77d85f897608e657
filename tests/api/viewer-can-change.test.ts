import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid, longTermWorld, makeTenderDeal } from '../support/scenario.js';
import { FAILURE } from './operations.js';

// The web app shows a resource's forms only when its `viewerCan…` / `viewerIs…` field says so. Each such field must
// answer true exactly when the server accepts the change it stands for: a true one with a refused change is a button
// that fails, a false one with an accepted change a feature hidden for nothing. Every viewer of every kind (animator,
// co-owner, plain member, outside partner, support staff, former member, outsider) reads each field and tries the
// change; the schema's types are walked, so a new such field without a case here fails.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type World = Awaited<ReturnType<typeof longTermWorld>>;
type Viewer = keyof World['tokens'];
const VIEWERS: Viewer[] = ['anna', 'bruno', 'chloe', 'david', 'olga', 'lou', 'sam'];

const change = (name: string, inputType: string) => /* GraphQL */ `
  mutation($input: ${inputType}!) {
    result: ${name}(input: $input) { __typename ...Failure }
  }
  ${FAILURE}
`;

interface Case {
  /** `Type.field`, as in the schema. */
  field: string;
  /** The resource (made straight in the database) and the change the field stands for: one that leaves it as it was. */
  scene(w: World): Promise<{ id: string; mutation: string; input: Record<string, unknown> }>;
  /** How the change is refused to a viewer who sees the resource (a brand's holders keep their older rule). */
  refusals?: string[];
}

const members = (...ids: string[]) => ids.map((id) => gid('Member', id));

async function brand(w: World) {
  return t.db.prisma.brand.create({
    data: {
      collectiveId: w.collective.id,
      name: `Marque ${w.collective.slug}`,
      holders: {
        create: [
          { memberId: w.anna.id, shareBasisPoints: 5_000 },
          { memberId: w.bruno.id, shareBasisPoints: 5_000 },
        ],
      },
    },
  });
}

async function product(w: World) {
  return t.db.prisma.product.create({
    data: {
      collectiveId: w.collective.id,
      name: 'Produit',
      owners: { create: [{ memberId: w.bruno.id }, { memberId: w.chloe.id }] },
    },
  });
}

/** A deal of the collective with Olga, from outside the collective, as an active partner. */
function deal(w: World) {
  return makeTenderDeal(t.db.prisma, w.collective.id, {
    partners: {
      create: [
        { memberId: w.anna.id, isLead: true, shareBasisPoints: 5_000 },
        { memberId: w.olga.id, shareBasisPoints: 5_000 },
      ],
    },
  });
}

const CASES: Case[] = [
  {
    field: 'Brand.viewerCanChange',
    async scene(w) {
      const made = await brand(w);
      const id = gid('Brand', made.id);
      return { id, mutation: change('updateBrand', 'UpdateBrandInput'), input: { id, name: made.name } };
    },
  },
  {
    field: 'Brand.viewerIsHolder',
    async scene(w) {
      const made = await brand(w);
      const id = gid('Brand', made.id);
      const holders = members(w.anna.id, w.bruno.id).map((memberId) => ({ memberId, shareBasisPoints: 5_000 }));
      return { id, mutation: change('setBrandHolders', 'SetBrandHoldersInput'), input: { brandId: id, holders } };
    },
    // NOT_A_BRAND_HOLDER to a member who is no holder, FORBIDDEN to the support staff.
    refusals: ['ForbiddenError', 'RuleViolationError'],
  },
  {
    field: 'Product.viewerCanChange',
    async scene(w) {
      const made = await product(w);
      const id = gid('Product', made.id);
      return { id, mutation: change('updateProduct', 'UpdateProductInput'), input: { id, name: made.name } };
    },
  },
  {
    field: 'Product.viewerCanChangeOwners',
    async scene(w) {
      const made = await product(w);
      const id = gid('Product', made.id);
      return {
        id,
        mutation: change('setProductOwners', 'SetProductOwnersInput'),
        input: { productId: id, ownerIds: members(w.bruno.id, w.chloe.id) },
      };
    },
  },
  {
    field: 'Deal.viewerCanChange',
    async scene(w) {
      const made = await deal(w);
      const id = gid('Deal', made.id);
      return { id, mutation: change('updateDeal', 'UpdateDealInput'), input: { id, title: made.title } };
    },
  },
  {
    field: 'TenderResponse.viewerCanChange',
    async scene(w) {
      const made = await deal(w);
      const response = await t.db.prisma.tenderResponse.create({
        data: { collectiveId: w.collective.id, dealId: made.id, title: 'Réponse' },
      });
      const id = gid('TenderResponse', response.id);
      return {
        id,
        mutation: change('updateTenderResponse', 'UpdateTenderResponseInput'),
        input: { responseId: id, title: response.title },
      };
    },
  },
  {
    field: 'TradeShowStand.viewerCanChange',
    async scene(w) {
      const stand = await t.db.prisma.tradeShowStand.create({
        data: { collectiveId: w.collective.id, eventName: 'Salon', organiser: 'Organisateur', venue: 'Lyon' },
      });
      const id = gid('TradeShowStand', stand.id);
      return { id, mutation: change('updateStand', 'UpdateStandInput'), input: { standId: id, venue: stand.venue } };
    },
  },
];

describe('viewerCanChange and its kin', () => {
  it('should have a case for every `viewerCan…` and `viewerIs…` field of the schema', async () => {
    const w = await longTermWorld(t);
    const response = await t.gql(`{ __schema { types { name kind fields { name } } } }`, {}, w.tokens.anna);
    const types: Json[] = response.data?.__schema.types ?? [];
    const fields = types
      .filter((type) => type.kind === 'OBJECT' && !type.name.startsWith('__'))
      .flatMap((type) =>
        (type.fields as Json[])
          .filter((field) => /^viewer(Can|Is)[A-Z]/.test(field.name))
          .map((field) => `${type.name}.${field.name}`),
      );
    expect(fields.sort()).toEqual(CASES.map((c) => c.field).sort());
  });

  it.each(CASES.map((c) => [c.field, c] as const))('%s should be true exactly when the change is accepted', async (_, c) => {
    const w = await longTermWorld(t);
    const { id, mutation, input } = await c.scene(w);
    const [typename, field] = c.field.split('.') as [string, string];
    const read = `query($id: ID!) { node(id: $id) { ... on ${typename} { ${field} } } }`;
    const answers: Record<string, { says: boolean | null; outcome: string }> = {};
    for (const viewer of VIEWERS) {
      const token = w.tokens[viewer];
      const shown = await t.gql(read, { id }, token);
      expect(shown.errors, JSON.stringify(shown.errors)).toBeUndefined();
      // A resource the viewer may not see reads as null: nothing is offered, and the change must be refused.
      const says = shown.data?.node ? (shown.data.node[field] as boolean) : null;
      const tried = await t.gql(mutation, { input }, token);
      expect(tried.errors, JSON.stringify(tried.errors)).toBeUndefined();
      const outcome = tried.data?.result.__typename as string;
      answers[viewer] = { says, outcome };
      const accepted = /^Mutation.*Success$/.test(outcome);
      expect(accepted, `${viewer}: ${c.field} is ${says}, the change answered ${JSON.stringify(tried.data)}`).toBe(says === true);
      // A refusal is typed: forbidden to whom it is shown, not found to whom it is hidden.
      if (!accepted) expect(says === null ? ['NotFoundError'] : (c.refusals ?? ['ForbiddenError'])).toContain(outcome);
    }
    // The walk means something: every case has viewers on both sides.
    const values = Object.values(answers).map((answer) => answer.says === true);
    expect(values).toContain(true);
    expect(values).toContain(false);
  });

  it('should let any active member decide a product’s co-owners once none of its co-owners is one any more', async () => {
    const w = await longTermWorld(t);
    const made = await product(w);
    const id = gid('Product', made.id);
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: w.collective.id, memberId: { in: [w.bruno.id, w.chloe.id] } },
      data: { status: 'LEFT', leftAt: new Date(), leaveReason: 'LEFT_COLLECTIVE' },
    });
    const read = `query($id: ID!) { node(id: $id) { ... on Product { viewerCanChangeOwners } } }`;
    const shown = await t.gql(read, { id }, w.tokens.david);
    expect(shown.data?.node).toEqual({ viewerCanChangeOwners: true });
    const tried = await t.gql(
      change('setProductOwners', 'SetProductOwnersInput'),
      { input: { productId: id, ownerIds: members(w.david.id) } },
      w.tokens.david,
    );
    expect(tried.data?.result.__typename).toBe('MutationSetProductOwnersSuccess');
    expect((await t.db.prisma.productOwner.findMany({ where: { productId: made.id } })).map((o) => o.memberId)).toEqual([
      w.david.id,
    ]);
  });
});
