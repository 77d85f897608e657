import { formatBounded, type NumberBound } from '../../../../server/src/limits/numbers.js';
import { fr } from '../../i18n/fr';

/** The server's bounds of numeric inputs, for forms' `bound` (one source: server/src/limits/numbers.ts). */
export { NUMBER_BOUNDS } from '../../../../server/src/limits/numbers.js';

import { fromParisInput, parseDecimalInput } from '../format';

/** A form's values: strings as inputs hold them, booleans for checkboxes, lists for multi-choices and rows. */
export type Value = string | boolean | string[] | Values[];
export type Values = { [name: string]: Value };

export interface Option {
  value: string;
  label: string;
}

interface Base {
  /** The input field's name in the API (`title`, `shareBasisPoints`): the server's errors name it. */
  name: string;
  label: string;
  hint?: string;
  required?: boolean;
  /** Shown (and sent) only when this holds. A hidden field is left out of the input: an update keeps its value. */
  show?: (values: Values) => boolean;
  /** Takes the whole width of the form. */
  wide?: boolean;
}

/** What a form field is and how its text becomes the API's value. */
export type FieldSpec =
  | (Base & {
      kind: 'text' | 'textarea' | 'url' | 'email';
      /** The least number of characters once trimmed, when the server asks for more than one. */
      minLength?: number;
      maxLength?: number;
      placeholder?: string;
    })
  | (Base & { kind: 'select'; options: readonly Option[] | ((values: Values) => readonly Option[]); empty?: string })
  | (Base & { kind: 'date' | 'datetime' })
  /** A time of day in Paris, sent as the instant it is on the day held by the field `on` (`HH:MM` typed). */
  | (Base & { kind: 'time'; on: string })
  /**
   * A number: euros typed and cents sent (`money`), percent typed and basis points sent (`percent`, 10 000 =
   * 100 %), or as typed. `bound` is the server's (`NUMBER_BOUNDS`, in the API's unit): a value outside is refused
   * before sending, and a count's range is shown under the field.
   */
  | (Base & { kind: 'money' | 'percent' | 'int' | 'decimal'; bound?: NumberBound })
  | (Base & { kind: 'checkbox' })
  | (Base & { kind: 'checkboxes'; options: readonly Option[] })
  /** Whole numbers separated by commas or spaces (Nice classes). */
  | (Base & { kind: 'ints' })
  | (Base & {
      kind: 'rows';
      fields: readonly FieldSpec[];
      /** The values of a new row. */
      blank: Values;
      addLabel: string;
      removeLabel: string;
    });

const isShown = (field: FieldSpec, values: Values) => !field.show || field.show(values);

/** The empty value a field starts with. */
export function emptyValue(field: FieldSpec): Value {
  if (field.kind === 'checkbox') return false;
  if (field.kind === 'checkboxes') return [];
  if (field.kind === 'rows') return [];
  return '';
}

/** Values for every field, the given ones first. */
export function initialValues(fields: readonly FieldSpec[], given: Values = {}): Values {
  const values: Values = {};
  for (const field of fields) values[field.name] = given[field.name] ?? emptyValue(field);
  return values;
}

export interface Conversion {
  input: Record<string, unknown>;
  /** Messages found before sending, by field path. */
  errors: Record<string, string>;
}

/**
 * Turns what was typed into the API's input: trimmed text (an empty optional one as null, an empty required one as
 * "" for the server to refuse by name), cents, basis points, Paris times as ISO instants, whole numbers, rows.
 * Missing required values and unreadable numbers are reported by path, as the server would.
 */
