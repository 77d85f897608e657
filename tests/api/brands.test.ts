import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../../server/src/generated/prisma/client.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, longTermWorld, makeCollective, makeMember } from '../support/scenario.js';
import { expectForbidden, expectRefusal, expectRule, FAILURE, mutate, success } from './operations.js';

let t: TestApp;
/** Every SQL statement run, to count them (CONVENTIONS 12: an N+1 shows up as a failing test). */
const statements: string[] = [];
beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
});
afterAll(() => t.close());

// ───────────────────────────── Scenario ─────────────────────────────

/** A calendar day `days` from today, as the Date scalar writes it. */
const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const world = () => longTermWorld(t);

type World = Awaited<ReturnType<typeof world>>;

/** A brand straight in the database, held by the given members. */
async function makeBrand(
  collectiveId: string,
  holders: Array<{ memberId: string; shareBasisPoints: number }>,
  data: Partial<Prisma.BrandUncheckedCreateInput> = {},
) {
  return t.db.prisma.brand.create({
    data: { collectiveId, name: `Marque ${randomUUID().slice(0, 6)}`, ...data, holders: { create: holders } },
  });
}

/** Anna 40 %, Bruno 30 %, Chloé 30 %. */
const threeHolders = (w: World) => [
  { memberId: w.anna.id, shareBasisPoints: 4000 },
  { memberId: w.bruno.id, shareBasisPoints: 3000 },
  { memberId: w.chloe.id, shareBasisPoints: 3000 },
];

