/**
 * Relay connections over Prisma models whose cursors carry the sort key (keyset pagination).
 *
 * Why not Pothos' `prismaConnection`/`relatedConnection`: their cursors hold the row's id only and page
 * with Prisma's `cursor`, which looks the row up again. Once that row is deleted the lookup finds nothing
 * and the list silently ends; `after` with `before`, or `after` with `last`, are refused with an internal
 * error; and a malformed cursor is an internal error too. Here a cursor is the position itself (the values
 * of every column of the order, the row id last), so a page continues from its place whatever happened to
 * the row since, and a cursor that sorts between rows starts at the next one.
 *
 * Rule source: the Relay Cursor Connections Specification (https://relay.dev/graphql/connections.htm),
 * `EdgesToReturn` (ApplyCursorsToEdges, then `first`, then `last`), `HasPreviousPage` and `HasNextPage`.
 * The optional "if the server can efficiently determine" steps answer `false`: `hasPreviousPage` is only
 * known with `last`, `hasNextPage` only with `first` (or neither, which pages like `first: DEFAULT_PAGE_SIZE`).
 */
import type { InputFieldMap, InputShapeFromFields } from '@pothos/core';
import { getModel, getRefFromModel, queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import * as Enums from '../generated/prisma/enums.js';
import { isStorableDate } from '../limits/dates.js';
import { isInvalidText } from '../limits/text.js';

/** A page holds this many rows when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;
/** At most this many rows per page: a larger `first` or `last` is served this many (the page info says there is more). */
export const MAX_PAGE_SIZE = 100;

/** The Relay page arguments every connection takes. */
export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** An order as Prisma takes it: scalar columns of the model, e.g. `[{ name: 'asc' }, { id: 'asc' }]`, the id last. */
export type KeysetOrder = ReadonlyArray<
  Record<string, 'asc' | 'desc' | { sort: 'asc' | 'desc'; nulls?: 'first' | 'last' } | undefined>
>;

type ValueKind = 'uuid' | 'string' | 'date' | 'int' | 'float' | 'boolean' | 'enum';

/** One column of an order. `nulls` is where nulls sort (PostgreSQL's default: as the greatest values). */
interface KeyPart {
  field: string;
  direction: 'asc' | 'desc';
  nulls: 'first' | 'last';
  nullable: boolean;
  kind: ValueKind;
  /** An enum's values in their declared order, which is the order PostgreSQL sorts them in (the migrations declare them so). */
  enumValues?: ReadonlySet<string>;
}

/** An order resolved against the datamodel; `signature` names it in its cursors, so a cursor of another list is refused. */
interface Keyset {
  signature: string;
  parts: readonly KeyPart[];
  orderBy: object[];
  reversedOrderBy: object[];
  select: Record<string, true>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CURSOR_PREFIX = 'K1:';
const keysets = new Map<string, Keyset>();

/** Resolves (and caches) an order of `model`; a relation column, an unknown one or an order not ending with `id` is a programming error. */
function keysetOf(model: string, order: KeysetOrder): Keyset {
  const cacheKey = `${model}:${JSON.stringify(order)}`;
  const cached = keysets.get(cacheKey);
  if (cached) return cached;
  const fields = getModel(model, builder).fields;
  const parts = order.map((entry): KeyPart => {
    const entries = Object.entries(entry).filter(([, spec]) => spec !== undefined);
    const [field, spec] = entries.length === 1 ? (entries[0] ?? []) : [];
    const column = fields.find((candidate) => candidate.name === field);
    if (!field || !spec || !column || (column.kind !== 'scalar' && column.kind !== 'enum') || column.isList)
      throw new Error(`Keyset order of ${model}: ${JSON.stringify(entry)} is not a scalar column.`);
    const direction = typeof spec === 'string' ? spec : spec.sort;
    const nulls = (typeof spec === 'string' ? undefined : spec.nulls) ?? (direction === 'asc' ? 'last' : 'first');
    return {
      field,
      direction,
      nulls,
      nullable: !column.isRequired,
      kind: valueKind(field, column.kind, column.type),
      ...(column.kind === 'enum' ? { enumValues: enumValues(column.type) } : {}),
    };
  });
  if (parts.at(-1)?.field !== 'id') throw new Error(`Keyset order of ${model} must end with its id.`);
  const orderBy = (flip: boolean) =>
    parts.map((part) => {
      const direction = flip ? opposite(part.direction) : part.direction;
      const nulls = flip ? (part.nulls === 'first' ? 'last' : 'first') : part.nulls;
      return { [part.field]: part.nullable ? { sort: direction, nulls } : direction };
    });
  const keyset: Keyset = {
    signature: `${model}:${parts.map((part) => `${part.field}${part.direction === 'asc' ? '+' : '-'}`).join(',')}`,
    parts,
    orderBy: orderBy(false),
    reversedOrderBy: orderBy(true),
    select: Object.fromEntries(parts.map((part) => [part.field, true] as const)),
  };
  keysets.set(cacheKey, keyset);
  return keyset;
}

function valueKind(field: string, kind: string, type: string): ValueKind {
  if (kind === 'enum') return 'enum';
  if (type === 'String') return field === 'id' || field.endsWith('Id') ? 'uuid' : 'string';
  if (type === 'DateTime') return 'date';
  if (type === 'Int') return 'int';
  if (type === 'Float') return 'float';
  if (type === 'Boolean') return 'boolean';
  throw new Error(`Keyset orders do not support ${type} columns (${field}).`);
}

function enumValues(name: string): ReadonlySet<string> {
  const values = (Enums as unknown as Record<string, Record<string, string> | undefined>)[name];
  if (!values) throw new Error(`Unknown enum ${name}.`);
  return new Set(Object.values(values));
}

const opposite = (direction: 'asc' | 'desc') => (direction === 'asc' ? 'desc' : 'asc');

// ───────────────────────────── Cursors ─────────────────────────────

/** The cursor of `row` in `keyset`: base64 of `K1:` and a JSON array, the order's signature then each column's value. */
function encodeCursor(keyset: Keyset, row: Record<string, unknown>): string {
  const values = keyset.parts.map((part) => {
    const value = row[part.field];
    return value instanceof Date ? value.toISOString() : (value ?? null);
  });
  return Buffer.from(CURSOR_PREFIX + JSON.stringify([keyset.signature, ...values]), 'utf8').toString('base64');
}

function badCursor(name: 'after' | 'before', why: string): GraphQLError {
  return createGraphQLError(
    `\`${name}\` n’est pas un curseur de cette liste (${why}) : passez un curseur rendu par cette connexion.`,
    {
      extensions: { code: 'BAD_USER_INPUT', argumentName: name },
    },
  );
}

/** Reads a cursor back into its column values; anything else than one of this order's cursors is BAD_USER_INPUT. */
function decodeCursor(keyset: Keyset, cursor: string, name: 'after' | 'before'): unknown[] {
  if (cursor.length === 0 || cursor.length > 4096 || cursor.length % 4 !== 0 || !BASE64.test(cursor))
    throw badCursor(name, 'pas du base64');
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) throw badCursor(name, 'format inconnu');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(CURSOR_PREFIX.length));
  } catch {
    throw badCursor(name, 'illisible');
  }
  if (!Array.isArray(parsed) || parsed[0] !== keyset.signature)
    throw badCursor(name, 'rendu par une autre liste ou un autre ordre');
  const values = parsed.slice(1);
  if (values.length !== keyset.parts.length) throw badCursor(name, 'longueur inattendue');
  return keyset.parts.map((part, index) => {
    const value: unknown = values[index];
    if (value === null) {
      if (!part.nullable) throw badCursor(name, `no ${part.field}`);
      return null;
    }
    switch (part.kind) {
      case 'uuid':
        if (typeof value === 'string' && UUID.test(value)) return value;
        break;
      case 'string':
        if (typeof value === 'string' && !isInvalidText(value)) return value;
        break;
      case 'enum':
        if (typeof value === 'string' && part.enumValues?.has(value)) return value;
        break;
      case 'date': {
        const date = typeof value === 'string' ? new Date(value) : null;
        if (date && isStorableDate(date) && date.toISOString() === value) return date;
        break;
      }
      case 'int':
        if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) <= 2 ** 31) return value;
        break;
      case 'float':
        if (typeof value === 'number' && Number.isFinite(value)) return value;
        break;
      case 'boolean':
        if (typeof value === 'boolean') return value;
        break;
    }
    throw badCursor(name, `bad ${part.field}`);
  });
}

