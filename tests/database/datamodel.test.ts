import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @prisma/internals is CommonJS: Node's ESM loader does not see its named exports.
import internals from '@prisma/internals';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRunner } from '../../server/src/db/database.js';
import { MIGRATIONS_DIR, migrate } from '../../server/src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The migrated database must be exactly what `prisma migrate dev` would build from
// prisma/schema.prisma: this file reads the datamodel (DMMF) and the database catalog and compares
// them. Every check gathers all its mismatches before failing, so one run lists them all.

type Datamodel = Awaited<ReturnType<typeof internals.getDMMF>>['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];

const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));
const MIGRATIONS_TABLE = '_prisma_migrations';
/** PostgreSQL truncates identifiers to 63 bytes; Prisma shortens its default names to fit. */
const MAX_IDENTIFIER_LENGTH = 63;

/** `pg_constraint.confdeltype` / `confupdtype` codes. */
const ACTION_CODES: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
/** Prisma's referential actions as SQL. */
const PRISMA_ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** The column type Prisma gives each scalar type without a native type attribute, as `format_type` prints it. */
const DEFAULT_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** `@db.X(args)` as `format_type` prints it. */
function nativeTypeName([name, args]: readonly [string, readonly string[]]): string {
  const withArgs = (base: string) => (args.length > 0 ? `${base}(${args.join(',')})` : base);
  switch (name) {
    case 'Uuid':
      return 'uuid';
    case 'Text':
      return 'text';
    case 'Char':
      return withArgs('character');
    case 'VarChar':
      return withArgs('character varying');
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    case 'BigInt':
      return 'bigint';
    case 'Boolean':
      return 'boolean';
    case 'Real':
      return 'real';
    case 'DoublePrecision':
      return 'double precision';
    case 'Decimal':
      return withArgs('numeric');
    case 'Money':
      return 'money';
    case 'Date':
      return 'date';
    case 'Timestamp':
      return `timestamp(${args[0] ?? '3'}) without time zone`;
    case 'Timestamptz':
      return `timestamp(${args[0] ?? '3'}) with time zone`;
    case 'Time':
      return `time(${args[0] ?? '3'}) without time zone`;
    case 'Timetz':
      return `time(${args[0] ?? '3'}) with time zone`;
    case 'Json':
      return 'json';
    case 'JsonB':
      return 'jsonb';
    case 'ByteA':
      return 'bytea';
    case 'Inet':
      return 'inet';
    case 'Citext':
      return 'citext';
    default:
      throw new Error(`This test does not know the native type @db.${name}; teach it nativeTypeName().`);
  }
}

// ─────────────────────────── The datamodel side ───────────────────────────

let datamodel: Datamodel;

const tableName = (model: Model) => model.dbName ?? model.name;
const columnName = (field: Field) => field.dbName ?? field.name;
const isColumn = (field: Field) => field.kind === 'scalar' || field.kind === 'enum' || field.kind === 'unsupported';
const columnsOf = (model: Model) => model.fields.filter(isColumn);

function modelNamed(name: string): Model {
  const model = datamodel.models.find((candidate) => candidate.name === name);
  if (!model) throw new Error(`The datamodel has no model ${name}.`);
  return model;
}

function fieldNamed(model: Model, name: string): Field {
  const field = model.fields.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`The datamodel has no field ${model.name}.${name}.`);
  return field;
}

const columnNames = (model: Model, fieldNames: readonly string[]) =>
  fieldNames.map((name) => columnName(fieldNamed(model, name)));

function enumNamed(name: string) {
  const found = datamodel.enums.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`The datamodel has no enum ${name}.`);
  return found;
}

/** Prisma's default name for a constraint or index: table, columns and suffix, shortened to fit. */
function defaultName(table: string, columns: readonly string[], suffix: 'pkey' | 'key' | 'idx' | 'fkey'): string {
  const base = suffix === 'pkey' ? table : [table, ...columns].join('_');
  return `${base.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length - 1)}_${suffix}`;
}

