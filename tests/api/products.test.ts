import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, longTermWorld, makeCollective } from '../support/scenario.js';
import { expectForbidden, expectRefusal, expectRule, FAILURE, mutate, success } from './operations.js';

let t: TestApp;
/** Every SQL statement run, to count them (CONVENTIONS 12: an N+1 shows up as a failing test). */
const statements: string[] = [];
beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
});
afterAll(() => t.close());

// ───────────────────────────── Scenario ─────────────────────────────

const DAY_MS = 86_400_000;
/** A calendar day `days` from today, as the Date scalar writes it. */
const dayFromNow = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
/** The day after (or `n` days after) an ISO day. */
const plusDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const date = (day: string) => new Date(`${day}T00:00:00Z`);

const world = () => longTermWorld(t);

type World = Awaited<ReturnType<typeof world>>;
type Share = { memberId: string; shareBasisPoints: number };

/** A product straight in the database, owned by Anna, Bruno and Chloé unless told otherwise. */
async function makeProduct(w: World, ownerIds = [w.anna.id, w.bruno.id, w.chloe.id], collectiveId = w.collective.id) {
  return t.db.prisma.product.create({
    data: {
      collectiveId,
      name: `Produit ${randomUUID().slice(0, 6)}`,
      owners: { create: ownerIds.map((memberId) => ({ memberId })) },
    },
  });
}

/** A revenue-split rule straight in the database. */
async function makeRule(productId: string, validFrom: string, validUntil: string | null, shares: Share[]) {
  return t.db.prisma.revenueSplitRule.create({
    data: { productId, validFrom: date(validFrom), validUntil: validUntil ? date(validUntil) : null, shares: { create: shares } },
  });
}

const thirds = (w: World): Share[] => [
  { memberId: w.anna.id, shareBasisPoints: 3334 },
  { memberId: w.bruno.id, shareBasisPoints: 3333 },
  { memberId: w.chloe.id, shareBasisPoints: 3333 },
];