/**
 * One edge of a page: its cursor is encoded the first time it is read (the edge's `cursor` field, or the page
 * info's start or end), not for every row: a nested list of 250 rows whose selection asks for no cursor encoded
 * 250 (profiled at ≈ 3 % of the nested query's CPU in bench/query.ts).
 */
class KeysetEdge<Row> {
  #cursor: string | undefined;
  constructor(
    private readonly keyset: Keyset,
    readonly node: Row,
  ) {}
  get cursor(): string {
    this.#cursor ??= encodeCursor(this.keyset, this.node as Record<string, unknown>);
    return this.#cursor;
  }
}

// ───────────────────────────── Conditions ─────────────────────────────

type Where = Record<string, unknown>;
const NOTHING: Where = { id: { in: [] } };

/** Rows whose `part` comes strictly after `value` in the order (`later`) or strictly before it; null when none can. */
function beyond(part: KeyPart, value: unknown, later: boolean): Where | null {
  // Moving backwards is moving forwards in the reversed order.
  const direction = later ? part.direction : opposite(part.direction);
  const nulls = later ? part.nulls : part.nulls === 'first' ? 'last' : 'first';
  if (value === null) return nulls === 'first' ? { [part.field]: { not: null } } : null;
  let compared: Where;
  if (part.enumValues) {
    // Prisma's enum filters have no gt/lt: the values beyond, in the enum's declared order (PostgreSQL's sort order).
    const values = [...part.enumValues];
    const index = values.indexOf(value as string);
    const beyondValues = direction === 'asc' ? values.slice(index + 1) : values.slice(0, index);
    compared = { [part.field]: { in: beyondValues } };
  } else {
    compared = { [part.field]: { [direction === 'asc' ? 'gt' : 'lt']: value } };
  }
  return part.nullable && nulls === 'last' ? { OR: [compared, { [part.field]: null }] } : compared;
}