/** The index entry of the datamodel for these fields of this model (it carries the `map:` name). */
function datamodelIndex(model: Model, type: 'id' | 'unique' | 'normal', fieldNames: readonly string[]) {
  return datamodel.indexes.find(
    (index) =>
      index.model === model.name &&
      index.type === type &&
      index.fields.length === fieldNames.length &&
      index.fields.every((field, position) => field.name === fieldNames[position]),
  );
}

/** The column type the migration must create for a field, as `format_type` prints it (unquoted). */
function expectedType(field: Field): string {
  let base: string;
  if (field.kind === 'enum') base = enumNamed(field.type).dbName ?? field.type;
  else if (field.nativeType) base = nativeTypeName(field.nativeType);
  else {
    const type = DEFAULT_TYPES[field.type];
    if (!type) throw new Error(`This test does not know the scalar type ${field.type}; teach it DEFAULT_TYPES.`);
    base = type;
  }
  return field.isList ? `${base}[]` : base;
}

/** Prisma makes a column NOT NULL when its field is required; scalar lists are always nullable columns. */
const expectedNotNull = (field: Field) => field.isRequired && !field.isList;

const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The cast `pg_get_expr` prints after a string literal default of this column type. */
function literalCast(field: Field, type: string): string {
  if (field.kind === 'enum') return `"${type}"`;
  if (type === 'text' || type === 'uuid' || type === 'jsonb' || type === 'json' || type === 'bytea') return type;
  if (type.startsWith('character varying')) return 'character varying';
  if (type.startsWith('character')) return 'bpchar';
  throw new Error(`This test does not know how PostgreSQL prints a literal default of type ${type}.`);
}

/**
 * The default expression the column must have, as `pg_get_expr` prints it, or null when Prisma sets
 * no database default (none in the schema, a default the client computes such as uuid(), or @updatedAt).
 */