/** Every row a product rule may touch, to prove a refused change changed nothing. */
async function productTables() {
  const prisma = t.db.prisma;
  const [products, owners, rules, shares, sales, saleShares, events] = await Promise.all([
    prisma.product.findMany({ orderBy: { id: 'asc' } }),
    prisma.productOwner.findMany({ orderBy: { id: 'asc' } }),
    prisma.revenueSplitRule.findMany({ orderBy: { id: 'asc' } }),
    prisma.revenueSplitShare.findMany({ orderBy: { id: 'asc' } }),
    prisma.productSale.findMany({ orderBy: { id: 'asc' } }),
    prisma.productSaleShare.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { products, owners, rules, shares, sales, saleShares, events };
}

/** Runs a change expected to be refused and checks the database is exactly as before. */
async function refused(change: () => Promise<Json>): Promise<Json> {
  const before = await productTables();
  const result = await change();
  expect(await productTables()).toEqual(before);
  return result;
}

async function lastEvent() {
  return t.db.prisma.eventLog.findFirstOrThrow({ orderBy: { position: 'desc' } });
}

// ───────────────────────────── Documents ─────────────────────────────

const PRODUCT = /* GraphQL */ `
  fragment ProductFields on Product {
    id name description
    collective { id }
    brand { id }
    owners { id }
    splitRules { id validFrom validUntil shares { shareBasisPoints member { id } } }
  }
`;

const RULE = /* GraphQL */ `
  fragment RuleFields on RevenueSplitRule { id validFrom validUntil product { id } shares { shareBasisPoints member { id } } }
`;

const SALE = /* GraphQL */ `
  fragment SaleFields on ProductSale {
    id soldOn amountCents client createdAt
    recordedBy { id }
    product { id }
    shares { amountCents member { id } }
  }
`;

const mutation = (name: string, inputType: string, fragment: string, fragmentName: string) => /* GraphQL */ `
  mutation($input: ${inputType}!) {
    result: ${name}(input: $input) {
      __typename
      ... on Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success { data { ...${fragmentName} } }
      ...Failure
    }
  }
  ${fragment}
  ${FAILURE}
`;

const CREATE = mutation('createProduct', 'CreateProductInput', PRODUCT, 'ProductFields');
const UPDATE = mutation('updateProduct', 'UpdateProductInput', PRODUCT, 'ProductFields');
const SET_OWNERS = mutation('setProductOwners', 'SetProductOwnersInput', PRODUCT, 'ProductFields');
const ADD_RULE = mutation('addRevenueSplitRule', 'AddRevenueSplitRuleInput', RULE, 'RuleFields');
const RECORD_SALE = mutation('recordSale', 'RecordSaleInput', SALE, 'SaleFields');

const run = (document: string, input: Record<string, unknown>, token: string) => mutate(t, document, { input }, token);
const memberIds = (...members: Array<{ id: string }>) => members.map((member) => gid('Member', member.id));
const sharesInput = (shares: Share[]) =>
  shares.map((share) => ({ memberId: gid('Member', share.memberId), shareBasisPoints: share.shareBasisPoints }));

function addRule(productId: string, validFrom: string, validUntil: string | null, shares: Share[], token: string) {
  return run(ADD_RULE, { productId: gid('Product', productId), validFrom, validUntil, shares: sharesInput(shares) }, token);
}

function recordSale(productId: string, soldOn: string, amountCents: number, token: string, client = 'Mutuelle Confluence') {
  return run(RECORD_SALE, { productId: gid('Product', productId), soldOn, amountCents, client }, token);
}

/** A sale's parts by member global ID. */
const partsOf = (sale: Json): Record<string, number> =>
  Object.fromEntries(sale.shares.map((share: Json) => [share.member.id, share.amountCents]));

// ───────────────────────────── Tests ─────────────────────────────

describe('Create', () => {
  it('should create a product with its co-owners and its brand, recording an event', async () => {
    const w = await world();
    const brand = await t.db.prisma.brand.create({ data: { collectiveId: w.collective.id, name: 'Lettres Vives' } });
    const data = success(
      await run(
        CREATE,
        {
          collectiveId: gid('Collective', w.collective.id),
          name: 'Parcours « Manager en coopération »',
          description: 'Six demi-journées.',
          brandId: gid('Brand', brand.id),
          ownerIds: memberIds(w.anna, w.bruno),
        },
        w.tokens.chloe,
      ),
    );
    expect(data).toMatchObject({
      name: 'Parcours « Manager en coopération »',
      description: 'Six demi-journées.',
      collective: { id: gid('Collective', w.collective.id) },
      brand: { id: gid('Brand', brand.id) },
      splitRules: [],
    });
    expect(data.owners.map((owner: Json) => owner.id).sort()).toEqual(memberIds(w.anna, w.bruno).sort());
    expect(await lastEvent()).toMatchObject({
      type: 'product.created',
      subjectId: data.id,
      actorId: w.chloe.id,
      collectiveId: w.collective.id,
    });
  });

  it.each([
    ['no co-owner', (_w: World) => ({ ownerIds: [] }), 'PRODUCT_OWNERS_REQUIRED', 'input.ownerIds'],
    [
      'a co-owner twice',
      (w: World) => ({ ownerIds: memberIds(w.anna, w.bruno, w.anna) }),
      'PRODUCT_OWNER_DUPLICATE',
      'input.ownerIds.2',
    ],
    ['an outsider as co-owner', (w: World) => ({ ownerIds: memberIds(w.anna, w.olga) }), 'NOT_A_MEMBER', 'input.ownerIds.1'],
    ['a former member as co-owner', (w: World) => ({ ownerIds: memberIds(w.lou) }), 'NOT_A_MEMBER', 'input.ownerIds.0'],
  ])('should refuse %s, changing nothing', async (_case, input, rule, field) => {
    const w = await world();
    const result = await refused(() =>
      run(CREATE, { collectiveId: gid('Collective', w.collective.id), name: 'Produit', ...input(w) }, w.tokens.anna),
    );
    expectRule(result, rule, field);
  });

  it.each([
    ['a sector collective', { kind: 'SECTOR', sector: 'WRITING', horizon: null }],
    ['a commons collective', { kind: 'COMMONS', horizon: null }],
    [
      'a one-off business collective',
      { kind: 'BUSINESS', horizon: 'ONE_OFF', objective: 'Un salon.', targetDate: new Date('2030-01-01') },
    ],
  ] as const)('should refuse a product in %s', async (_case, shape) => {
    const w = await world();
    const other = await makeCollective(t.db.prisma, { animatorId: w.anna.id, ...shape });
    const result = await refused(() =>
      run(CREATE, { collectiveId: gid('Collective', other.id), name: 'Produit', ownerIds: memberIds(w.anna) }, w.tokens.anna),
    );
    expectRule(result, 'LONG_TERM_BUSINESS_ONLY', 'input.collectiveId');
  });

  it('should refuse the brand of another collective, and answer not-found for a brand the viewer cannot see', async () => {
    const w = await world();
    const mine = await makeCollective(t.db.prisma, { animatorId: w.anna.id, kind: 'BUSINESS', horizon: 'LONG_TERM' });
    const elsewhere = await makeCollective(t.db.prisma, { animatorId: w.olga.id, kind: 'BUSINESS', horizon: 'LONG_TERM' });
    const otherBrand = await t.db.prisma.brand.create({ data: { collectiveId: mine.id, name: 'Autre marque' } });
    const hiddenBrand = await t.db.prisma.brand.create({ data: { collectiveId: elsewhere.id, name: 'Marque cachée' } });
    const input = { collectiveId: gid('Collective', w.collective.id), name: 'Produit', ownerIds: memberIds(w.anna) };
    expectRule(
      await refused(() => run(CREATE, { ...input, brandId: gid('Brand', otherBrand.id) }, w.tokens.anna)),
      'BRAND_OF_ANOTHER_COLLECTIVE',
      'input.brandId',
    );
    expect(await refused(() => run(CREATE, { ...input, brandId: gid('Brand', hiddenBrand.id) }, w.tokens.anna))).toMatchObject({
      __typename: 'NotFoundError',
      field: 'input.brandId',
    });
  });
});

describe('Update', () => {
  it('should change the name, the description and the brand, keeping omitted fields', async () => {
    const w = await world();
    const product = await makeProduct(w);
    const brand = await t.db.prisma.brand.create({ data: { collectiveId: w.collective.id, name: 'Lettres Vives' } });
    const id = gid('Product', product.id);
    expect(
      success(await run(UPDATE, { id, name: 'Nouveau nom', brandId: gid('Brand', brand.id) }, w.tokens.david)),
    ).toMatchObject({
      name: 'Nouveau nom',
      description: '',
      brand: { id: gid('Brand', brand.id) },
    });
    expect(await lastEvent()).toMatchObject({ type: 'product.updated', subjectId: id, actorId: w.david.id });
    expect(success(await run(UPDATE, { id, description: 'Pour les PME.' }, w.tokens.david))).toMatchObject({
      name: 'Nouveau nom',
      description: 'Pour les PME.',
      brand: { id: gid('Brand', brand.id) },
    });
    expect(success(await run(UPDATE, { id, brandId: null }, w.tokens.david))).toMatchObject({ name: 'Nouveau nom', brand: null });
  });
});

describe('Owners', () => {
  it('should replace the co-owners, recording an event', async () => {
    const w = await world();
    const product = await makeProduct(w);
    const data = success(
      await run(SET_OWNERS, { productId: gid('Product', product.id), ownerIds: memberIds(w.bruno, w.david) }, w.tokens.anna),
    );
    expect(data.owners.map((owner: Json) => owner.id).sort()).toEqual(memberIds(w.bruno, w.david).sort());
    expect(await lastEvent()).toMatchObject({ type: 'product.ownersSet', subjectId: data.id });
  });

  it.each([
    ['no co-owner', (_w: World) => [], 'PRODUCT_OWNERS_REQUIRED', 'input.ownerIds'],
    ['a co-owner twice', (w: World) => memberIds(w.bruno, w.bruno), 'PRODUCT_OWNER_DUPLICATE', 'input.ownerIds.1'],
    ['an outsider', (w: World) => memberIds(w.bruno, w.olga), 'NOT_A_MEMBER', 'input.ownerIds.1'],
  ])('should refuse %s, changing nothing', async (_case, ownerIds, rule, field) => {
    const w = await world();
    const product = await makeProduct(w);
    expectRule(
      await refused(() => run(SET_OWNERS, { productId: gid('Product', product.id), ownerIds: ownerIds(w) }, w.tokens.anna)),
      rule,
      field,
    );
  });

  it('should refuse to remove a co-owner who has a share in the split in effect, changing nothing', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    const result = await refused(() =>
      run(SET_OWNERS, { productId: gid('Product', product.id), ownerIds: memberIds(w.anna, w.bruno, w.david) }, w.tokens.anna),
    );
    expectRule(result, 'OWNER_HAS_REVENUE_SHARE', 'input.ownerIds');
  });

  it('should refuse to remove a co-owner who has a share in a future split', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', dayFromNow(10), [{ memberId: w.anna.id, shareBasisPoints: 10_000 }]);
    await makeRule(product.id, dayFromNow(11), null, thirds(w));
    const result = await refused(() =>
      run(SET_OWNERS, { productId: gid('Product', product.id), ownerIds: memberIds(w.anna, w.bruno) }, w.tokens.anna),
    );
    expectRule(result, 'OWNER_HAS_REVENUE_SHARE', 'input.ownerIds');
  });

  it('should remove a co-owner whose shares are all in past splits, keeping those splits as history', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', '2024-12-31', thirds(w));
    await makeRule(product.id, '2025-01-01', null, [
      { memberId: w.anna.id, shareBasisPoints: 5000 },
      { memberId: w.bruno.id, shareBasisPoints: 5000 },
    ]);
    const data = success(
      await run(SET_OWNERS, { productId: gid('Product', product.id), ownerIds: memberIds(w.anna, w.bruno) }, w.tokens.anna),
    );
    expect(data.owners.map((owner: Json) => owner.id).sort()).toEqual(memberIds(w.anna, w.bruno).sort());
    expect(data.splitRules[0].shares).toHaveLength(3);
  });
});

