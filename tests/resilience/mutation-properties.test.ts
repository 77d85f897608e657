import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../server/src/generated/prisma/client.js';
import { schema } from '../../server/src/schema/index.js';
import { DEMO_ACCOUNT, seedDemoData } from '../../server/src/seed/demo.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid } from '../support/scenario.js';

/**
 * Property-based tests (fast-check) on the inputs of every mutation of the schema, against the seeded demo
 * cooperative: whatever the arguments (real IDs of every kind, malformed IDs, empty, huge, NUL-bearing or
 * non-ASCII strings, extreme numbers, any enum value, lists with repeats), each mutation answers a typed error
 * or succeeds, never a 500 or an "Unexpected error"; and the cooperative's invariants hold afterwards (shares
 * sum to 100 %, cost splits add up, one animator per open collective (none exactly while it is flagged as
 * needing one), one open membership per member and collective). `MUTATION_PROPERTY_RUNS` sets the number of sequences (each of up to 12 mutations);
 * `MUTATION_PROPERTY_SEED` replays the run of a seed (fast-check prints it with a failure), and
 * `MUTATION_PROPERTY_PATH` with it goes straight to the failing sequence it printed.
 */

/** Mutations left out of the random sequences, and why. */
const SKIPPED: Record<string, string> = {
  signOut: 'ends the session every later command needs',
  leaveCooperative: 'revokes the actors, leaving later commands nothing to reach',
  signIn: 'password hashing is deliberately slow (and rate-limited): covered by tests/api/auth.test.ts',
};
/** Error codes that are answers, not failures. */
const TYPED = new Set([
  'CONFLICT',
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'ACCESS_REVOKED',
]);

const RUNS = Number(process.env.MUTATION_PROPERTY_RUNS ?? 40);
/** fast-check's `seed` and `path` (both printed with a failure), to replay a run; a fresh seed each run otherwise. */
const REPLAY = {
  ...(process.env.MUTATION_PROPERTY_SEED ? { seed: Number(process.env.MUTATION_PROPERTY_SEED) } : {}),
  ...(process.env.MUTATION_PROPERTY_PATH ? { path: process.env.MUTATION_PROPERTY_PATH } : {}),
};

