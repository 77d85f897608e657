import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../server/src/events/record.js';
import { testAppForFile } from '../support/app.js';
import { logHead } from '../support/events.js';
import { makeCollective, makeMember } from '../support/scenario.js';

// The live read of the log takes the backlog a page (500 events) at a time. Ordered by the position's text, as it was
// (attack 2, finding A), a page past a power of ten kept the text-smallest rows and the next page resumed after them:
// numerically smaller positions were never delivered. Every event of a backlog spanning several pages reaches observers.
const t = testAppForFile();

describe('The live read of the event log, a backlog past one page', () => {
  it('delivers every event of a backlog of more than 500 spanning a power of ten (none lost)', async () => {
    const ada = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: ada.id });
    await t.app.events.pump();
    const head = await logHead(t.db.prisma);
    const seen = new Set<string>();
    const unobserve = t.app.events.observe((event) => seen.add(String(event.position)));
    let next = 1000n;
    while (next <= head + 1n) next *= 10n;
    const count = Number(next - head) + 600;
    await t.db.prisma.$transaction(
      async (tx) => {
        for (let i = 0; i < count; i += 1)
          await recordEvent(tx, {
            type: 'collective.updated',
            subject: { typename: 'Collective', id: collective.id },
            collectiveId: collective.id,
            actorId: ada.id,
            payload: { name: `N${i}`, status: 'ACTIVE', openness: 'OPEN' },
          });
      },
      { timeout: 300_000 },
    );
    await t.app.events.pump();
    await t.app.events.pump();
    unobserve();
    const missing = Array.from({ length: count }, (_, i) => String(head + 1n + BigInt(i))).filter((p) => !seen.has(p));
    expect(missing.length, `missing e.g. ${missing.slice(0, 10).join(',')}`).toBe(0);
  }, 600_000);
});