describe('Revenue split', () => {
  it('should add an open-ended split whose shares sum to 100 %, recording an event', async () => {
    const w = await world();
    const product = await makeProduct(w);
    const rule = success(await addRule(product.id, '2024-01-01', null, thirds(w), w.tokens.anna));
    expect(rule).toMatchObject({ validFrom: '2024-01-01', validUntil: null, product: { id: gid('Product', product.id) } });
    expect(rule.shares[0]).toEqual({ shareBasisPoints: 3334, member: { id: gid('Member', w.anna.id) } });
    expect(
      rule.shares
        .slice(1)
        .map((share: Json) => [share.member.id, share.shareBasisPoints])
        .sort(),
    ).toEqual([w.bruno, w.chloe].map((member) => [gid('Member', member.id), 3333]).sort());
    expect(await lastEvent()).toMatchObject({
      type: 'product.revenueSplitRuleAdded',
      subjectId: rule.id,
      payload: { closed: null },
    });
  });

  it.each([
    ['no share', (_w: World): Share[] => [], 'SPLIT_SHARES_REQUIRED', 'input.shares'],
    [
      'shares summing to 99.99 %',
      (w: World): Share[] => [
        { memberId: w.anna.id, shareBasisPoints: 5000 },
        { memberId: w.bruno.id, shareBasisPoints: 4999 },
      ],
      'SPLIT_SHARES_NOT_100',
      'input.shares',
    ],
    [
      'shares summing to 100.01 %',
      (w: World): Share[] => [
        { memberId: w.anna.id, shareBasisPoints: 5001 },
        { memberId: w.bruno.id, shareBasisPoints: 5000 },
      ],
      'SPLIT_SHARES_NOT_100',
      'input.shares',
    ],
    [
      'a member twice',
      (w: World): Share[] => [
        { memberId: w.anna.id, shareBasisPoints: 5000 },
        { memberId: w.anna.id, shareBasisPoints: 5000 },
      ],
      'SPLIT_SHARE_DUPLICATE',
      'input.shares.1.memberId',
    ],
    [
      'a share for a member who is not a co-owner',
      (w: World): Share[] => [
        { memberId: w.anna.id, shareBasisPoints: 5000 },
        { memberId: w.david.id, shareBasisPoints: 5000 },
      ],
      'SPLIT_SHARE_NOT_AN_OWNER',
      'input.shares.1.memberId',
    ],
    [
      'a zero share',
      (w: World): Share[] => [
        { memberId: w.anna.id, shareBasisPoints: 10_000 },
        { memberId: w.bruno.id, shareBasisPoints: 0 },
      ],
      'TOO_SMALL',
      'input.shares.1.shareBasisPoints',
    ],
  ])('should refuse %s, changing nothing', async (_case, shares, rule, field) => {
    const w = await world();
    const product = await makeProduct(w);
    expectRefusal(await refused(() => addRule(product.id, '2024-01-01', null, shares(w), w.tokens.anna)), rule, field);
  });

  it('should refuse a period that ends before it starts, changing nothing', async () => {
    const w = await world();
    const product = await makeProduct(w);
    expectRule(
      await refused(() => addRule(product.id, '2024-03-01', '2024-02-29', thirds(w), w.tokens.anna)),
      'SPLIT_PERIOD_INVALID',
      'input.validUntil',
    );
  });

  it('should accept a period of a single day', async () => {
    const w = await world();
    const product = await makeProduct(w);
    expect(success(await addRule(product.id, '2024-03-01', '2024-03-01', thirds(w), w.tokens.anna))).toMatchObject({
      validFrom: '2024-03-01',
      validUntil: '2024-03-01',
    });
  });

  it('should close the open-ended split the day before a later one starts', async () => {
    const w = await world();
    const product = await makeProduct(w);
    const first = success(await addRule(product.id, '2024-01-01', null, thirds(w), w.tokens.anna));
    const second = success(
      await addRule(
        product.id,
        '2024-07-01',
        null,
        [
          { memberId: w.anna.id, shareBasisPoints: 5000 },
          { memberId: w.bruno.id, shareBasisPoints: 5000 },
        ],
        w.tokens.bruno,
      ),
    );
    const query = `query($id: ID!) { node(id: $id) { ...ProductFields } } ${PRODUCT}`;
    const node = (await t.gql(query, { id: gid('Product', product.id) }, w.tokens.anna)).data?.node;
    expect(node.splitRules.map((rule: Json) => [rule.id, rule.validFrom, rule.validUntil])).toEqual([
      [first.id, '2024-01-01', '2024-06-30'],
      [second.id, '2024-07-01', null],
    ]);
    expect(await lastEvent()).toMatchObject({
      type: 'product.revenueSplitRuleAdded',
      subjectId: second.id,
      payload: { closed: { ruleId: expect.any(String), validUntil: '2024-06-30' } },
    });
  });

  it.each([
    ['starting the same day as the open-ended split', '2024-01-01', null],
    ['starting before the open-ended split and running into it', '2023-06-01', '2024-01-01'],
    ['open-ended, starting before the open-ended split', '2023-06-01', null],
    ['inside a closed split', '2023-03-01', '2023-03-31'],
    ['overlapping the end of a closed split', '2023-12-31', '2024-01-01'],
  ])('should refuse a split %s, changing nothing', async (_case, validFrom, validUntil) => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2023-01-01', '2023-12-31', thirds(w));
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    expectRule(
      await refused(() => addRule(product.id, validFrom, validUntil, thirds(w), w.tokens.anna)),
      'SPLIT_PERIOD_OVERLAP',
      'input.validFrom',
    );
  });

  it('should fill a gap between splits', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2023-01-01', '2023-03-31', thirds(w));
    await makeRule(product.id, '2023-07-01', null, thirds(w));
    expect(success(await addRule(product.id, '2023-04-01', '2023-06-30', thirds(w), w.tokens.anna))).toMatchObject({
      validFrom: '2023-04-01',
      validUntil: '2023-06-30',
    });
    expect(success(await addRule(product.id, '2022-01-01', '2022-12-31', thirds(w), w.tokens.anna))).toMatchObject({
      validFrom: '2022-01-01',
    });
  });

  it('should refuse to close the open-ended split under sales it already split, changing nothing', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    success(await recordSale(product.id, '2024-05-10', 10_000, w.tokens.anna));
    const half: Share[] = [
      { memberId: w.anna.id, shareBasisPoints: 5000 },
      { memberId: w.bruno.id, shareBasisPoints: 5000 },
    ];
    expectRule(
      await refused(() => addRule(product.id, '2024-05-10', null, half, w.tokens.anna)),
      'SPLIT_PERIOD_HAS_SALES',
      'input.validFrom',
    );
    expect(success(await addRule(product.id, '2024-05-11', null, half, w.tokens.anna))).toMatchObject({
      validFrom: '2024-05-11',
    });
  });

  it('should keep 100 % on every day a split covers, and no split on the others', async () => {
    const w = await world();
    const product = await makeProduct(w);
    const half: Share[] = [
      { memberId: w.anna.id, shareBasisPoints: 5000 },
      { memberId: w.bruno.id, shareBasisPoints: 5000 },
    ];
    success(await addRule(product.id, '2024-01-10', null, thirds(w), w.tokens.anna));
    success(await addRule(product.id, '2024-01-20', null, half, w.tokens.bruno));
    success(await addRule(product.id, '2024-01-01', '2024-01-05', half, w.tokens.chloe));
    success(await addRule(product.id, '2024-01-25', '2024-01-27', thirds(w), w.tokens.anna));
    // Refused attempts in between must not disturb anything.
    await refused(() => addRule(product.id, '2024-01-04', '2024-01-12', half, w.tokens.anna));

    const query = `query($id: ID!, $on: Date) { node(id: $id) { ... on Product { splitRules(on: $on) { validFrom validUntil shares { shareBasisPoints } } } } }`;
    const rules = (await t.gql(query, { id: gid('Product', product.id) }, w.tokens.anna)).data?.node.splitRules as Json[];
    expect(rules.map((rule) => [rule.validFrom, rule.validUntil])).toEqual([
      ['2024-01-01', '2024-01-05'],
      ['2024-01-10', '2024-01-19'],
      ['2024-01-20', '2024-01-24'],
      ['2024-01-25', '2024-01-27'],
    ]);
    const uncovered = new Set([
      '2024-01-06',
      '2024-01-07',
      '2024-01-08',
      '2024-01-09',
      '2024-01-28',
      '2024-01-29',
      '2024-01-30',
      '2024-01-31',
    ]);
    for (let day = '2023-12-30'; day <= '2024-01-31'; day = plusDays(day, 1)) {
      const covering = rules.filter((rule) => rule.validFrom <= day && (rule.validUntil === null || day <= rule.validUntil));
      const on = (await t.gql(query, { id: gid('Product', product.id), on: day }, w.tokens.anna)).data?.node.splitRules as Json[];
      expect(on, day).toEqual(covering);
      if (day < '2024-01-01' || uncovered.has(day)) expect(covering, day).toHaveLength(0);
      else {
        expect(covering, day).toHaveLength(1);
        expect(
          covering[0].shares.reduce((sum: number, share: Json) => sum + share.shareBasisPoints, 0),
          day,
        ).toBe(10_000);
      }
    }
  });
});

