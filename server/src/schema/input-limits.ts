import { type GraphQLSchema, isInputObjectType, isObjectType } from 'graphql';

/** A zod string schema's most characters (`z.string().max(n)`, `text(min, max)`, `z.url().max(n)`), else null. */
function maxLengthOf(validate: unknown): number | null {
  const candidate = validate as { maxLength?: unknown; _zod?: { def?: { type?: unknown } } } | null | undefined;
  if (candidate?._zod?.def?.type !== 'string') return null;
  return typeof candidate.maxLength === 'number' && Number.isFinite(candidate.maxLength) ? candidate.maxLength : null;
}

/** The validation schema Pothos keeps on a built field or argument (`validate`), if any. */
const validateOf = (extensions: unknown) =>
  (extensions as { pothosOptions?: { validate?: unknown } } | null | undefined)?.pothosOptions?.validate;

/**
 * The most characters each text input accepts, read from the schema's own validation: input fields by
 * `Type.field` (`CreateCollectiveInput.name`: 120), arguments by `Type.field.argument`, sorted. What the web app's
 * forms take as their `maxLength` (client/src/input-limits.ts, written by `pnpm schema:print`), so that a form never
 * lets through a text the server refuses, nor refuses one it accepts.
 */
export function inputMaxLengths(schema: GraphQLSchema): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const max = maxLengthOf(validateOf(field.extensions));
        if (max !== null) limits[`${type.name}.${field.name}`] = max;
      }
    } else if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        for (const argument of field.args) {
          const max = maxLengthOf(validateOf(argument.extensions));
          if (max !== null) limits[`${type.name}.${field.name}.${argument.name}`] = max;
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(limits).sort(([a], [b]) => a.localeCompare(b)));
}
