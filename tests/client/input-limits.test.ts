import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAVE_VERSION } from '../../client/src/features/editor/queries.js';
import { INPUT_MAX_LENGTH } from '../../client/src/input-limits.js';
import { inputTypeOf, serverMaxLength, withServerLimits } from '../../client/src/ui/form/limits.js';
import { schema } from '../../server/src/schema/index.js';
import { inputMaxLengths } from '../../server/src/schema/input-limits.js';

// A form's maxLength is the server's own bound, never a number kept by hand: the version name's input allowed 200
// characters where the server takes 120, so a 150-character name was typed, sent and refused.
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The web app's `.ts`/`.tsx` sources, generated files left out. */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !/^(graphql-(env|introspection)|input-limits)\./.test(entry.name) ? [path] : [];
  });
}

describe('Text lengths in the web app’s forms', () => {
  it('should hold the server’s limits as its validation states them', () => {
    expect(INPUT_MAX_LENGTH).toEqual(inputMaxLengths(schema));
    // A few the issue named, read from the schema's own validation.
    expect(INPUT_MAX_LENGTH['SaveSectionVersionInput.name']).toBe(120);
    expect(INPUT_MAX_LENGTH['CreateCollectiveInput.name']).toBe(120);
  });

  it('should keep no maxLength of its own in any form', () => {
    const handKept = sources(join(root, 'client/src')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          /maxLength(=\{|:)\s*\d/.test(line) ? [`${file.slice(root.length)}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(handKept).toEqual([]);
  });

  it('should give each form field the bound of the input field it fills, nested and in rows too', () => {
    expect(inputTypeOf(SAVE_VERSION)).toBe('SaveSectionVersionInput');
    expect(serverMaxLength('SaveSectionVersionInput', 'name')).toBe(120);
    // A dotted field fills a nested input object; a field with no bound gets none.
    const partner = serverMaxLength('SubstituteDealPartnerInput', 'replacement.companyName');
    expect(partner).toBeGreaterThan(0);
    expect(Object.values(INPUT_MAX_LENGTH)).toContain(partner);
    expect(serverMaxLength('SaveSectionVersionInput', 'sectionId')).toBeUndefined();
    const [lots] = withServerLimits(
      [
        {
          name: 'lots',
          label: 'Lots',
          kind: 'rows',
          blank: {},
          addLabel: '+',
          removeLabel: '-',
          fields: [{ name: 'title', label: 'Titre', kind: 'text' }],
        },
      ],
      'CreateOpportunityInput',
    );
    const title = lots?.kind === 'rows' ? lots.fields[0] : undefined;
    expect(title && 'maxLength' in title ? title.maxLength : undefined).toBe(
      Object.entries(INPUT_MAX_LENGTH).find(([key]) => /^Opportunity\w*Input\.title$/.test(key))?.[1],
    );
  });
});