describe('Sales', () => {
  it('should split 100,00 € three ways 3334/3333/3333 exactly, recording an event', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    const sale = success(await recordSale(product.id, '2024-03-15', 10_000, w.tokens.david, 'SCOP Les Ateliers du Gier'));
    expect(sale).toMatchObject({
      soldOn: '2024-03-15',
      amountCents: 10_000,
      client: 'SCOP Les Ateliers du Gier',
      recordedBy: { id: gid('Member', w.david.id) },
      product: { id: gid('Product', product.id) },
    });
    expect(partsOf(sale)).toEqual({
      [gid('Member', w.anna.id)]: 3334,
      [gid('Member', w.bruno.id)]: 3333,
      [gid('Member', w.chloe.id)]: 3333,
    });
    expect(await lastEvent()).toMatchObject({
      type: 'product.saleRecorded',
      subjectId: sale.id,
      actorId: w.david.id,
      payload: { amountCents: 10_000, soldOn: '2024-03-15' },
    });
  });

  it('should give the odd cents by largest remainder, the parts always summing to the amount', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    const third = await makeProduct(w);
    await makeRule(third.id, '2024-01-01', null, [
      { memberId: w.anna.id, shareBasisPoints: 3333 },
      { memberId: w.bruno.id, shareBasisPoints: 3333 },
      { memberId: w.chloe.id, shareBasisPoints: 3334 },
    ]);
    // 100,01 €: 3334.3334 / 3333.3333 / 3333.3333 → the extra cent goes to the 3334 share.
    expect(partsOf(success(await recordSale(product.id, '2024-02-01', 10_001, w.tokens.anna)))).toEqual({
      [gid('Member', w.anna.id)]: 3335,
      [gid('Member', w.bruno.id)]: 3333,
      [gid('Member', w.chloe.id)]: 3333,
    });
    // 0,02 €: 0.6668 / 0.6666 / 0.6666 → the largest remainder first, then the earlier of the ties.
    const twoCents = partsOf(success(await recordSale(product.id, '2024-02-01', 2, w.tokens.anna)));
    expect(twoCents[gid('Member', w.anna.id)]).toBe(1);
    expect(Object.values(twoCents).sort()).toEqual([0, 1, 1]);
    for (const amount of [1, 7, 99, 12_345, 425_050, 999_999, 2_000_000_000]) {
      for (const id of [product.id, third.id]) {
        const parts = Object.values(partsOf(success(await recordSale(id, '2024-02-02', amount, w.tokens.anna)))) as number[];
        expect(
          parts.reduce((a, b) => a + b, 0),
          `${amount}`,
        ).toBe(amount);
      }
    }
    const rows = await t.db.prisma.productSale.findMany({
      where: { productId: { in: [product.id, third.id] } },
      include: { shares: true },
    });
    for (const row of rows) expect(row.shares.reduce((sum, share) => sum + share.amountCents, 0)).toBe(row.amountCents);
  });

  it('should split a sale by the rule of its own day', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', '2024-06-30', [
      { memberId: w.anna.id, shareBasisPoints: 4000 },
      { memberId: w.bruno.id, shareBasisPoints: 4000 },
      { memberId: w.chloe.id, shareBasisPoints: 2000 },
    ]);
    await makeRule(product.id, '2024-07-01', null, [
      { memberId: w.anna.id, shareBasisPoints: 3500 },
      { memberId: w.bruno.id, shareBasisPoints: 3500 },
      { memberId: w.chloe.id, shareBasisPoints: 3000 },
    ]);
    const june = partsOf(success(await recordSale(product.id, '2024-06-30', 640_000, w.tokens.anna)));
    const july = partsOf(success(await recordSale(product.id, '2024-07-01', 640_000, w.tokens.anna)));
    expect(june[gid('Member', w.chloe.id)]).toBe(128_000);
    expect(july[gid('Member', w.chloe.id)]).toBe(192_000);
  });

  it.each([
    ['before the first split', '2023-12-31'],
    ['in a gap between splits', '2024-04-15'],
  ])('should refuse a sale %s, changing nothing', async (_case, soldOn) => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', '2024-03-31', thirds(w));
    await makeRule(product.id, '2024-05-01', null, thirds(w));
    expectRule(
      await refused(() => recordSale(product.id, soldOn, 10_000, w.tokens.anna)),
      'NO_REVENUE_SPLIT_ON_DATE',
      'input.soldOn',
    );
  });

  it('should refuse a sale of a product with no split at all, changing nothing', async () => {
    const w = await world();
    const product = await makeProduct(w);
    expectRule(
      await refused(() => recordSale(product.id, '2024-01-01', 10_000, w.tokens.anna)),
      'NO_REVENUE_SPLIT_ON_DATE',
      'input.soldOn',
    );
  });

  it('should refuse a sale dated in the future, changing nothing', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    expectRule(
      await refused(() => recordSale(product.id, dayFromNow(3), 10_000, w.tokens.anna)),
      'SALE_DATE_IN_FUTURE',
      'input.soldOn',
    );
  });

  it.each([0, -500])('should refuse a sale of %i cents, changing nothing', async (amountCents) => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', null, thirds(w));
    expectRefusal(
      await refused(() => recordSale(product.id, '2024-02-01', amountCents, w.tokens.anna)),
      'TOO_SMALL',
      'input.amountCents',
    );
  });

  it('should sum each member’s shares of the sales between two days', async () => {
    const w = await world();
    const product = await makeProduct(w);
    await makeRule(product.id, '2024-01-01', '2024-06-30', [
      { memberId: w.anna.id, shareBasisPoints: 5000 },
      { memberId: w.bruno.id, shareBasisPoints: 5000 },
    ]);
    await makeRule(product.id, '2024-07-01', null, thirds(w));
    success(await recordSale(product.id, '2024-03-01', 10_000, w.tokens.anna));
    success(await recordSale(product.id, '2024-06-30', 1_001, w.tokens.anna));
    success(await recordSale(product.id, '2024-07-01', 10_000, w.tokens.anna));
    success(await recordSale(product.id, '2024-09-01', 30_000, w.tokens.anna));

    const query = /* GraphQL */ `
      query($id: ID!, $from: Date, $to: Date) {
        node(id: $id) { ... on Product {
          revenueCents(from: $from, to: $to)
          revenueByOwner(from: $from, to: $to) { amountCents saleCount member { id } }
          sales(from: $from, to: $to, first: 10) { totalCount edges { node { soldOn } } }
        } }
      }
    `;
    const read = async (from?: string, to?: string) =>
      (await t.gql(query, { id: gid('Product', product.id), from, to }, w.tokens.chloe)).data?.node;

    const all = await read();
    expect(all.revenueCents).toBe(51_001);
    const byMember = Object.fromEntries(all.revenueByOwner.map((row: Json) => [row.member.id, [row.amountCents, row.saleCount]]));
    // Equal shares give the odd cent of 10,01 € to the lower member ID; 300,00 € in thirds is 10 002 / 9 999 / 9 999.
    const oddCentToAnna = w.anna.id < w.bruno.id ? 1 : 0;
    expect(byMember).toEqual({
      [gid('Member', w.anna.id)]: [5_000 + 500 + oddCentToAnna + 3_334 + 10_002, 4],
      [gid('Member', w.bruno.id)]: [5_000 + 501 - oddCentToAnna + 3_333 + 9_999, 4],
      [gid('Member', w.chloe.id)]: [3_333 + 9_999, 2],
    });
    expect(all.revenueByOwner.reduce((sum: number, row: Json) => sum + row.amountCents, 0)).toBe(51_001);
    expect(all.sales.edges.map((edge: Json) => edge.node.soldOn)).toEqual([
      '2024-09-01',
      '2024-07-01',
      '2024-06-30',
      '2024-03-01',
    ]);

    const summer = await read('2024-06-30', '2024-07-01');
    expect(summer.revenueCents).toBe(11_001);
    expect(summer.sales.totalCount).toBe(2);
    expect(summer.revenueByOwner.reduce((sum: number, row: Json) => sum + row.amountCents, 0)).toBe(11_001);
    expect((await read('2025-01-01')).revenueByOwner).toEqual([]);
  });
});

