import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid, makeCollective } from '../support/scenario.js';
import { until } from '../support/waits.js';
import { JOIN, membershipActions } from './operations.js';

// A burst of event-writing mutations from many members at once (each under its own caller limits): every one is
// queued and answered, none refused for want of a pooled connection while the others wait for the event log's lock.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const { person } = membershipActions(() => t);

const BURST = 40;

/** The server's write transactions waiting for their turn or running (`collectifs_write_transactions`), 0 if none. */
async function writeTransactions(): Promise<number> {
  const metric = t.app.metrics.registry.getSingleMetric('collectifs_write_transactions');
  if (!metric) return 0;
  return (await metric.get()).values.reduce((sum, value) => sum + value.value, 0);
}

describe('A burst of event-writing mutations', () => {
  it(`should answer ${BURST} members joining one collective at once, all of them, their events in order`, async () => {
    const animator = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const joiners = await Promise.all(Array.from({ length: BURST }, () => person()));
    const before = (await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;

    // On PostgreSQL the event log's lock is held meanwhile (as another instance's write can), so that the whole burst
    // is waiting at once, whatever the machine's pace: held until every mutation is waiting for the log, or one is
    // answered. (On the embedded database a held transaction would hold its one connection, and every read with it.)
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder =
      t.db.kind === 'postgres'
        ? t.db.sql.transaction(async (tx) => {
            await tx.query('SELECT pg_advisory_xact_lock(5021777)');
            await released;
          })
        : null;
    let answered = 0;
    const answers = Promise.all(
      joiners.map(async (joiner) => {
        const response = await t.gql(JOIN, { input: { collectiveId: gid('Collective', collective.id) } }, joiner.token);
        answered += 1;
        return response;
      }),
    );
    if (holder) {
      await until(async () => answered > 0 || (await writeTransactions()) === BURST, 'the whole burst to wait for the log');
      release();
      await holder;
    }
    const responses = await answers;

    expect(responses.map((response) => response.errors?.[0]?.extensions?.code ?? response.data?.result?.__typename)).toEqual(
      Array.from({ length: BURST }, () => 'MutationJoinCollectiveSuccess'),
    );
    // One event per member joining, none lost, in the order of positions (each position once).
    const events = await t.db.prisma.eventLog.findMany({ where: { position: { gt: before } }, orderBy: { position: 'asc' } });
    expect(events.map((event) => event.actorId).sort()).toEqual(joiners.map((joiner) => joiner.id).sort());
    expect(events.every((event) => event.collectiveId === collective.id)).toBe(true);
    const positions = events.map((event) => event.position);
    expect(positions.every((position, index) => index === 0 || position > (positions[index - 1] as bigint))).toBe(true);
    expect(await t.db.prisma.membership.count({ where: { collectiveId: collective.id, status: 'ACTIVE' } })).toBe(BURST + 1);
    expect(await writeTransactions()).toBe(0);
  }, 120_000);
});