function expectedDefault(model: Model, field: Field): string | null {
  const value = field.default;
  if (value === undefined || field.isUpdatedAt) return null;
  if (Array.isArray(value)) throw new Error(`${model.name}.${field.name}: list defaults are not handled by this test.`);
  if (typeof value === 'object' && value !== null && 'name' in value) {
    switch (value.name) {
      case 'now':
        return 'CURRENT_TIMESTAMP';
      case 'autoincrement':
        return `nextval('"${tableName(model)}_${columnName(field)}_seq"'::regclass)`;
      case 'dbgenerated':
        return value.args[0] === undefined ? null : String(value.args[0]);
      case 'uuid':
      case 'cuid':
      case 'nanoid':
      case 'ulid':
        return null; // Computed by Prisma Client, not by the database.
      default:
        throw new Error(`${model.name}.${field.name}: this test does not know the default function ${value.name}().`);
    }
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return value < 0 ? `'${value}'::${expectedType(field)}` : String(value);
  if (field.kind === 'enum') {
    const enumValue = enumNamed(field.type).values.find((candidate) => candidate.name === value);
    return `${quoteLiteral(enumValue?.dbName ?? String(value))}::${literalCast(field, expectedType(field))}`;
  }
  if (field.type === 'Int' || field.type === 'BigInt' || field.type === 'Float' || field.type === 'Decimal') return String(value);
  return `${quoteLiteral(String(value))}::${literalCast(field, expectedType(field))}`;
}

const referentialAction = (action: string | undefined, fallback: string) => {
  const sql = PRISMA_ACTIONS[action ?? fallback];
  if (!sql) throw new Error(`Unknown referential action ${action}.`);
  return sql;
};

// ─────────────────────────── The database side ───────────────────────────

interface ColumnRow {
  table: string;
  column: string;
  type: string;
  is_enum: boolean;
  not_null: boolean;
  default: string | null;
}

interface ConstraintRow {
  table: string;
  name: string;
  type: 'p' | 'f' | 'u';
  columns: string[];
  referenced_table: string | null;
  referenced_columns: string[];
  on_delete: string;
  on_update: string;
}

interface IndexRow {
  table: string;
  name: string;
  is_unique: boolean;
  is_primary: boolean;
  method: string;
  columns: string[];
  is_partial_or_expression: boolean;
}

interface EnumRow {
  name: string;
  labels: string[];
}

interface Catalog {
  tables: string[];
  columns: ColumnRow[];
  constraints: ConstraintRow[];
  indexes: IndexRow[];
  enums: EnumRow[];
}

async function readCatalog(sql: SqlRunner): Promise<Catalog> {
  const tables = await sql.query<{ name: string }>(
    `SELECT c.relname::text AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      ORDER BY 1`,
  );
  const columns = await sql.query<ColumnRow>(
    `SELECT c.relname::text AS table, a.attname::text AS column,
            format_type(a.atttypid, a.atttypmod) AS type,
            (t.typtype = 'e' OR coalesce(et.typtype = 'e', false)) AS is_enum,
            a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, a.attnum`,
  );
  const constraints = await sql.query<ConstraintRow>(
    `SELECT c.relname::text AS table, con.conname::text AS name, con.contype::text AS type,
            array(SELECT a.attname::text
                    FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                   ORDER BY k.position) AS columns,
            ref.relname::text AS referenced_table,
            array(SELECT a.attname::text
                    FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                   ORDER BY k.position) AS referenced_columns,
            con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f', 'u')
      ORDER BY 1, 2`,
  );
  const indexes = await sql.query<IndexRow>(
    `SELECT t.relname::text AS table, ic.relname::text AS name,
            i.indisunique AS is_unique, i.indisprimary AS is_primary, am.amname::text AS method,
            array(SELECT a.attname::text
                    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.position) AS columns,
            (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AS is_partial_or_expression
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_am am ON am.oid = ic.relam
      WHERE n.nspname = current_schema()
      ORDER BY 1, 2`,
  );
  const enums = await sql.query<EnumRow>(
    `SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t
       JOIN pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE n.nspname = current_schema()
      GROUP BY t.typname
      ORDER BY 1`,
  );
  const notMigrations = <Row extends { table: string }>(row: Row) => row.table !== MIGRATIONS_TABLE;
  return {
    tables: tables.map((row) => row.name).filter((name) => name !== MIGRATIONS_TABLE),
    columns: columns.filter(notMigrations),
    constraints: constraints.filter(notMigrations),
    indexes: indexes.filter(notMigrations),
    enums,
  };
}

/** `format_type` quotes type names that need it ("MemberKind"); the comparison ignores the quotes. */
const unquote = (type: string) => type.replaceAll('"', '');
const list = (values: readonly string[]) => `(${values.join(', ')})`;
const describeIndex = (row: IndexRow) =>
  `${row.table}: ${row.name} ${list(row.columns)} ${row.method}${row.is_partial_or_expression ? ' partial or on expressions' : ''}`;

// ─────────────────────────────── The tests ───────────────────────────────

describe('Migrations', () => {
  let db: TestDatabase;
  let catalog: Catalog;

  beforeAll(async () => {
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    datamodel = (await internals.getDMMF({ datamodel: schema })).datamodel;
    db = await createTestDatabase();
    catalog = await readCatalog(db.sql);
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('should create one table per model and no other table', () => {
    const expected = datamodel.models.map(tableName).sort();
    const missing = expected.filter((table) => !catalog.tables.includes(table));
    const unexpected = catalog.tables.filter((table) => !expected.includes(table));
    expect({ missing, unexpected }, 'tables of the migrated database against the models of schema.prisma').toEqual({
      missing: [],
      unexpected: [],
    });
  });

  it('should create a column for every scalar field with its type and nullability', () => {
    const problems: string[] = [];
    for (const model of datamodel.models) {
      const table = tableName(model);
      const actual = new Map(catalog.columns.filter((row) => row.table === table).map((row) => [row.column, row]));
      const fields = columnsOf(model);
      for (const field of fields) {
        const where = `${table}.${columnName(field)}`;
        const column = actual.get(columnName(field));
        if (!column) {
          problems.push(`${where}: no such column`);
          continue;
        }
        if (field.kind === 'unsupported') continue;
        const type = expectedType(field);
        if (unquote(column.type) !== type) problems.push(`${where}: type is ${column.type}, the datamodel wants ${type}`);
        if (column.is_enum !== (field.kind === 'enum')) {
          problems.push(`${where}: ${column.is_enum ? 'is' : 'is not'} an enum column, the field is of kind ${field.kind}`);
        }
        const notNull = expectedNotNull(field);
        if (column.not_null !== notNull) {
          problems.push(
            `${where}: is ${column.not_null ? 'NOT NULL' : 'nullable'}, the datamodel wants ${notNull ? 'NOT NULL' : 'nullable'}`,
          );
        }
      }
      const fieldColumns = new Set(fields.map(columnName));
      for (const column of actual.keys()) {
        if (!fieldColumns.has(column)) problems.push(`${table}.${column}: column without a field in the datamodel`);
      }
    }
    expect(problems, 'columns that differ from the scalar fields').toEqual([]);
  });

  it('should give each column the default of its field, and none where Prisma Client computes it', () => {
    const problems: string[] = [];
    for (const model of datamodel.models) {
      const table = tableName(model);
      for (const field of columnsOf(model)) {
        const column = catalog.columns.find((row) => row.table === table && row.column === columnName(field));
        if (!column || field.kind === 'unsupported') continue; // Reported by the column test.
        const wanted = expectedDefault(model, field);
        if (column.default !== wanted) {
          problems.push(
            `${table}.${column.column}: default is ${column.default ?? 'none'}, the datamodel wants ${wanted ?? 'none'}`,
          );
        }
      }
    }
    expect(problems, 'column defaults that differ from the datamodel').toEqual([]);
  });

  it('should create every enum with its values in order', () => {
    const expected = Object.fromEntries(
      datamodel.enums.map((declared) => [
        declared.dbName ?? declared.name,
        declared.values.map((value) => value.dbName ?? value.name),
      ]),
    );
    const actual = Object.fromEntries(catalog.enums.map((row) => [row.name, row.labels]));
    expect(actual, 'enum types of the database (name → values in order)').toEqual(expected);
  });

  it('should make the id fields the primary key of each table', () => {
    const expected = datamodel.models.map((model) => {
      const fields = model.primaryKey?.fields ?? model.fields.filter((field) => field.isId).map((field) => field.name);
      const columns = columnNames(model, fields);
      const name = datamodelIndex(model, 'id', fields)?.dbName ?? defaultName(tableName(model), columns, 'pkey');
      return `${tableName(model)}: ${name} ${list(columns)}`;
    });
    const actual = catalog.constraints
      .filter((row) => row.type === 'p')
      .map((row) => `${row.table}: ${row.name} ${list(row.columns)}`);
    expect(actual.sort(), 'primary keys (table: constraint (columns))').toEqual(expected.sort());
  });

  it('should enforce every @unique and @@unique with a unique index', () => {
    const expected: string[] = [];
    for (const model of datamodel.models) {
      const uniques = [
        ...model.fields.filter((field) => field.isUnique).map((field) => [field.name]),
        ...model.uniqueIndexes.map((index) => [...index.fields]),
      ];
      for (const fields of uniques) {
        const columns = columnNames(model, fields);
        const name = datamodelIndex(model, 'unique', fields)?.dbName ?? defaultName(tableName(model), columns, 'key');
        expected.push(`${tableName(model)}: ${name} ${list(columns)} btree`);
      }
    }
    const actual = catalog.indexes.filter((row) => row.is_unique && !row.is_primary).map(describeIndex);
    expect(actual.sort(), 'unique indexes (table: index (columns) method)').toEqual(expected.sort());
    const uniqueConstraints = catalog.constraints.filter((row) => row.type === 'u').map((row) => `${row.table}: ${row.name}`);
    expect(uniqueConstraints, 'Prisma enforces uniqueness with unique indexes, not UNIQUE constraints').toEqual([]);
  });

  it('should create every @@index with its columns in order', () => {
    const expected = datamodel.indexes
      .filter((index) => index.type === 'normal')
      .map((index) => {
        const model = modelNamed(index.model);
        const columns = columnNames(
          model,
          index.fields.map((field) => field.name),
        );
        const name = index.dbName ?? defaultName(tableName(model), columns, 'idx');
        return `${tableName(model)}: ${name} ${list(columns)} ${index.algorithm?.toLowerCase() ?? 'btree'}`;
      });
    const actual = catalog.indexes.filter((row) => !row.is_unique && !row.is_primary).map(describeIndex);
    expect(actual.sort(), 'non-unique indexes (table: index (columns) method)').toEqual(expected.sort());
  });

  it('should create a foreign key for every relation with its referential actions', () => {
    const expected: string[] = [];
    for (const model of datamodel.models) {
      for (const field of model.fields) {
        if (field.kind !== 'object' || !field.relationFromFields?.length) continue;
        const target = modelNamed(field.type);
        const columns = columnNames(model, field.relationFromFields);
        const referenced = columnNames(target, field.relationToFields ?? []);
        // Prisma's defaults: a required relation restricts deletion, an optional one sets null.
        const onDelete = referentialAction(field.relationOnDelete, field.isRequired ? 'Restrict' : 'SetNull');
        const onUpdate = referentialAction(field.relationOnUpdate, 'Cascade');
        const name = defaultName(tableName(model), columns, 'fkey');
        expected.push(
          `${tableName(model)}: ${name} ${list(columns)} → ${tableName(target)}${list(referenced)} ON DELETE ${onDelete} ON UPDATE ${onUpdate}`,
        );
      }
    }
    const actual = catalog.constraints
      .filter((row) => row.type === 'f')
      .map(
        (row) =>
          `${row.table}: ${row.name} ${list(row.columns)} → ${row.referenced_table}${list(row.referenced_columns)} ON DELETE ${ACTION_CODES[row.on_delete]} ON UPDATE ${ACTION_CODES[row.on_update]}`,
      );
    expect(actual.sort(), 'foreign keys (table: constraint (columns) → table(columns) actions)').toEqual(expected.sort());
  });

  it('should record every migration folder as applied, with the checksum of its script', async () => {
    const folders = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(folders.length, 'migration folders in prisma/migrations').toBeGreaterThan(0);
    const expected = await Promise.all(
      folders.map(async (name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(await readFile(join(MIGRATIONS_DIR, name, 'migration.sql')))
          .digest('hex'),
        finished: true,
        rolled_back: false,
        applied_steps_count: 1,
      })),
    );
    const rows = await db.sql.query<{
      migration_name: string;
      checksum: string;
      finished: boolean;
      rolled_back: boolean;
      applied_steps_count: number;
    }>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back, applied_steps_count
         FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows, 'rows of _prisma_migrations').toEqual(expected);
  });

  it('should apply nothing when the migrations run again', async () => {
    const before = await db.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM "_prisma_migrations"');
    await expect(migrate(db.sql)).resolves.toEqual([]);
    const after = await db.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM "_prisma_migrations"');
    expect(after).toEqual(before);
    expect(await readCatalog(db.sql), 'the schema after a second run').toEqual(catalog);
  });

  it('should lock the migrations to the postgresql provider', async () => {
    const lock = await readFile(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8');
    expect(lock).toMatch(/^provider = "postgresql"$/m);
  });
});