describe('Authorization', () => {
  const READ = /* GraphQL */ `
    query($id: ID!, $collectiveId: ID!, $slug: String!, $nodes: [ID!]!) {
      node(id: $id) { id ... on Product { name owners { id } } }
      nodes(ids: $nodes) { id }
      products(collectiveId: $collectiveId, first: 10) { totalCount edges { node { id } } }
      all: products(first: 100) { edges { node { id } } }
      collective(slug: $slug) { products(first: 10) { totalCount edges { node { id } } } }
    }
  `;

  async function scene() {
    const w = await world();
    const product = await makeProduct(w);
    const rule = await makeRule(product.id, '2024-01-01', null, thirds(w));
    const sale = await t.db.prisma.productSale.create({
      data: { productId: product.id, soldOn: date('2024-02-01'), amountCents: 100, recordedById: w.anna.id },
    });
    const variables = {
      id: gid('Product', product.id),
      collectiveId: gid('Collective', w.collective.id),
      slug: w.collective.slug,
      nodes: [gid('RevenueSplitRule', rule.id), gid('ProductSale', sale.id)],
    };
    return { w, product, rule, sale, variables };
  }

  it('should let the members of the collective and the support staff read its products', async () => {
    const { w, product, variables } = await scene();
    for (const token of [w.tokens.anna, w.tokens.david, w.tokens.sam]) {
      const response = await t.gql(READ, variables, token);
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({
        node: { id: gid('Product', product.id), owners: expect.any(Array) },
        nodes: variables.nodes.map((id) => ({ id })),
        products: { totalCount: 1, edges: [{ node: { id: gid('Product', product.id) } }] },
        collective: { products: { totalCount: 1, edges: [{ node: { id: gid('Product', product.id) } }] } },
      });
      expect(response.data?.all.edges).toContainEqual({ node: { id: gid('Product', product.id) } });
    }
  });

  it('should hide a collective’s products from outsiders and former members, as if they did not exist', async () => {
    const { w, product, variables } = await scene();
    for (const token of [w.tokens.olga, w.tokens.lou]) {
      const response = await t.gql(READ, variables, token);
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({
        node: null,
        nodes: [null, null],
        products: { totalCount: 0, edges: [] },
        collective: { products: { totalCount: 0, edges: [] } },
      });
      expect(response.data?.all.edges).not.toContainEqual({ node: { id: gid('Product', product.id) } });
    }
  });

  function everyChange(s: Awaited<ReturnType<typeof scene>>): Array<[string, string, Record<string, unknown>, string]> {
    const { w, product } = s;
    const productId = gid('Product', product.id);
    return [
      [
        'createProduct',
        CREATE,
        { collectiveId: gid('Collective', w.collective.id), name: 'Produit', ownerIds: memberIds(w.anna) },
        'input.collectiveId',
      ],
      ['updateProduct', UPDATE, { id: productId, name: 'Autre' }, 'input.id'],
      ['setProductOwners', SET_OWNERS, { productId, ownerIds: memberIds(w.anna, w.bruno, w.chloe) }, 'input.productId'],
      [
        'addRevenueSplitRule',
        ADD_RULE,
        { productId, validFrom: '2024-06-01', shares: sharesInput(thirds(w)) },
        'input.productId',
      ],
      ['recordSale', RECORD_SALE, { productId, soldOn: '2024-03-01', amountCents: 1000 }, 'input.productId'],
    ];
  }

  it('should forbid the support staff every change, changing nothing', async () => {
    const s = await scene();
    for (const [, document, input] of everyChange(s)) {
      expectForbidden(await refused(() => run(document, input, s.w.tokens.sam)));
    }
  });

  it('should forbid a member who is no co-owner to replace the co-owners or add a split, changing nothing', async () => {
    // David is an active member of the collective, not a co-owner: he could otherwise make himself one, or give
    // himself the revenue. He still changes the product's details and records its sales.
    const s = await scene();
    const changes = everyChange(s);
    for (const [name, document, input] of changes.filter(([name]) =>
      ['setProductOwners', 'addRevenueSplitRule'].includes(name),
    )) {
      const changesOwners =
        name === 'setProductOwners' ? { ...input, ownerIds: memberIds(s.w.anna, s.w.bruno, s.w.chloe, s.w.david) } : input;
      expectForbidden(await refused(() => run(document, changesOwners, s.w.tokens.david)));
    }
    for (const [name, document, input] of changes.filter(([name]) => ['updateProduct', 'recordSale'].includes(name)))
      expect((await run(document, input, s.w.tokens.david)).__typename, name).toMatch(/^Mutation.*Success$/);
  });

  it('should answer not-found to outsiders for every change, changing nothing', async () => {
    const s = await scene();
    for (const token of [s.w.tokens.olga, s.w.tokens.lou]) {
      for (const [name, document, input, field] of everyChange(s)) {
        expect(await refused(() => run(document, input, token)), name).toMatchObject({ __typename: 'NotFoundError', field });
      }
    }
  });

  it('should answer not-found for an unknown product or an ID of another type', async () => {
    const { w } = await scene();
    for (const id of [gid('Product', randomUUID()), gid('Brand', randomUUID())]) {
      const input = { productId: id, soldOn: '2024-03-01', amountCents: 100 };
      expect(await refused(() => run(RECORD_SALE, input, w.tokens.anna))).toMatchObject({
        __typename: 'NotFoundError',
        field: 'input.productId',
      });
    }
  });
});