/** Every row a brand rule may touch, to prove a refused change changed nothing. */
async function brandTables() {
  const prisma = t.db.prisma;
  const [brands, holders, versions, approvals, users, events] = await Promise.all([
    prisma.brand.findMany({ orderBy: { id: 'asc' } }),
    prisma.brandHolder.findMany({ orderBy: { id: 'asc' } }),
    prisma.brandUsageRuleVersion.findMany({ orderBy: { id: 'asc' } }),
    prisma.brandUsageRuleApproval.findMany({ orderBy: { id: 'asc' } }),
    prisma.brandAuthorisedUser.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { brands, holders, versions, approvals, users, events };
}

/** Runs a change expected to be refused and checks the database is exactly as before. */
async function refused(change: () => Promise<Json>): Promise<Json> {
  const before = await brandTables();
  const result = await change();
  expect(await brandTables()).toEqual(before);
  return result;
}

async function lastEvent() {
  return t.db.prisma.eventLog.findFirstOrThrow({ orderBy: { position: 'desc' } });
}

// ───────────────────────────── Documents ─────────────────────────────

const BRAND = /* GraphQL */ `
  fragment BrandFields on Brand {
    id name legalKind inpiNumber filedOn renewalDate niceClasses
    collective { id }
    holders { shareBasisPoints member { id } }
    currentUsageRules { id version status }
    pendingUsageRules { id version status }
  }
`;

const VERSION = /* GraphQL */ `
  fragment VersionFields on BrandUsageRuleVersion {
    id version text status proposedAt effectiveAt
    proposedBy { id }
    brand { id }
    approvals { approvedAt member { id } }
    missingApprovals { id }
  }
`;

const AUTHORISATION = /* GraphQL */ `
  fragment AuthorisationFields on BrandAuthorisedUser { id grantedAt revokedAt active member { id } brand { id } }
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

const CREATE = mutation('createBrand', 'CreateBrandInput', BRAND, 'BrandFields');
const UPDATE = mutation('updateBrand', 'UpdateBrandInput', BRAND, 'BrandFields');
const SET_HOLDERS = mutation('setBrandHolders', 'SetBrandHoldersInput', BRAND, 'BrandFields');
const PROPOSE = mutation('proposeUsageRules', 'ProposeUsageRulesInput', VERSION, 'VersionFields');
const APPROVE = mutation('approveUsageRules', 'UsageRulesVersionInput', VERSION, 'VersionFields');
const WITHDRAW = mutation('withdrawUsageRules', 'UsageRulesVersionInput', VERSION, 'VersionFields');
const GRANT = mutation('grantBrandUse', 'GrantBrandUseInput', AUTHORISATION, 'AuthorisationFields');
const REVOKE = mutation('revokeBrandUse', 'RevokeBrandUseInput', AUTHORISATION, 'AuthorisationFields');

const holdersInput = (holders: Array<{ memberId: string; shareBasisPoints: number }>) =>
  holders.map((holder) => ({ memberId: gid('Member', holder.memberId), shareBasisPoints: holder.shareBasisPoints }));

function createInput(w: World, input: Record<string, unknown> = {}) {
  return {
    collectiveId: gid('Collective', w.collective.id),
    name: 'Lettres Vives',
    legalKind: 'TRADEMARK',
    inpiNumber: '5038642',
    filedOn: '2021-03-15',
    niceClasses: [35, 41],
    holders: holdersInput(threeHolders(w)),
    ...input,
  };
}

const run = (document: string, input: Record<string, unknown>, token: string) => mutate(t, document, { input }, token);

async function propose(brandId: string, token: string, text = 'Règlement d’usage.') {
  return success(await run(PROPOSE, { brandId: gid('Brand', brandId), text }, token));
}
async function approve(versionId: string, token: string) {
  return run(APPROVE, { versionId }, token);
}

const gids = (...members: Array<{ id: string }>) => members.map((member) => gid('Member', member.id)).sort();

// ───────────────────────────── Tests ─────────────────────────────

describe('Create', () => {
  it('should create a filed trademark with its holders, normalised INPI number and sorted Nice classes', async () => {
    const w = await world();
    const data = success(
      await run(CREATE, createInput(w, { inpiNumber: ' 5 038 642 ', niceClasses: [41, 9, 35] }), w.tokens.bruno),
    );
    expect(data).toMatchObject({
      name: 'Lettres Vives',
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn: '2021-03-15',
      renewalDate: '2031-03-15',
      niceClasses: [9, 35, 41],
      collective: { id: gid('Collective', w.collective.id) },
      holders: [
        { shareBasisPoints: 4000, member: { id: gid('Member', w.anna.id) } },
        { shareBasisPoints: 3000, member: { id: expect.any(String) } },
        { shareBasisPoints: 3000, member: { id: expect.any(String) } },
      ],
      currentUsageRules: null,
      pendingUsageRules: null,
    });
    expect(data.holders.map((holder: Json) => holder.member.id).sort()).toEqual(gids(w.anna, w.bruno, w.chloe));
    expect(await lastEvent()).toMatchObject({
      type: 'brand.created',
      subjectId: data.id,
      collectiveId: w.collective.id,
      actorId: w.bruno.id,
      payload: { name: 'Lettres Vives', legalKind: 'TRADEMARK', inpiNumber: '5038642', niceClasses: [9, 35, 41] },
    });
  });

  it('should create a brand not filed, with no INPI number, filing date or renewal date', async () => {
    const w = await world();
    const data = success(
      await run(
        CREATE,
        {
          collectiveId: gid('Collective', w.collective.id),
          name: 'Atelier Sauvage',
          holders: holdersInput([{ memberId: w.anna.id, shareBasisPoints: 10_000 }]),
        },
        w.tokens.anna,
      ),
    );
    expect(data).toMatchObject({ legalKind: 'NOT_FILED', inpiNumber: null, filedOn: null, renewalDate: null, niceClasses: [] });
  });

  it.each(['TRADEMARK', 'COLLECTIVE_MARK', 'CERTIFICATION_MARK'])('should accept a filed %s', async (legalKind) => {
    const w = await world();
    expect(success(await run(CREATE, createInput(w, { legalKind }), w.tokens.anna))).toMatchObject({ legalKind });
  });

  it.each([
    ['5038642', '5038642'],
    ['5 038 642', '5038642'],
    ['4.123.456', '4123456'],
    ['06 3449071', '063449071'],
    ['95 123 456', '95123456'],
    ['1160886', '1160886'],
    ['532401a', '532401A'],
  ])('should accept the INPI national number %s, stored as %s', async (inpiNumber, stored) => {
    const w = await world();
    expect(success(await run(CREATE, createInput(w, { inpiNumber }), w.tokens.anna))).toMatchObject({ inpiNumber: stored });
  });

  const refusals: Array<[string, (w: World) => Record<string, unknown>, string, string]> = [
    ['no holder', () => ({ holders: [] }), 'BRAND_HOLDERS_REQUIRED', 'input.holders'],
    [
      'a holder twice',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 5000 },
          { memberId: w.anna.id, shareBasisPoints: 5000 },
        ]),
      }),
      'BRAND_HOLDER_DUPLICATE',
      'input.holders.1.memberId',
    ],
    [
      'a zero share',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 0 },
          { memberId: w.bruno.id, shareBasisPoints: 10_000 },
        ]),
      }),
      'TOO_SMALL',
      'input.holders.0.shareBasisPoints',
    ],
    [
      'a negative share',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 11_000 },
          { memberId: w.bruno.id, shareBasisPoints: -1000 },
        ]),
      }),
      'TOO_SMALL',
      'input.holders.1.shareBasisPoints',
    ],
    [
      'shares summing to 99.99 %',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 5000 },
          { memberId: w.bruno.id, shareBasisPoints: 4999 },
        ]),
      }),
      'BRAND_HOLDER_SHARES_NOT_100',
      'input.holders',
    ],
    [
      'shares summing to 100.01 %',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 5000 },
          { memberId: w.bruno.id, shareBasisPoints: 5001 },
        ]),
      }),
      'BRAND_HOLDER_SHARES_NOT_100',
      'input.holders',
    ],
    [
      'an outsider as holder',
      (w) => ({
        holders: holdersInput([
          { memberId: w.anna.id, shareBasisPoints: 5000 },
          { memberId: w.olga.id, shareBasisPoints: 5000 },
        ]),
      }),
      'NOT_A_MEMBER',
      'input.holders.1.memberId',
    ],
    [
      'a former member as holder',
      (w) => ({ holders: holdersInput([{ memberId: w.lou.id, shareBasisPoints: 10_000 }]) }),
      'NOT_A_MEMBER',
      'input.holders.0.memberId',
    ],
    ['a filed brand with no INPI number', () => ({ inpiNumber: null }), 'INPI_NUMBER_REQUIRED', 'input.inpiNumber'],
    ['a blank INPI number', () => ({ inpiNumber: '   ' }), 'INPI_NUMBER_REQUIRED', 'input.inpiNumber'],
    ['an INPI number with letters', () => ({ inpiNumber: 'FR50386' }), 'INPI_NUMBER_INVALID', 'input.inpiNumber'],
    ['an INPI number too short', () => ({ inpiNumber: '12345' }), 'INPI_NUMBER_INVALID', 'input.inpiNumber'],
    ['an INPI number too long', () => ({ inpiNumber: '1234567890' }), 'INPI_NUMBER_INVALID', 'input.inpiNumber'],
    ['a filed brand with no filing date', () => ({ filedOn: null }), 'FILED_ON_REQUIRED', 'input.filedOn'],
    ['a filing date in the future', () => ({ filedOn: dayFromNow(3) }), 'FILED_ON_IN_FUTURE', 'input.filedOn'],
    ['a filed brand with no Nice class', () => ({ niceClasses: [] }), 'NICE_CLASSES_REQUIRED', 'input.niceClasses'],
    ['Nice class 0', () => ({ niceClasses: [35, 0] }), 'TOO_SMALL', 'input.niceClasses.1'],
    ['Nice class 46', () => ({ niceClasses: [46] }), 'TOO_LARGE', 'input.niceClasses.0'],
    ['a Nice class twice', () => ({ niceClasses: [35, 41, 35] }), 'NICE_CLASS_DUPLICATE', 'input.niceClasses.2'],
    [
      'an INPI number on a brand not filed',
      () => ({ legalKind: 'NOT_FILED', filedOn: null }),
      'NOT_FILED_WITHOUT_FILING_DETAILS',
      'input.inpiNumber',
    ],
    [
      'a filing date on a brand not filed',
      () => ({ legalKind: 'NOT_FILED', inpiNumber: null }),
      'NOT_FILED_WITHOUT_FILING_DETAILS',
      'input.filedOn',
    ],
  ];

  it.each(refusals)('should refuse %s, changing nothing', async (_case, input, rule, field) => {
    const w = await world();
    expectRefusal(await refused(() => run(CREATE, createInput(w, input(w)), w.tokens.anna)), rule, field);
  });

  it.each([
    ['a sector collective', { kind: 'SECTOR', sector: 'WRITING', horizon: null }],
    ['a commons collective', { kind: 'COMMONS', horizon: null }],
    [
      'a one-off business collective',
      { kind: 'BUSINESS', horizon: 'ONE_OFF', objective: 'Un appel d’offres.', targetDate: new Date('2030-01-01') },
    ],
  ] as const)('should refuse a brand in %s', async (_case, shape) => {
    const w = await world();
    const other = await makeCollective(t.db.prisma, { animatorId: w.anna.id, memberIds: [w.bruno.id], ...shape });
    const result = await refused(() =>
      run(
        CREATE,
        createInput(w, {
          collectiveId: gid('Collective', other.id),
          holders: holdersInput([{ memberId: w.anna.id, shareBasisPoints: 10_000 }]),
        }),
        w.tokens.anna,
      ),
    );
    expectRule(result, 'LONG_TERM_BUSINESS_ONLY', 'input.collectiveId');
  });

  it('should refuse a name that is blank, as malformed input', async () => {
    const w = await world();
    const result = await refused(() => run(CREATE, createInput(w, { name: '   ' }), w.tokens.anna));
    expect(result).toMatchObject({ __typename: 'InputValidationError', issues: [{ field: 'input.name' }] });
  });
});

describe('Renewal date', () => {
  it.each([
    ['2021-03-15', '2031-03-15'],
    ['2020-02-29', '2030-02-28'],
    ['2016-12-31', '2026-12-31'],
    ['2015-01-01', '2025-01-01'],
  ])('should derive the renewal date of a brand filed on %s as %s', async (filedOn, renewalDate) => {
    const w = await world();
    expect(success(await run(CREATE, createInput(w, { filedOn }), w.tokens.anna))).toMatchObject({ filedOn, renewalDate });
  });

  it('should follow the filing date when it changes, and vanish when the brand is no longer filed', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w), {
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn: new Date('2021-03-15'),
      niceClasses: [35],
    });
    const id = gid('Brand', brand.id);
    expect(success(await run(UPDATE, { id, filedOn: '2022-07-01' }, w.tokens.anna))).toMatchObject({
      filedOn: '2022-07-01',
      renewalDate: '2032-07-01',
    });
    expect(
      success(await run(UPDATE, { id, legalKind: 'NOT_FILED', inpiNumber: null, filedOn: null, niceClasses: [] }, w.tokens.anna)),
    ).toMatchObject({ legalKind: 'NOT_FILED', inpiNumber: null, filedOn: null, renewalDate: null });
  });
});

describe('Update', () => {
  it('should rename a brand and file it, recording an event', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const data = success(
      await run(
        UPDATE,
        {
          id: gid('Brand', brand.id),
          name: 'Lettres Vives',
          legalKind: 'COLLECTIVE_MARK',
          inpiNumber: '5 038 642',
          filedOn: '2023-05-02',
          niceClasses: [41, 35],
        },
        w.tokens.david,
      ),
    );
    expect(data).toMatchObject({
      name: 'Lettres Vives',
      legalKind: 'COLLECTIVE_MARK',
      inpiNumber: '5038642',
      filedOn: '2023-05-02',
      renewalDate: '2033-05-02',
      niceClasses: [35, 41],
    });
    expect(await lastEvent()).toMatchObject({ type: 'brand.updated', subjectId: data.id, actorId: w.david.id });
  });

  it('should keep omitted fields', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w), {
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn: new Date('2021-03-15'),
      niceClasses: [35],
    });
    expect(success(await run(UPDATE, { id: gid('Brand', brand.id), name: 'Nouveau nom' }, w.tokens.anna))).toMatchObject({
      name: 'Nouveau nom',
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn: '2021-03-15',
      niceClasses: [35],
    });
  });

  it.each([
    ['clearing the INPI number of a filed brand', { inpiNumber: null }, 'INPI_NUMBER_REQUIRED', 'input.inpiNumber'],
    ['clearing the filing date of a filed brand', { filedOn: null }, 'FILED_ON_REQUIRED', 'input.filedOn'],
    [
      'a brand no longer filed that keeps its INPI number',
      { legalKind: 'NOT_FILED' },
      'NOT_FILED_WITHOUT_FILING_DETAILS',
      'input.inpiNumber',
    ],
    ['a malformed INPI number', { inpiNumber: '50-38-642' }, 'INPI_NUMBER_INVALID', 'input.inpiNumber'],
    ['a Nice class out of range', { niceClasses: [35, 99] }, 'TOO_LARGE', 'input.niceClasses.1'],
    ['a filing date in the future', { filedOn: dayFromNow(2) }, 'FILED_ON_IN_FUTURE', 'input.filedOn'],
  ])('should refuse %s, changing nothing', async (_case, input, rule, field) => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w), {
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn: new Date('2021-03-15'),
      niceClasses: [35],
    });
    expectRefusal(await refused(() => run(UPDATE, { id: gid('Brand', brand.id), ...input }, w.tokens.anna)), rule, field);
  });

  it('should answer not-found for an unknown brand or an ID of another type', async () => {
    const w = await world();
    for (const id of [gid('Brand', randomUUID()), gid('Collective', w.collective.id)]) {
      expect(await refused(() => run(UPDATE, { id, name: 'X' }, w.tokens.anna))).toMatchObject({
        __typename: 'NotFoundError',
        field: 'input.id',
      });
    }
  });
});

describe('Holders', () => {
  it('should replace the holders and their shares', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const data = success(
      await run(
        SET_HOLDERS,
        {
          brandId: gid('Brand', brand.id),
          holders: holdersInput([
            { memberId: w.david.id, shareBasisPoints: 3334 },
            { memberId: w.bruno.id, shareBasisPoints: 3333 },
            { memberId: w.chloe.id, shareBasisPoints: 3333 },
          ]),
        },
        w.tokens.anna,
      ),
    );
    expect(data.holders[0]).toEqual({ shareBasisPoints: 3334, member: { id: gid('Member', w.david.id) } });
    expect(data.holders.map((holder: Json) => holder.member.id).sort()).toEqual(gids(w.bruno, w.chloe, w.david));
    expect(await lastEvent()).toMatchObject({ type: 'brand.holdersSet', subjectId: data.id });
  });

  it('should refuse new holders from a member of the collective who is not a holder, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const result = await refused(() =>
      run(
        SET_HOLDERS,
        { brandId: gid('Brand', brand.id), holders: holdersInput([{ memberId: w.david.id, shareBasisPoints: 10_000 }]) },
        w.tokens.david,
      ),
    );
    expectRule(result, 'NOT_A_BRAND_HOLDER', 'input.brandId');
  });

  it('should tell each viewer what they may do: a holder, a member who is not one, the support staff', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const read = async (token: string) =>
      (
        await t.gql(
          `query($id: ID!) { node(id: $id) { ... on Brand { viewerCanChange viewerIsHolder } } }`,
          { id: gid('Brand', brand.id) },
          token,
        )
      ).data?.node;
    expect(await read(w.tokens.anna)).toEqual({ viewerCanChange: true, viewerIsHolder: true });
    expect(await read(w.tokens.david)).toEqual({ viewerCanChange: true, viewerIsHolder: false });
    expect(await read(w.tokens.sam)).toEqual({ viewerCanChange: false, viewerIsHolder: false });
  });

  it.each([
    ['no holder', () => [], 'BRAND_HOLDERS_REQUIRED', 'input.holders'],
    [
      'a holder twice',
      (w: World) => [
        { memberId: w.bruno.id, shareBasisPoints: 5000 },
        { memberId: w.bruno.id, shareBasisPoints: 5000 },
      ],
      'BRAND_HOLDER_DUPLICATE',
      'input.holders.1.memberId',
    ],
    [
      'shares below 100 %',
      (w: World) => [{ memberId: w.bruno.id, shareBasisPoints: 9000 }],
      'BRAND_HOLDER_SHARES_NOT_100',
      'input.holders',
    ],
    [
      'a share above 100 %',
      (w: World) => [{ memberId: w.bruno.id, shareBasisPoints: 10_001 }],
      'TOO_LARGE',
      'input.holders.0.shareBasisPoints',
    ],
    [
      'an outsider',
      (w: World) => [{ memberId: w.olga.id, shareBasisPoints: 10_000 }],
      'NOT_A_MEMBER',
      'input.holders.0.memberId',
    ],
    [
      'a support-staff outsider',
      (w: World) => [{ memberId: w.sam.id, shareBasisPoints: 10_000 }],
      'NOT_A_MEMBER',
      'input.holders.0.memberId',
    ],
  ] as const)('should refuse %s, changing nothing', async (_case, holders, rule, field) => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const result = await refused(() =>
      run(SET_HOLDERS, { brandId: gid('Brand', brand.id), holders: holdersInput([...holders(w)]) }, w.tokens.anna),
    );
    expectRefusal(result, rule, field);
  });
});

describe('Usage rules', () => {
  it('should go in force exactly when the last holder approves, superseding the version in force', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));

    // Version 1, proposed by a holder: her proposal counts as her approval.
    const v1 = await propose(brand.id, w.tokens.anna, 'Version 1');
    expect(v1).toMatchObject({ version: 1, status: 'PENDING', effectiveAt: null, proposedBy: { id: gid('Member', w.anna.id) } });
    expect(v1.approvals.map((a: Json) => a.member.id)).toEqual([gid('Member', w.anna.id)]);
    expect(v1.missingApprovals.map((m: Json) => m.id).sort()).toEqual(gids(w.bruno, w.chloe));

    const afterBruno = success(await approve(v1.id, w.tokens.bruno));
    expect(afterBruno).toMatchObject({
      status: 'PENDING',
      effectiveAt: null,
      missingApprovals: [{ id: gid('Member', w.chloe.id) }],
    });

    const afterChloe = success(await approve(v1.id, w.tokens.chloe));
    expect(afterChloe).toMatchObject({ status: 'IN_FORCE', effectiveAt: expect.any(String), missingApprovals: [] });
    expect(afterChloe.approvals).toHaveLength(3);
    expect(await lastEvent()).toMatchObject({
      type: 'brand.usageRulesApproved',
      subjectId: v1.id,
      payload: { status: 'IN_FORCE' },
    });

    // Version 2, proposed by a member who is not a holder: every holder must approve.
    const v2 = await propose(brand.id, w.tokens.david, 'Version 2');
    expect(v2).toMatchObject({ version: 2, status: 'PENDING', approvals: [] });
    expect(v2.missingApprovals.map((m: Json) => m.id).sort()).toEqual(gids(w.anna, w.bruno, w.chloe));
    expect(success(await approve(v2.id, w.tokens.chloe)).status).toBe('PENDING');
    expect(success(await approve(v2.id, w.tokens.anna)).status).toBe('PENDING');

    const query = `query($id: ID!) { node(id: $id) { ... on Brand { ...BrandFields usageRules { version status effectiveAt } } } } ${BRAND}`;
    const during = (await t.gql(query, { id: gid('Brand', brand.id) }, w.tokens.anna)).data?.node;
    expect(during).toMatchObject({
      currentUsageRules: { id: v1.id, status: 'IN_FORCE' },
      pendingUsageRules: { id: v2.id, status: 'PENDING' },
    });

    const last = success(await approve(v2.id, w.tokens.bruno));
    expect(last).toMatchObject({ status: 'IN_FORCE', effectiveAt: expect.any(String) });
    const after = (await t.gql(query, { id: gid('Brand', brand.id) }, w.tokens.anna)).data?.node;
    expect(after).toMatchObject({
      currentUsageRules: { id: v2.id, version: 2, status: 'IN_FORCE' },
      pendingUsageRules: null,
      usageRules: [
        { version: 2, status: 'IN_FORCE', effectiveAt: last.effectiveAt },
        { version: 1, status: 'SUPERSEDED', effectiveAt: afterChloe.effectiveAt },
      ],
    });
    const approvals = await t.db.prisma.brandUsageRuleApproval.findMany({
      where: { versionId: { in: [v2.id, v1.id].map(dbId) } },
    });
    expect(approvals).toHaveLength(6);
  });

  it('should put the rules of a brand with one holder in force as soon as that holder proposes them', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, [{ memberId: w.bruno.id, shareBasisPoints: 10_000 }]);
    const v1 = await propose(brand.id, w.tokens.bruno);
    expect(v1).toMatchObject({ version: 1, status: 'IN_FORCE', effectiveAt: expect.any(String), missingApprovals: [] });
  });

  it('should number versions one after another, withdrawn ones included', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const v1 = await propose(brand.id, w.tokens.anna);
    success(await run(WITHDRAW, { versionId: v1.id }, w.tokens.anna));
    expect((await propose(brand.id, w.tokens.bruno)).version).toBe(2);
  });

  it('should refuse an approval from a member who is not a holder, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const v1 = await propose(brand.id, w.tokens.anna);
    expectRule(await refused(() => approve(v1.id, w.tokens.david)), 'NOT_A_BRAND_HOLDER', 'input.versionId');
  });

  it('should refuse a second approval by the same holder, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const v1 = await propose(brand.id, w.tokens.anna);
    expectRule(await refused(() => approve(v1.id, w.tokens.anna)), 'USAGE_RULES_ALREADY_APPROVED', 'input.versionId');
    success(await approve(v1.id, w.tokens.bruno));
    expectRule(await refused(() => approve(v1.id, w.tokens.bruno)), 'USAGE_RULES_ALREADY_APPROVED', 'input.versionId');
  });

  it('should refuse a second pending version, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    await propose(brand.id, w.tokens.anna);
    const result = await refused(() => run(PROPOSE, { brandId: gid('Brand', brand.id), text: 'Autre' }, w.tokens.bruno));
    expectRule(result, 'USAGE_RULES_ALREADY_PENDING', 'input.brandId');
  });

  it('should refuse to approve or withdraw a version in force, superseded or withdrawn', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, [{ memberId: w.anna.id, shareBasisPoints: 10_000 }]);
    const v1 = await propose(brand.id, w.tokens.anna);
    const v2 = await propose(brand.id, w.tokens.anna);
    const v3 = await propose(brand.id, w.tokens.david);
    success(await run(WITHDRAW, { versionId: v3.id }, w.tokens.david));
    const statuses = await t.db.prisma.brandUsageRuleVersion.findMany({
      where: { brandId: brand.id },
      orderBy: { version: 'asc' },
    });
    expect(statuses.map((version) => version.status)).toEqual(['SUPERSEDED', 'IN_FORCE', 'WITHDRAWN']);
    for (const version of [v1, v2, v3]) {
      expectRule(await refused(() => approve(version.id, w.tokens.anna)), 'USAGE_RULES_NOT_PENDING', 'input.versionId');
      expectRule(
        await refused(() => run(WITHDRAW, { versionId: version.id }, w.tokens.anna)),
        'USAGE_RULES_NOT_PENDING',
        'input.versionId',
      );
    }
  });

  it('should let the proposer or a holder withdraw a pending version, and nobody else', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const byMember = await propose(brand.id, w.tokens.david);
    const withdrawn = success(await run(WITHDRAW, { versionId: byMember.id }, w.tokens.david));
    expect(withdrawn).toMatchObject({ status: 'WITHDRAWN', effectiveAt: null, missingApprovals: [] });
    expect(await lastEvent()).toMatchObject({ type: 'brand.usageRulesWithdrawn', subjectId: byMember.id });

    const byHolder = await propose(brand.id, w.tokens.anna);
    expectRule(
      await refused(() => run(WITHDRAW, { versionId: byHolder.id }, w.tokens.david)),
      'NOT_A_BRAND_HOLDER',
      'input.versionId',
    );
    expect(success(await run(WITHDRAW, { versionId: byHolder.id }, w.tokens.chloe)).status).toBe('WITHDRAWN');
  });

  it('should stop counting the approval of a removed holder, and put the version in force if every remaining holder approved', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const v1 = await propose(brand.id, w.tokens.anna);
    success(await approve(v1.id, w.tokens.bruno));
    const data = success(
      await run(
        SET_HOLDERS,
        {
          brandId: gid('Brand', brand.id),
          holders: holdersInput([
            { memberId: w.anna.id, shareBasisPoints: 5000 },
            { memberId: w.bruno.id, shareBasisPoints: 5000 },
          ]),
        },
        w.tokens.anna,
      ),
    );
    expect(data).toMatchObject({ currentUsageRules: { id: v1.id, status: 'IN_FORCE' }, pendingUsageRules: null });
    expect(await lastEvent()).toMatchObject({ type: 'brand.holdersSet', payload: { pendingUsageRules: 'IN_FORCE' } });
  });

  it('should make a new holder approve a pending version, and ignore a former holder’s approval', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const v1 = await propose(brand.id, w.tokens.chloe);
    success(await approve(v1.id, w.tokens.anna));
    // Chloé (who approved) leaves the holders, David joins them: Bruno and David must approve.
    success(
      await run(
        SET_HOLDERS,
        {
          brandId: gid('Brand', brand.id),
          holders: holdersInput([
            { memberId: w.anna.id, shareBasisPoints: 4000 },
            { memberId: w.bruno.id, shareBasisPoints: 3000 },
            { memberId: w.david.id, shareBasisPoints: 3000 },
          ]),
        },
        w.tokens.anna,
      ),
    );
    const query = `query($id: ID!) { node(id: $id) { ... on BrandUsageRuleVersion { ...VersionFields } } } ${VERSION}`;
    const pending = (await t.gql(query, { id: v1.id }, w.tokens.anna)).data?.node;
    expect(pending.status).toBe('PENDING');
    expect(pending.missingApprovals.map((m: Json) => m.id).sort()).toEqual(gids(w.bruno, w.david));
    expect(pending.approvals.map((a: Json) => a.member.id).sort()).toEqual(gids(w.anna, w.chloe));
    expectRule(await refused(() => approve(v1.id, w.tokens.chloe)), 'NOT_A_BRAND_HOLDER', 'input.versionId');
    expect(success(await approve(v1.id, w.tokens.david)).status).toBe('PENDING');
    expect(success(await approve(v1.id, w.tokens.bruno))).toMatchObject({ status: 'IN_FORCE', missingApprovals: [] });
  });
});

describe('Authorised users', () => {
  it('should grant and revoke the use of a brand, keeping revoked authorisations as history', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const granted = success(
      await run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', w.olga.id) }, w.tokens.bruno),
    );
    expect(granted).toMatchObject({
      revokedAt: null,
      active: true,
      member: { id: gid('Member', w.olga.id) },
      brand: { id: gid('Brand', brand.id) },
    });
    expect(await lastEvent()).toMatchObject({ type: 'brand.useGranted', subjectId: granted.id, actorId: w.bruno.id });

    const revoked = success(await run(REVOKE, { authorisationId: granted.id }, w.tokens.anna));
    expect(revoked).toMatchObject({ id: granted.id, revokedAt: expect.any(String), active: false });
    expect(await lastEvent()).toMatchObject({ type: 'brand.useRevoked', subjectId: granted.id });

    const again = success(
      await run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', w.olga.id) }, w.tokens.bruno),
    );
    const query = `query($id: ID!) { node(id: $id) { ... on Brand {
      current: authorisedUsers { id active }
      all: authorisedUsers(includeRevoked: true) { id active revokedAt }
    } } }`;
    const brandNode = (await t.gql(query, { id: gid('Brand', brand.id) }, w.tokens.anna)).data?.node;
    expect(brandNode.current).toEqual([{ id: again.id, active: true }]);
    expect(brandNode.all).toEqual([
      { id: granted.id, active: false, revokedAt: revoked.revokedAt },
      { id: again.id, active: true, revokedAt: null },
    ]);
  });

  it('should refuse to grant the use twice, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    success(await run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', w.david.id) }, w.tokens.anna));
    const result = await refused(() =>
      run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', w.david.id) }, w.tokens.anna),
    );
    expectRule(result, 'BRAND_USE_ALREADY_GRANTED', 'input.memberId');
  });

  it('should refuse to grant the use to someone who left the cooperative, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const gone = await makeMember(t.db.prisma, { situation: 'LEFT', leftCooperativeOn: new Date('2024-01-31') });
    const result = await refused(() =>
      run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', gone.id) }, w.tokens.anna),
    );
    expectRule(result, 'MEMBER_NOT_ACTIVE', 'input.memberId');
    const unknown = await refused(() =>
      run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', randomUUID()) }, w.tokens.anna),
    );
    expect(unknown).toMatchObject({ __typename: 'NotFoundError', field: 'input.memberId' });
  });

  it('should refuse to revoke twice, changing nothing', async () => {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const granted = success(
      await run(GRANT, { brandId: gid('Brand', brand.id), memberId: gid('Member', w.david.id) }, w.tokens.anna),
    );
    success(await run(REVOKE, { authorisationId: granted.id }, w.tokens.anna));
    expectRule(
      await refused(() => run(REVOKE, { authorisationId: granted.id }, w.tokens.anna)),
      'BRAND_USE_ALREADY_REVOKED',
      'input.authorisationId',
    );
  });
});

describe('Authorization', () => {
  const READ = /* GraphQL */ `
    query($id: ID!, $collectiveId: ID!, $slug: String!, $nodes: [ID!]!) {
      node(id: $id) { id ... on Brand { name holders { shareBasisPoints } } }
      nodes(ids: $nodes) { id }
      brands(collectiveId: $collectiveId, first: 10) { totalCount edges { node { id } } }
      all: brands(first: 100) { edges { node { id } } }
      collective(slug: $slug) { brands(first: 10) { totalCount edges { node { id } } } }
    }
  `;

  async function scene() {
    const w = await world();
    const brand = await makeBrand(w.collective.id, threeHolders(w));
    const version = await t.db.prisma.brandUsageRuleVersion.create({
      data: { brandId: brand.id, version: 1, text: 'Règles', proposedById: w.anna.id },
    });
    const authorisation = await t.db.prisma.brandAuthorisedUser.create({ data: { brandId: brand.id, memberId: w.david.id } });
    const variables = {
      id: gid('Brand', brand.id),
      collectiveId: gid('Collective', w.collective.id),
      slug: w.collective.slug,
      nodes: [gid('BrandUsageRuleVersion', version.id), gid('BrandAuthorisedUser', authorisation.id)],
    };
    return { w, brand, version, authorisation, variables };
  }

  it('should let the members of the collective and the support staff read its brands', async () => {
    const { w, brand, variables } = await scene();
    for (const token of [w.tokens.anna, w.tokens.david, w.tokens.sam]) {
      const response = await t.gql(READ, variables, token);
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({
        node: { id: gid('Brand', brand.id), holders: expect.any(Array) },
        nodes: variables.nodes.map((id) => ({ id })),
        brands: { totalCount: 1, edges: [{ node: { id: gid('Brand', brand.id) } }] },
        collective: { brands: { totalCount: 1, edges: [{ node: { id: gid('Brand', brand.id) } }] } },
      });
      expect(response.data?.all.edges).toContainEqual({ node: { id: gid('Brand', brand.id) } });
    }
  });

  it('should hide a collective’s brands from outsiders and former members, as if they did not exist', async () => {
    const { w, brand, variables } = await scene();
    for (const token of [w.tokens.olga, w.tokens.lou]) {
      const response = await t.gql(READ, variables, token);
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({
        node: null,
        nodes: [null, null],
        brands: { totalCount: 0, edges: [] },
        collective: { brands: { totalCount: 0, edges: [] } },
      });
      expect(response.data?.all.edges).not.toContainEqual({ node: { id: gid('Brand', brand.id) } });
    }
  });

  it('should refuse anonymous readers', async () => {
    const { variables } = await scene();
    const response = await t.gql(READ, variables);
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data ?? null).toBeNull();
  });

  function everyChange(s: Awaited<ReturnType<typeof scene>>): Array<[string, string, Record<string, unknown>, string]> {
    const { w, brand, version, authorisation } = s;
    const brandId = gid('Brand', brand.id);
    return [
      ['createBrand', CREATE, createInput(w), 'input.collectiveId'],
      ['updateBrand', UPDATE, { id: brandId, name: 'Autre' }, 'input.id'],
      ['setBrandHolders', SET_HOLDERS, { brandId, holders: holdersInput(threeHolders(w)) }, 'input.brandId'],
      ['proposeUsageRules', PROPOSE, { brandId, text: 'Autres règles' }, 'input.brandId'],
      ['approveUsageRules', APPROVE, { versionId: gid('BrandUsageRuleVersion', version.id) }, 'input.versionId'],
      ['withdrawUsageRules', WITHDRAW, { versionId: gid('BrandUsageRuleVersion', version.id) }, 'input.versionId'],
      ['grantBrandUse', GRANT, { brandId, memberId: gid('Member', w.bruno.id) }, 'input.brandId'],
      ['revokeBrandUse', REVOKE, { authorisationId: gid('BrandAuthorisedUser', authorisation.id) }, 'input.authorisationId'],
    ];
  }

  it('should forbid the support staff every change, changing nothing', async () => {
    const s = await scene();
    for (const [, document, input] of everyChange(s)) {
      expectForbidden(await refused(() => run(document, input, s.w.tokens.sam)));
    }
  });

  it('should answer not-found to outsiders for every change, changing nothing', async () => {
    const s = await scene();
    for (const token of [s.w.tokens.olga, s.w.tokens.lou]) {
      for (const [name, document, input, field] of everyChange(s)) {
        const result = await refused(() => run(document, input, token));
        expect(result, name).toMatchObject({ __typename: 'NotFoundError', field });
      }
    }
  });
});

/** The database ID inside a global ID. */
function dbId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1] ?? '';
}

describe('Query count', () => {
  it('should load a list of brands with their holders, usage rules and authorised users in a fixed number of statements', async () => {
    const w = await world();
    for (let i = 0; i < 12; i += 1) {
      const brand = await makeBrand(w.collective.id, threeHolders(w), { name: `Marque ${String(i).padStart(2, '0')}` });
      await t.db.prisma.brandUsageRuleVersion.create({
        data: { brandId: brand.id, version: 1, text: 'Version 1', status: 'IN_FORCE', proposedById: w.anna.id },
      });
      const pending = await t.db.prisma.brandUsageRuleVersion.create({
        data: { brandId: brand.id, version: 2, text: 'Version 2', proposedById: w.anna.id },
      });
      await t.db.prisma.brandUsageRuleApproval.create({ data: { versionId: pending.id, memberId: w.anna.id } });
      await t.db.prisma.brandAuthorisedUser.create({ data: { brandId: brand.id, memberId: w.david.id } });
    }
    const query = /* GraphQL */ `
      query($collectiveId: ID!, $first: Int!) {
        brands(collectiveId: $collectiveId, first: $first) { totalCount edges { node {
          name renewalDate
          holders { shareBasisPoints member { displayName } }
          usageRules { version status }
          currentUsageRules { version approvals { member { id } } missingApprovals { id } }
          pendingUsageRules { version text approvals { approvedAt member { displayName } } missingApprovals { displayName } }
          authorisedUsers { active member { id } }
        } } }
      }
    `;
    const count = async (first: number) => {
      statements.length = 0;
      const response = await t.gql(query, { collectiveId: gid('Collective', w.collective.id), first }, w.tokens.anna);
      expect(response.errors).toBeUndefined();
      expect(response.data?.brands.edges).toHaveLength(first);
      expect(response.data?.brands.edges[0].node.pendingUsageRules.missingApprovals).toHaveLength(2);
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
