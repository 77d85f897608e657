import {
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  isUnionType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../server/src/generated/prisma/client.js';
import { schema } from '../../server/src/schema/index.js';
import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';
import { codes } from '../support/abuse.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid } from '../support/scenario.js';

// Issue 9, "every resource is bounded": GraphQL's Int let `addStandShift` take 1 000 000 people per shift, and every
// other number 2^31 − 1. Each numeric input is now held to a domain bound (server/src/limits/numbers.ts). This walk
// sends values no bound allows to every Int and Float of every mutation, over real IDs of the demo cooperative
// (so a value that slipped through could write): each must be refused by validation, naming the field, with
// TOO_LARGE or TOO_SMALL, the bound and a French message, and nothing may change. A numeric input added without a
// bound fails here.

let t: TestApp;
let token: string;
const idsByType = new Map<string, string[]>();

beforeAll(async () => {
  t = await createTestApp({ demo: true });
  const demo = await t.db.prisma.member.findUniqueOrThrow({ where: { email: DEMO_ACCOUNT.email } });
  token = await t.tokenFor(demo.id);
  const delegates = t.db.prisma as unknown as Record<string, { findMany(args: Json): Promise<Array<{ id: string }>> }>;
  for (const model of Object.values(Prisma.ModelName)) {
    const rows = await delegates[model.charAt(0).toLowerCase() + model.slice(1)]
      ?.findMany({ select: { id: true }, take: 1 })
      .catch(() => []);
    if (rows?.length)
      idsByType.set(
        model,
        rows.map((row) => gid(model, String(row.id))),
      );
  }
}, 300_000);

afterAll(async () => {
  await t?.close();
});

/** A real global ID for an ID input named `hint` (`standId` → a TradeShowStand's; `id` → the mutation's subject). */
function idFor(hint: string): string {
  const word = hint.replace(/Id$/, '').toLowerCase();
  const names = [...idsByType.keys()].filter((name) => name.toLowerCase().endsWith(word) || word.includes(name.toLowerCase()));
  names.sort((a, b) => b.length - a.length);
  return idsByType.get(names[0] ?? 'Member')?.[0] ?? gid('Member', '00000000-0000-4000-8000-000000000000');
}

/** The paths to every Int and Float under `type` (lists get their first entry), with the scalar's name. */
function numberPaths(
  type: GraphQLInputType,
  path: string[],
  seen = new Set<string>(),
): Array<{ path: string[]; scalar: string }> {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return numberPaths(inner.ofType, [...path, '0'], seen);
  if (isScalarType(inner)) return inner.name === 'Int' || inner.name === 'Float' ? [{ path, scalar: inner.name }] : [];
  if (!isInputObjectType(inner) || seen.has(inner.name)) return [];
  const below = new Set([...seen, inner.name]);
  return Object.values(inner.getFields()).flatMap((field) => numberPaths(field.type, [...path, field.name], below));
}

/**
 * A value of `type` with every required field filled with something plausible (real IDs, a date, the first enum
 * value, 1 for numbers), and `value` at `path`.
 */
function sampleValue(type: GraphQLInputType, hint: string, path: string[], value: number): Json {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sampleValue(inner.ofType, hint, path.slice(1), value)];
  if (path.length === 0 && !isInputObjectType(inner)) {
    if (!isScalarType(inner)) return isEnumType(inner) ? inner.getValues()[0]?.name : null;
    if (inner.name === 'Int' || inner.name === 'Float') return value;
    return { ID: idFor(hint), String: 'Valeur', Boolean: false, DateTime: '2027-03-01T09:00:00.000Z', Date: '2027-03-01' }[
      inner.name
    ];
  }
  if (!isInputObjectType(inner)) return null;
  const [target, ...rest] = path;
  const object: Record<string, Json> = {};
  for (const field of Object.values(inner.getFields())) {
    if (field.name === target) object[field.name] = sampleValue(field.type, field.name, rest, value);
    else if (isNonNullType(field.type)) object[field.name] = sampleValue(field.type, field.name, [], 1);
  }
  return object;
}

/** The operation calling `field` with every argument as a variable, selecting its typed input issues if it has them. */
function operation(kind: 'mutation' | 'query', field: GraphQLField<unknown, unknown>): string {
  const declarations = field.args.map((a) => `$${a.name}: ${a.type}`).join(', ');
  const passed = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  const issues =
    isUnionType(named) && named.getTypes().some((member) => member.name === 'InputValidationError')
      ? ' ... on InputValidationError { issues { field reason limit message } }'
      : '';
  const selection = isCompositeType(named) ? ` { __typename${issues} }` : '';
  return `${kind}(${declarations}) { result: ${field.name}(${passed})${selection} }`;
}

