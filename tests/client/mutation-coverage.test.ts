import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

// Every mutation of the committed schema is either sent by a document of the web app or named below as
// API-only, with the reason. A new mutation without a screen (or a screen removed) fails here.
const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Mutations the web app knowingly does not send, each with why. Keep it short: a member's action
 * belongs on a screen. "Screen pending" entries are debts of issue 12, to remove as screens land.
 */
const API_ONLY: Record<string, string> = {
  // None today: every mutation a member may use has its screen (issue 12).
};

/** The `.ts`/`.tsx` files of a folder and its subfolders, generated typings left out. */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !/^graphql-(env|introspection)/.test(entry.name) ? [path] : [];
  });
}

/** Root fields of every mutation operation written in a `graphql(`…`)` document of the web app. */
function clientMutations(): Set<string> {
  const used = new Set<string>();
  for (const file of sources(join(root, 'client/src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/graphql\(\s*`([^`]*)`/g)) {
      for (const definition of parse(match[1] ?? '').definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'mutation') continue;
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind === Kind.FIELD) used.add(selection.name.value);
        }
      }
    }
  }
  return used;
}

const schema = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {});
const used = clientMutations();

describe('Mutation coverage', () => {
  it('should read the schema and the web app', () => {
    expect(mutations.length).toBeGreaterThan(50);
    expect(used.has('signIn')).toBe(true);
  });

  it('should send every mutation from a screen unless it is listed as API-only', () => {
    expect(mutations.filter((name) => !used.has(name) && !Object.hasOwn(API_ONLY, name))).toEqual([]);
  });

  it('should list as API-only only mutations the schema has and the web app does not send', () => {
    expect(Object.keys(API_ONLY).filter((name) => !mutations.includes(name))).toEqual([]);
    expect(Object.keys(API_ONLY).filter((name) => used.has(name))).toEqual([]);
  });
});