export function toInput(fields: readonly FieldSpec[], values: Values, prefix = ''): Conversion {
  const input: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    if (!isShown(field, values)) continue;
    const path = `${prefix}${field.name}`;
    const raw = values[field.name] ?? emptyValue(field);
    const text = typeof raw === 'string' ? raw.trim() : '';
    const missing = () => {
      if (field.required) errors[path] = fr.rules.REQUIRED;
    };
    switch (field.kind) {
      case 'text':
      case 'textarea':
      case 'url':
      case 'email':
        if (!text) missing();
        else if (field.minLength && text.length < field.minLength) errors[path] = fr.issues.TOO_SHORT(field.minLength);
        else if (field.maxLength && text.length > field.maxLength) errors[path] = fr.issues.TOO_LONG(field.maxLength);
        input[field.name] = text || (field.required ? '' : null);
        break;
      case 'select':
        if (!text) missing();
        input[field.name] = text || null;
        break;
      case 'date':
        if (!text) missing();
        input[field.name] = text || null;
        break;
      case 'time': {
        const day = typeof values[field.on] === 'string' ? (values[field.on] as string) : '';
        const instant = text && day ? fromParisInput(`${day}T${text}`) : null;
        if (!text) missing();
        else if (day && !instant) errors[path] = fr.errors.invalidValue;
        input[field.name] = instant;
        break;
      }
      case 'datetime': {
        const instant = text ? fromParisInput(text) : null;
        if (!text) missing();
        else if (!instant) errors[path] = fr.errors.invalidValue;
        input[field.name] = instant;
        break;
      }
      case 'money':
      case 'percent':
      case 'int':
      case 'decimal': {
        const number = parseDecimalInput(text);
        const value =
          number === null || Number.isNaN(number)
            ? null
            : field.kind === 'money' || field.kind === 'percent'
              ? Math.round(number * 100)
              : number;
        if (number === null) missing();
        else if (Number.isNaN(number)) errors[path] = fr.errors.notANumber;
        else if (field.kind === 'int' && !Number.isInteger(number)) errors[path] = fr.errors.notAWholeNumber;
        else if (value !== null && field.bound) {
          const fault = outOfBound(field.bound, value);
          if (fault) errors[path] = fault;
        }
        input[field.name] = value;
        break;
      }
      case 'checkbox':
        input[field.name] = raw === true;
        break;
      case 'checkboxes': {
        const chosen = Array.isArray(raw) ? (raw as string[]) : [];
        if (chosen.length === 0) missing();
        input[field.name] = chosen;
        break;
      }
      case 'ints': {
        const parts = text ? text.split(/[\s,;]+/).filter(Boolean) : [];
        if (parts.some((part) => !/^\d+$/.test(part))) errors[path] = fr.errors.notAWholeNumber;
        if (parts.length === 0) missing();
        input[field.name] = parts.length ? parts.map(Number) : field.required ? [] : null;
        break;
      }
      case 'rows': {
        const rows = Array.isArray(raw) ? (raw as Values[]) : [];
        if (rows.length === 0) missing();
        input[field.name] = rows.map((row, index) => {
          const converted = toInput(field.fields, row, `${path}.${index}.`);
          Object.assign(errors, converted.errors);
          return converted.input;
        });
        break;
      }
    }
  }
  return { input, errors };
}

/** What is wrong with `value` against `bound` (in the API's unit), as the server would say it, or null. */
function outOfBound(bound: NumberBound, value: number): string | null {
  if (value < bound.min) return fr.issues.TOO_SMALL(formatBounded(bound.unit, bound.min));
  if (value > bound.max) return fr.issues.TOO_LARGE(formatBounded(bound.unit, bound.max));
  return null;
}

/** The range of a field's bound, shown under it, for counts (amounts and shares speak for themselves). */
export function boundHint(field: FieldSpec): string | undefined {
  if (!('bound' in field) || !field.bound || typeof field.bound.unit === 'string') return undefined;
  const { min, max, unit } = field.bound;
  return fr.issues.RANGE(formatBounded(unit, min), formatBounded(unit, max));
}

/** Every path a form shows an error at: each field, each row and each row's fields (for the rows present). */
export function fieldPaths(fields: readonly FieldSpec[], values: Values, prefix = ''): string[] {
  const paths: string[] = [];
  for (const field of fields) {
    if (!isShown(field, values)) continue;
    const path = `${prefix}${field.name}`;
    paths.push(path);
    if (field.kind === 'rows') {
      const rows = Array.isArray(values[field.name]) ? (values[field.name] as Values[]) : [];
      rows.forEach((row, index) => {
        paths.push(`${path}.${index}`, ...fieldPaths(field.fields, row, `${path}.${index}.`));
      });
    }
  }
  return paths;
}

export { isShown };

/** An enum's French labels as select options, in the catalogue's order. */
export function enumOptions(labels: Record<string, string>, only?: readonly string[]): Option[] {
  return Object.entries(labels)
    .filter(([value]) => !only || only.includes(value))
    .map(([value, text]) => ({ value, label: text }));
}

/** A select's options for the current values. */
export function optionsOf(field: Extract<FieldSpec, { kind: 'select' }>, values: Values): readonly Option[] {
  return typeof field.options === 'function' ? field.options(values) : field.options;
}