/** Rows strictly after (`later`) or strictly before the position `values`: the lexicographic comparison, column by column. */
function positionWhere(keyset: Keyset, values: unknown[], later: boolean): Where {
  const branches: Where[] = [];
  keyset.parts.forEach((part, index) => {
    const step = beyond(part, values[index], later);
    if (!step) return;
    const equal = keyset.parts.slice(0, index).map((previous, i) => ({ [previous.field]: values[i] }));
    branches.push(equal.length ? { AND: [...equal, step] } : step);
  });
  return branches.length ? { OR: branches } : NOTHING;
}

// ───────────────────────────── Pages ─────────────────────────────

/** What to ask the database for one page, and how to turn the rows it returns into the connection. */
export interface PagePlan {
  /** The cursors' condition, to AND with the list's own filter. */
  where: Where;
  orderBy: object[];
  take: number;
  /** Columns the cursors need. */
  select: Record<string, true>;
  /** Builds edges and page info from the rows fetched with this plan. */
  finish<Row extends object>(
    rows: Row[],
  ): {
    edges: Array<{ cursor: string; node: Row }>;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

function pageSize(value: number | null | undefined, name: 'first' | 'last'): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0)
    throw createGraphQLError(`\`${name}\` est un nombre de lignes, 0 ou plus.`, {
      // As a validated argument says it (transport/unavailable.ts): the field, the reason and the bound.
      extensions: { code: 'BAD_USER_INPUT', argumentName: name, field: name, reason: 'TOO_SMALL', limit: 0 },
    });
  return Math.min(value, MAX_PAGE_SIZE);
}