/** Strings a form could send, and strings an attacker would. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Collectif', 'Stand du salon', 'Réponse', 'ok', '12345678901234', '2027-01-01') },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '💥'.repeat(3),
      'x'.repeat(5000),
      // Invalid text (NUL, a lone surrogate) is a typed BAD_USER_INPUT on every input (tests/edge/invalid-text.test.ts).
      '\u0000',
      'a\u0000b',
      '\uD800',
    ),
  },
);
const integer = fc.oneof(
  fc.integer({ min: -3, max: 12_000 }),
  fc.constantFrom(0, 1, 5_000, 10_000, 10_001, 2_147_483_647, -2_147_483_648),
);
const instant = fc.oneof(
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom('not a date', '2027-02-30T10:00:00Z'),
);

describe('Mutation inputs (fast-check)', () => {
  let t: TestApp;
  const tokens: string[] = [];
  const ids: string[] = [];
  /** Real global IDs by GraphQL type name. */
  const idsByType = new Map<string, string[]>();

  beforeAll(async () => {
    t = await createTestApp();
    await seedDemoData(t.db.prisma);
    const prisma = t.db.prisma;
    // Actors: the demo account (an animator), a member of the support staff, two other members.
    const demo = await prisma.member.findUniqueOrThrow({ where: { email: DEMO_ACCOUNT.email } });
    const staff = await prisma.member.findFirstOrThrow({ where: { kind: 'SUPPORT_STAFF' } });
    const others = await prisma.member.findMany({
      where: { id: { notIn: [demo.id, staff.id] } },
      take: 2,
      orderBy: { email: 'asc' },
    });
    for (const member of [demo, staff, ...others]) tokens.push(await t.tokenFor(member.id));
    // Real global IDs of every node type the schema and the datamodel share.
    const delegates = prisma as unknown as Record<string, { findMany(args: Json): Promise<Array<{ id: string }>> }>;
    for (const model of Object.values(Prisma.ModelName)) {
      if (!isObjectType(schema.getType(model))) continue;
      const delegate = delegates[model.charAt(0).toLowerCase() + model.slice(1)];
      // A model without an `id` column (composite keys) is skipped.
      const rows = await delegate?.findMany({ select: { id: true }, take: 12 }).catch(() => []);
      for (const row of rows ?? []) ids.push(gid(model, String(row.id)));
      idsByType.set(
        model,
        (rows ?? []).map((row) => gid(model, String(row.id))),
      );
    }
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A value of an input type: mostly valid shapes over real IDs, sometimes null or wrong. */
  function arbitraryFor(type: GraphQLInputType, hint: string, depth = 0, allowNull = true): fc.Arbitrary<unknown> {
    if (isNonNullType(type)) return arbitraryFor(type.ofType, hint, depth, false);
    const nullable = (arbitrary: fc.Arbitrary<unknown>) =>
      allowNull ? fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: fc.constant(null) }) : arbitrary;
    if (isListType(type)) return nullable(fc.array(arbitraryFor(type.ofType, hint, depth + 1), { maxLength: depth > 1 ? 1 : 4 }));
    if (isEnumType(type)) return nullable(fc.constantFrom(...type.getValues().map((value) => value.name)));
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields());
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const field of fields) {
        record[field.name] = arbitraryFor(field.type, field.name === 'id' ? hint : field.name, depth + 1);
        if (isNonNullType(field.type)) required.push(field.name);
      }
      return nullable(fc.record(record, { requiredKeys: required }));
    }
    if (isScalarType(type)) {
      switch (type.name) {
        case 'ID':
          return fc.oneof(
            // `ids` is filled in beforeAll, after the arbitraries are built: pick lazily. Mostly an ID of the type the
            // argument names (`collectiveId`, `shiftId`; `id` after the mutation's name), sometimes any node's.
            { weight: 12, arbitrary: fc.nat().map((index) => pick(idsFor(hint), index)) },
            { weight: 3, arbitrary: fc.nat().map((index) => pick(ids, index)) },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                '',
                'bm9wZQ==',
                gid('Member', 'not-a-uuid'),
                gid('Nope', '00000000-0000-0000-0000-000000000000'),
              ),
            },
          );
        case 'String':
          return nullable(text);
        case 'Int':
          return nullable(integer);
        case 'Float':
          return nullable(fc.oneof(fc.double({ min: -10, max: 200, noNaN: true }), fc.constantFrom(0.25, 1.5, 100.25)));
        case 'Boolean':
          return nullable(fc.boolean());
        case 'DateTime':
          return nullable(instant);
        case 'Date':
          return nullable(instant.map((value) => value.slice(0, 10)));
        case 'JSON':
          return nullable(fc.jsonValue({ maxDepth: 2 }));
        default:
          return nullable(text);
      }
    }
    return fc.constant(null);
  }

  const pick = (list: string[], index: number) => list[index % Math.max(1, list.length)] ?? '';
  /** The IDs of the node type an argument's name (or a mutation's name, for `id`) points at. */
  function idsFor(hint: string): string[] {
    const word = hint.replace(/Ids?$/, '').toLowerCase();
    const types = [...idsByType.keys()].filter((name) =>
      hint.endsWith('Id') || hint.endsWith('Ids') ? name.toLowerCase().endsWith(word) : word.includes(name.toLowerCase()),
    );
    // The longest name wins for a mutation (`updateSupplierRecommendation` is not about a `Supplier`).
    types.sort((a, b) => b.length - a.length);
    const chosen = hint.endsWith('Id') || hint.endsWith('Ids') ? types : types.slice(0, 1);
    const found = chosen.flatMap((name) => idsByType.get(name) ?? []);
    return found.length > 0 ? found : ids;
  }

  const mutationType = schema.getMutationType();
  const fields = Object.values(mutationType?.getFields() ?? {}).filter((field) => !(field.name in SKIPPED));

  /** One mutation of the schema with generated arguments, sent by one of the actors. */
  const command = fc.oneof(
    ...fields.map((field) =>
      fc.record({
        field: fc.constant(field.name),
        actor: fc.nat(3),
        variables: fc.record(
          Object.fromEntries(
            field.args.map((arg: GraphQLArgument) => [
              arg.name,
              arbitraryFor(arg.type, arg.name === 'id' ? field.name : arg.name),
            ]),
          ),
        ),
      }),
    ),
  );

  function documentFor(name: string): string {
    const field = mutationType?.getFields()[name];
    if (!field) throw new Error(name);
    const declared = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
    const passed = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const named = getNamedType(field.type);
    const selection = isCompositeType(named) || isInterfaceType(named) ? ' { __typename }' : '';
    return `mutation${declared ? `(${declared})` : ''} { ${name}${passed ? `(${passed})` : ''}${selection} }`;
  }

  async function send(name: string, actor: number, variables: Json): Promise<{ status: number; body: Json }> {
    const response = await t.app.fetch(
      new Request('http://collectifs.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[actor % tokens.length]}` },
        body: JSON.stringify({ query: documentFor(name), variables }),
      }),
    );
    const raw = await response.text();
    return { status: response.status, body: JSON.parse(raw) };
  }

  /** The invariants the cooperative's rules keep; each returns the rows that break it. */
  async function broken(): Promise<Record<string, unknown[]>> {
    const sql = t.db.sql;
    return {
      // DOMAIN.md: one animator, and "losing its animator flags it": none exactly when flagged.
      oneAnimatorPerOpenCollective: await sql.query(`
        SELECT c.id, c."needsAnimator", count(m.id) AS animators FROM "Collective" c
        LEFT JOIN "Membership" m ON m."collectiveId" = c.id AND m.role = 'ANIMATOR' AND m.status = 'ACTIVE'
        WHERE c."closedAt" IS NULL GROUP BY c.id, c."needsAnimator"
        HAVING count(m.id) <> CASE WHEN c."needsAnimator" THEN 0 ELSE 1 END`),
      oneOpenMembership: await sql.query(`
        SELECT "collectiveId", "memberId", count(*) FROM "Membership" WHERE status IN ('PENDING', 'ACTIVE')
        GROUP BY "collectiveId", "memberId" HAVING count(*) > 1`),
      brandSharesSumTo100: await sql.query(`
        SELECT "brandId", sum("shareBasisPoints") FROM "BrandHolder" GROUP BY "brandId" HAVING sum("shareBasisPoints") <> 10000`),
      revenueSplitSumsTo100: await sql.query(`
        SELECT "ruleId", sum("shareBasisPoints") FROM "RevenueSplitShare" GROUP BY "ruleId" HAVING sum("shareBasisPoints") <> 10000`),
      saleSplitAddsUp: await sql.query(`
        SELECT s.id FROM "ProductSale" s JOIN "ProductSaleShare" sh ON sh."saleId" = s.id
        GROUP BY s.id, s."amountCents" HAVING sum(sh."amountCents") <> s."amountCents"`),
      standCostSplitAddsUp: await sql.query(`
        SELECT st.id FROM "TradeShowStand" st JOIN "StandCostShare" sh ON sh."standId" = st.id
        GROUP BY st.id HAVING sum(sh."amountCents") <> (SELECT coalesce(sum("amountCents"), 0) FROM "StandCostLine" WHERE "standId" = st.id)`),
      oneLeadPerDeal: await sql.query(`
        SELECT "dealId" FROM "DealPartner" WHERE status = 'ACTIVE' AND "isLead" GROUP BY "dealId" HAVING count(*) > 1`),
    };
  }
  const nothingBroken = (found: Record<string, unknown[]>) =>
    Object.fromEntries(Object.entries(found).filter(([, rows]) => rows.length > 0));

  it('should hold the invariants on the seeded cooperative before anything is sent', async () => {
    expect(nothingBroken(await broken())).toEqual({});
  });

  // Found by fast-check (seed -1345897847): the animator leaving broke "one animator per open collective" as the
  // test first wrote it; DOMAIN.md has the collective flagged instead, until the support staff names another.
  it('should keep the invariants when an animator leaves a collective and the support staff names another', async () => {
    const prisma = t.db.prisma;
    const collective = await prisma.collective.findUniqueOrThrow({ where: { slug: 'ao-metropole-contenus' } });
    const animator = await prisma.membership.findFirstOrThrow({
      where: { collectiveId: collective.id, role: 'ANIMATOR', status: 'ACTIVE' },
      include: { member: true },
    });
    expect(animator.member.email).toBe(DEMO_ACCOUNT.email);
    const left = await send('leaveCollective', 0, { input: { collectiveId: gid('Collective', collective.id) } });
    expect(left.body.data.leaveCollective.__typename).toBe('MutationLeaveCollectiveSuccess');
    expect(await prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({ needsAnimator: true });
    expect(nothingBroken(await broken())).toEqual({});

    const next = await prisma.membership.findFirstOrThrow({
      where: { collectiveId: collective.id, status: 'ACTIVE', role: 'MEMBER', member: { situation: 'ACTIVE' } },
      orderBy: { memberId: 'asc' },
    });
    const handedOver = await send('handOverAnimation', 1, {
      input: { collectiveId: gid('Collective', collective.id), memberId: gid('Member', next.memberId) },
    });
    expect(handedOver.body.data.handOverAnimation.__typename).toBe('MutationHandOverAnimationSuccess');
    expect(await prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({ needsAnimator: false });
    expect(nothingBroken(await broken())).toEqual({});
  });

  it('should answer every mutation with a typed error or a success, never a 500, and keep the invariants', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
        for (const { field, actor, variables } of commands) {
          const { status, body } = await send(field, actor, variables);
          const codes: string[] = (body.errors ?? []).map((error: Json) => error.extensions?.code ?? 'NO_CODE');
          // A variable GraphQL itself refuses (a bad date, an out-of-range Int) is a 400 without a code: an answer too.
          const untyped = codes.filter((code) => !TYPED.has(code) && !(code === 'NO_CODE' && status === 400));
          if (status >= 500 || untyped.length > 0 || JSON.stringify(body).includes('Unexpected error'))
            throw new Error(
              `${field}(${JSON.stringify(variables).slice(0, 600)}) → ${status} ${JSON.stringify(body).slice(0, 600)}`,
            );
          const outcome = body.data?.[field]?.__typename ?? codes[0] ?? 'null';
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
          // After each mutation, so that a failure names the one that broke an invariant (the database carries
          // the state of the earlier sequences: a failing sequence alone may not fail again).
          const found = nothingBroken(await broken());
          if (Object.keys(found).length > 0)
            throw new Error(
              `${field}(${JSON.stringify(variables).slice(0, 600)}) by actor ${actor} → ${outcome} broke ${JSON.stringify(found)}`,
            );
        }
      }),
      { numRuns: RUNS, endOnFailure: true, ...REPLAY },
    );
    const total = [...seen.values()].reduce((sum, count) => sum + count, 0);
    const successes = [...seen].filter(([name]) => name.endsWith('Success')).reduce((sum, [, count]) => sum + count, 0);
    process.stdout.write(`Mutation properties: ${total} mutations in ${RUNS} sequences, ${successes} succeeded, 0 untyped\n`);
    // The sequences reached past validation: some mutations succeeded and some rules refused.
    const outcomes = [...seen.keys()];
    expect(outcomes.some((name) => name.endsWith('Success'))).toBe(true);
    expect(outcomes).toContain('RuleViolationError');
  }, 600_000);
});