/** Every (root field, numeric input) of `kind`, with what to send for a given value. */
function everyNumber(kind: 'mutation' | 'query') {
  const root = kind === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  return Object.values(root?.getFields() ?? {}).flatMap((field) =>
    field.args.flatMap((argument) =>
      numberPaths(argument.type, [argument.name]).map(({ path, scalar }) => ({
        root: field.name,
        scalar,
        field: path.join('.'),
        query: operation(kind, field),
        // The other arguments only when required (`first` and `last` together are refused).
        variables: (value: number) =>
          Object.fromEntries(
            field.args.flatMap((a) =>
              a.name === argument.name
                ? [[a.name, sampleValue(a.type, a.name, path.slice(1), value)]]
                : isNonNullType(a.type)
                  ? [[a.name, sampleValue(a.type, a.name, [], 1)]]
                  : [],
            ),
          ),
      })),
    ),
  );
}

/** Rows of every table and events logged: what a refused change must leave as it was. */
async function everything() {
  const delegates = t.db.prisma as unknown as Record<string, { count(): Promise<number> }>;
  const counts: Record<string, number> = {};
  for (const model of Object.values(Prisma.ModelName))
    counts[model] = (await delegates[model.charAt(0).toLowerCase() + model.slice(1)]?.count()) ?? 0;
  return counts;
}

const INT_MAX = 2 ** 31 - 1;

describe('Numeric inputs of mutations', () => {
  it('should refuse 2^31 − 1, −1 and (for Floats) 1e308 in every numeric input, naming the field and the bound, changing nothing', async () => {
    const inputs = everyNumber('mutation');
    // The walk reaches the input the attacker used, and the others of its kind.
    expect(inputs.map((input) => `${input.root} ${input.field}`)).toEqual(
      expect.arrayContaining([
        'addStandShift input.minimumStaff',
        'createStand input.areaSquareMeters',
        'createDeal input.partners.0.amountCents',
        'createBrand input.niceClasses.0',
      ]),
    );
    expect(inputs.length).toBeGreaterThan(40);
    const before = await everything();
    const answered: string[] = [];
    const expected: string[] = [];
    for (const input of inputs) {
      const values = input.scalar === 'Float' ? [INT_MAX, -1, 1e308] : [INT_MAX, -1];
      for (const value of values) {
        const reason = value < 0 ? 'TOO_SMALL' : 'TOO_LARGE';
        const result = await t.gql(input.query, input.variables(value), token);
        const issue = (result.data?.result?.issues as Json[] | undefined)?.find((found) => found.field === input.field);
        // No mutation accepts any of these values: none has a bound that legitimately allows them.
        answered.push(
          `${input.root} ${input.field}=${value}: ${codes(result).join(',') || result.data?.result?.__typename} ${issue?.reason}`,
        );
        expected.push(`${input.root} ${input.field}=${value}: InputValidationError ${reason}`);
        if (issue) {
          expect(issue.limit, input.field).toEqual(expect.any(Number));
          expect(reason === 'TOO_LARGE' ? issue.limit < value : issue.limit >= value, input.field).toBe(true);
          // The message is the French one `bounded()` writes, not zod's English default.
          expect(issue.message, input.field).toMatch(/^(Au plus|Au moins|Plus de) (le n°\u00a0)?\d/);
        }
      }
    }
    expect(answered).toEqual(expected);
    expect(await everything()).toEqual(before);
  }, 300_000);
});

describe('Numeric arguments of queries', () => {
  it('should refuse a number outside its bound with BAD_USER_INPUT naming the argument, reason and bound', async () => {
    const inputs = everyNumber('query');
    expect(inputs.map((input) => `${input.root} ${input.field}`)).toEqual(
      expect.arrayContaining(['dashboard withinDays', 'upcomingDeadlines withinDays', 'collectives first']),
    );
    const answered: string[] = [];
    const expected: string[] = [];
    for (const input of inputs) {
      // A connection's page size past 100 is legitimately accepted: the connection caps it at 100 rows (SECURITY.md,
      // "Connection page size"). A negative one is refused; so is a page of the activity history past its 100 events.
      const capped = (input.field === 'first' || input.field === 'last') && input.root !== 'activity';
      for (const value of [INT_MAX, -1]) {
        const result = await t.gql(input.query, input.variables(value), token);
        const error = result.errors?.[0];
        answered.push(`${input.root} ${input.field}=${value}: ${codes(result).join(',') || 'accepted'}`);
        expected.push(`${input.root} ${input.field}=${value}: ${capped && value > 0 ? 'accepted' : 'BAD_USER_INPUT'}`);
        if (error)
          expect(error.extensions, input.root).toMatchObject({
            field: input.field,
            reason: value < 0 ? 'TOO_SMALL' : 'TOO_LARGE',
            limit: expect.any(Number),
          });
      }
    }
    expect(answered).toEqual(expected);
  }, 300_000);
});