/**
 * Plans one page of a list ordered by `order` (Prisma's orderBy over scalar columns of `model`, ending with
 * `id`). Errors: BAD_USER_INPUT for a negative `first`/`last` or a cursor this order did not issue.
 */
export function planPage(model: string, order: KeysetOrder, args: PageArgs): PagePlan {
  const keyset = keysetOf(model, order);
  let first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  if (first == null && last == null) first = DEFAULT_PAGE_SIZE;
  const conditions: Where[] = [];
  if (args.after != null) conditions.push(positionWhere(keyset, decodeCursor(keyset, args.after, 'after'), true));
  if (args.before != null) conditions.push(positionWhere(keyset, decodeCursor(keyset, args.before, 'before'), false));
  const where = conditions.length === 0 ? {} : conditions.length === 1 ? (conditions[0] as Where) : { AND: conditions };
  // With `first`, read forwards: enough rows to apply `first` then `last` and to know whether more follow.
  const forward = first != null;
  const take = (forward ? Math.max(first ?? 0, last ?? 0) : (last ?? 0)) + 1;
  return {
    where,
    orderBy: forward ? keyset.orderBy : keyset.reversedOrderBy,
    take,
    select: keyset.select,
    finish(rows) {
      let page: typeof rows;
      let hasNextPage = false;
      let hasPreviousPage = false;
      if (forward) {
        // `rows` are the first rows after the cursors (ApplyCursorsToEdges), up to max(first, last) + 1.
        page = rows.slice(0, first ?? 0);
        hasNextPage = rows.length > (first ?? 0);
        if (last != null) {
          page = last === 0 ? [] : page.slice(-last);
          hasPreviousPage = rows.length > last;
        }
      } else {
        page = rows.slice(0, last ?? 0).reverse();
        hasPreviousPage = rows.length > (last ?? 0);
      }
      const edges = page.map((node) => new KeysetEdge(keyset, node));
      return {
        edges,
        pageInfo: {
          hasNextPage,
          hasPreviousPage,
          // Getters: most selections ask for neither, and a cursor costs a JSON and a base64 encoding.
          get startCursor() {
            return edges[0]?.cursor ?? null;
          },
          get endCursor() {
            return edges.at(-1)?.cursor ?? null;
          },
        },
      };
    },
  };
}

const and = (...wheres: Array<Where | undefined>): Where => {
  const kept = wheres.filter((where): where is Where => !!where && Object.keys(where).length > 0);
  return kept.length === 0 ? {} : kept.length === 1 ? (kept[0] as Where) : { AND: kept };
};

// ───────────────────────────── Fields ─────────────────────────────

type MaybePromise<T> = T | Promise<T>;
// biome-ignore lint/suspicious/noExplicitAny: Pothos' field builders are generic beyond what a shared helper can name.
type AnyFieldBuilder = any;
/** A connection's arguments as its callbacks see them: its own, and the page's. */
type ArgsOf<Args extends InputFieldMap> = InputShapeFromFields<Args> & PageArgs;

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const NODE_PATHS = [[{ name: 'nodes' }], [{ name: 'edges' }, { name: 'node' }]];

/**
 * A root list of `model` rows as a Relay connection with keyset cursors and a `totalCount`.
 * `where` is the list's filter (what the viewer may see and the arguments ask); `orderBy` its order, ending with `id`.
 */
