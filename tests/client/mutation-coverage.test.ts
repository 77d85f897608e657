import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, type DefinitionNode, type DocumentNode, Kind, parse, validate, visit } from 'graphql';
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

/** Every `graphql(`…`)` document of the web app, parsed (gql.tada's own `@_unmask` directive left out). */
function clientDocuments(): { file: string; document: DocumentNode }[] {
  return sources(join(root, 'client/src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/graphql\(\s*`([^`]*)`/g)].map((match) => ({
      file,
      document: parse((match[1] ?? '').replaceAll('@_unmask', '')),
    })),
  );
}

/** Root fields of every mutation operation written in a `graphql(`…`)` document of the web app. */
function clientMutations(): Set<string> {
  const used = new Set<string>();
  for (const { document } of clientDocuments()) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'mutation') continue;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind === Kind.FIELD) used.add(selection.name.value);
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

  it('should send only documents the schema accepts (each operation with the fragments it spreads)', () => {
    const documents = clientDocuments();
    const fragments = new Map<string, DefinitionNode>();
    for (const { document } of documents)
      for (const definition of document.definitions)
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const problems: string[] = [];
    for (const { file, document } of documents) {
      if (!document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION)) continue;
      // The fragments an operation spreads, transitively, as gql.tada sends them.
      const needed = new Map<string, DefinitionNode>();
      const collect = (node: DocumentNode | DefinitionNode) =>
        visit(node, {
          FragmentSpread(spread) {
            const fragment = fragments.get(spread.name.value);
            if (fragment && !needed.has(spread.name.value)) {
              needed.set(spread.name.value, fragment);
              collect(fragment);
            }
          },
        });
      collect(document);
      const own = new Set(document.definitions.map((definition) => ('name' in definition ? definition.name?.value : '')));
      const full: DocumentNode = {
        ...document,
        definitions: [...document.definitions, ...[...needed].filter(([name]) => !own.has(name)).map(([, node]) => node)],
      };
      for (const error of validate(schema, full)) problems.push(`${file.slice(root.length)}: ${error.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('should list as API-only only mutations the schema has and the web app does not send', () => {
    expect(Object.keys(API_ONLY).filter((name) => !mutations.includes(name))).toEqual([]);
    expect(Object.keys(API_ONLY).filter((name) => used.has(name))).toEqual([]);
  });
});