describe('Query count', () => {
  it('should load a list of products with their owners, splits, sales and revenue in a fixed number of statements', async () => {
    const w = await world();
    for (let i = 0; i < 12; i += 1) {
      const product = await makeProduct(w);
      await makeRule(product.id, '2024-01-01', null, thirds(w));
      for (const soldOn of ['2024-02-01', '2024-03-01']) {
        await t.db.prisma.productSale.create({
          data: {
            productId: product.id,
            soldOn: date(soldOn),
            amountCents: 300,
            recordedById: w.anna.id,
            shares: { create: thirds(w).map((share) => ({ memberId: share.memberId, amountCents: 100 })) },
          },
        });
      }
    }
    const query = /* GraphQL */ `
      query($collectiveId: ID!, $first: Int!) {
        products(collectiveId: $collectiveId, first: $first) { totalCount edges { node {
          name brand { name } owners { displayName }
          splitRules { validFrom shares { shareBasisPoints member { id } } }
          sales(first: 5) { totalCount edges { node { amountCents shares { amountCents member { id } } } } }
          revenueByOwner { amountCents saleCount member { displayName } }
          revenueCents
          march: revenueCents(from: "2024-03-01", to: "2024-03-31")
        } } }
      }
    `;
    const count = async (first: number) => {
      statements.length = 0;
      const response = await t.gql(query, { collectiveId: gid('Collective', w.collective.id), first }, w.tokens.anna);
      expect(response.errors).toBeUndefined();
      expect(response.data?.products.edges).toHaveLength(first);
      expect(response.data?.products.edges[0].node).toMatchObject({ revenueCents: 600, march: 300 });
      expect(response.data?.products.edges[0].node.revenueByOwner).toHaveLength(3);
      return statements.length;
    };
    // The token's first request reads its session too (kept for its next requests: context.ts), so read once first.
    await count(2);
    expect(await count(12)).toBe(await count(2));
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