export function keysetConnection<Args extends InputFieldMap = InputFieldMap>(
  t: AnyFieldBuilder,
  options: {
    type: string;
    description: string;
    args?: Args;
    where: (args: ArgsOf<Args>, context: Context) => MaybePromise<object>;
    orderBy: (args: ArgsOf<Args>) => KeysetOrder;
  },
) {
  const model = options.type;
  const delegate = (context: Context) =>
    (context.prisma as unknown as Record<string, { findMany(q: object): Promise<object[]>; count(q: object): Promise<number> }>)[
      lowerFirst(model)
    ] as { findMany(q: object): Promise<object[]>; count(q: object): Promise<number> };
  const ref = getRefFromModel(model, builder);
  let typeName: string | undefined;
  return t.connection(
    {
      type: ref,
      description: options.description,
      args: options.args ?? {},
      resolve: async (
        _parent: unknown,
        args: ArgsOf<Args>,
        context: Context,
        info: Parameters<typeof queryFromInfo>[0]['info'],
      ) => {
        const plan = planPage(model, options.orderBy(args), args);
        const filter = (await options.where(args, context)) as Where;
        typeName ??= builder.configStore.getTypeConfig(ref).name;
        const query = (await queryFromInfo({ context, info, typeName, select: plan.select, paths: NODE_PATHS })) as object;
        let counted: Promise<number> | undefined;
        const totalCount = () => {
          counted ??= delegate(context).count({ where: filter });
          return counted;
        };
        const rows = await delegate(context).findMany({
          ...query,
          where: and(filter, plan.where),
          orderBy: plan.orderBy,
          take: plan.take,
        });
        return { ...plan.finish(rows), totalCount };
      },
    },
    {
      fields: (tc: AnyFieldBuilder) => ({
        totalCount: tc.int({
          resolve: (connection: { totalCount: () => MaybePromise<number> }) => connection.totalCount(),
        }),
      }),
    },
  );
}

/**
 * A relation of a Prisma object as a Relay connection with keyset cursors and a `totalCount`, loaded with its
 * parent's query (no query per parent). `where` filters the related rows (synchronously: it becomes part of the
 * parent's plan); `orderBy` orders them, ending with `id`.
 */
export function relatedKeysetConnection<Args extends InputFieldMap = InputFieldMap>(
  t: AnyFieldBuilder,
  relation: string,
  options: {
    description: string;
    args?: Args;
    where?: (args: ArgsOf<Args>, context: Context) => object;
    orderBy: (args: ArgsOf<Args>) => KeysetOrder;
  },
) {
  const parentModel = t.model as string;
  const relationField = getModel(parentModel, builder).fields.find((field) => field.name === relation);
  if (relationField?.kind !== 'object' || !relationField.isList)
    throw new Error(`${parentModel}.${relation} is not a list relation.`);
  const model = relationField.type;
  const ref = getRefFromModel(model, builder);
  let typeName: string | undefined;
  return t.connection(
    {
      type: ref,
      description: options.description,
      args: options.args ?? {},
      select: (
        args: ArgsOf<Args>,
        context: Context,
        nestedSelection: (query: object, include: { getType: () => string; paths: typeof NODE_PATHS }) => { select?: object },
      ) => {
        let plan: PagePlan;
        try {
          plan = planPage(model, options.orderBy(args), args);
        } catch {
          // A bad argument is answered by the field itself (see resolve), at its own path.
          return null;
        }
        const filter = (options.where?.(args, context) ?? {}) as Where;
        typeName ??= builder.configStore.getTypeConfig(ref).name;
        const nested = nestedSelection(
          { where: and(filter, plan.where), orderBy: plan.orderBy, take: plan.take },
          { getType: () => typeName as string, paths: NODE_PATHS },
        );
        return {
          [relation]: nested.select ? { ...nested, select: { ...plan.select, ...nested.select } } : nested,
          _count: { select: { [relation]: Object.keys(filter).length ? { where: filter } : true } },
        };
      },
      resolve: (parent: Record<string, unknown>, args: ArgsOf<Args>) => {
        const plan = planPage(model, options.orderBy(args), args);
        const rows = parent[relation];
        if (!Array.isArray(rows)) throw new Error(`${parentModel}.${relation} was not loaded.`);
        const count = (parent._count as Record<string, number> | undefined)?.[relation] ?? 0;
        // Already loaded with the parent: answered synchronously (a promise per parent for a number at hand).
        return { ...plan.finish(rows), totalCount: () => count };
      },
    },
    {
      fields: (tc: AnyFieldBuilder) => ({
        totalCount: tc.int({
          resolve: (connection: { totalCount: () => MaybePromise<number> }) => connection.totalCount(),
        }),
      }),
    },
  );
}
