import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testAppForFile } from '../support/app.js';
import { paragraphUpdate, sectionScenario, textOf } from '../support/collab.js';
import { gid } from '../support/scenario.js';
import { holdLock } from './support.js';

// A co-editing push locks its deal's row (`lockSectionForPush`, FOR UPDATE, raw SQL). With that row held elsewhere (a
// long submission, another instance, an operator's `SELECT … FOR UPDATE`), the push waited as long as it was held,
// without a deadline. Now it is answered UNAVAILABLE past the lock deadline (`DatabaseDeadlines`, short here), with
// nothing of it stored, and the same push sent again once the row is free is stored once.
const t = testAppForFile({ deadlines: { lockTimeoutMs: 1_000, statementTimeoutMs: 20_000, connectTimeoutMs: 3_000 } });
const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename } }`;

describe.skipIf(!process.env.DATABASE_URL)('A co-editing push to a deal locked elsewhere on PostgreSQL', () => {
  it('is answered UNAVAILABLE while the row is held, stores nothing, and is stored once when sent again', async () => {
    const { members, response, section } = await sectionScenario(t.db.prisma, { deal: true });
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const push = (update: Uint8Array) =>
      t.gql(
        PUSH,
        { input: { sectionId: gid('TenderSection', section.id), update: Buffer.from(update).toString('base64') } },
        token,
      );
    const stored = async () =>
      (
        await t.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM "SectionUpdate" WHERE "sectionId" = $1::uuid', [
          section.id,
        ])
      )[0]?.n;
    // The document open (loaded) before the lock, as an editor's page has it.
    const first = paragraphUpdate('Avant le verrou.');
    expect((await push(first)).data?.pushSectionUpdate?.__typename).toBe('MutationPushSectionUpdateSuccess');
    expect(await stored()).toBe(1);

    // Another client holds the deal's row, in a transaction left open.
    const lock = await holdLock(t.db.sql, 'SELECT id FROM "Deal" WHERE id = $1::uuid FOR UPDATE', [response.dealId]);
    try {
      const locked = paragraphUpdate('Pendant le verrou.');
      const started = Date.now();
      const answer = await push(locked);
      const whileLocked = lock.held;
      const elapsed = Date.now() - started;
      console.log(`push while locked: ${JSON.stringify(answer)} in ${elapsed} ms`);
      expect(whileLocked, `push answered only after ${elapsed} ms, once the row was released`).toBe(true);
      expect(answer.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      // Nothing of it stored.
      expect(await stored()).toBe(1);
      await lock.release();

      // Sent again (as the editor does after UNAVAILABLE): stored, once, after the first.
      expect((await push(locked)).data?.pushSectionUpdate?.__typename).toBe('MutationPushSectionUpdateSuccess');
      expect(await stored()).toBe(2);
      const rows = await t.db.sql.query<{ update: Uint8Array }>(
        'SELECT update FROM "SectionUpdate" WHERE "sectionId" = $1::uuid ORDER BY id',
        [section.id],
      );
      const doc = new Y.Doc();
      for (const row of rows) Y.applyUpdate(doc, row.update);
      expect(textOf(doc.getXmlFragment('body')).split('\n').sort()).toEqual(['Avant le verrou.', 'Pendant le verrou.']);
    } finally {
      await lock.end();
    }
  }, 120_000);
});
