import type { DocumentNode, TypeNode } from 'graphql';
import { introspection } from '../../graphql-introspection';
import { INPUT_MAX_LENGTH } from '../../input-limits';
import type { FieldSpec } from './fields';

interface TypeRef {
  readonly kind: string;
  readonly name?: string;
  readonly ofType?: TypeRef | null;
}

/** Each input object type's fields and their types, from the schema the client was generated from. */
const INPUT_FIELDS = new Map(
  (introspection.__schema.types as ReadonlyArray<{ kind: string; name: string; inputFields?: unknown }>)
    .filter((type) => type.kind === 'INPUT_OBJECT')
    .map((type) => [type.name, type.inputFields as ReadonlyArray<{ name: string; type: TypeRef }>]),
);

const namedType = (type: TypeRef | null | undefined): string | null => (type ? (type.name ?? namedType(type.ofType)) : null);

/** The input object type of field `name` of input type `inputType` (`lots` of `CreateOpportunityInput`), lists aside. */
function fieldType(inputType: string | null, name: string): string | null {
  const field = inputType ? INPUT_FIELDS.get(inputType)?.find((candidate) => candidate.name === name) : undefined;
  return field ? namedType(field.type) : null;
}

/**
 * The most characters the server accepts for the value at `path` (`name`, `replacement.companyName`) of an input of
 * type `inputType`, from its own validation (`INPUT_MAX_LENGTH`, written by `pnpm schema:print`); undefined when it
 * sets no bound.
 */
export function serverMaxLength(inputType: string | null, path: string): number | undefined {
  const parts = path.split('.');
  const owner = parts.slice(0, -1).reduce<string | null>((type, part) => fieldType(type, part), inputType);
  const key = `${owner}.${parts.at(-1)}`;
  return Object.hasOwn(INPUT_MAX_LENGTH, key) ? INPUT_MAX_LENGTH[key as keyof typeof INPUT_MAX_LENGTH] : undefined;
}

/** The input type of a mutation document's `$input` variable (`CreateCollectiveInput`), or null when it has none. */
export function inputTypeOf(document: unknown): string | null {
  const named = (type: TypeNode): string => (type.kind === 'NamedType' ? type.name.value : named(type.type));
  for (const definition of (document as Partial<DocumentNode> | null)?.definitions ?? []) {
    if (definition.kind !== 'OperationDefinition') continue;
    const input = definition.variableDefinitions?.find((variable) => variable.variable.name.value === 'input');
    if (input) return named(input.type);
  }
  return null;
}

/**
 * The form's fields with the server's length limits as their `maxLength` (rows included), so that no form keeps a
 * number of its own that could drift from the server's: the browser stops typing where the server would refuse.
 */
export function withServerLimits(fields: readonly FieldSpec[], inputType: string | null): FieldSpec[] {
  return fields.map((field) => {
    if (field.kind === 'rows') return { ...field, fields: withServerLimits(field.fields, fieldType(inputType, field.name)) };
    if (field.kind !== 'text' && field.kind !== 'textarea' && field.kind !== 'url' && field.kind !== 'email') return field;
    const maxLength = serverMaxLength(inputType, field.name);
    return maxLength === undefined ? field : { ...field, maxLength };
  });
}
