import { describe, expect, it, onTestFinished } from 'vitest';
import type { Json } from '../support/app.js';
import { testAppForFile } from '../support/app.js';
import { caughtUpCollective, logHead, recordUnannounced } from '../support/events.js';
import { open, type Transport } from '../support/live.js';
import { until } from '../support/waits.js';

const t = testAppForFile();

const ACTIVITY =
  'subscription($c: ID!) { collectiveActivity(collectiveId: $c) { ... on ActivityEvent { position } ... on ResyncRequired { reason } } }';

/**
 * Attack (attack1, finding 2b): an instance behind the log (a notification lost, events committed by another
 * instance) catches up in one read of several events. That read (`EventBus.pump`, raw SQL) ordered its rows by the
 * position as text (`ORDER BY position` named the `position::text` output column), so a batch crossing a power of ten
 * came out as 10, 11, 12, 9: streams received 9 after 12, and the bus, which resumes past the last row it delivered,
 * read 10 to 12 again (seen live as "…,122,129,94,101,…,129,136"). Per stream: strictly increasing, nothing twice,
 * nothing missed, whatever the transport, with a second read of the log in flight meanwhile.
 */
describe('Catching up several events at once on an instance behind the log', () => {
  it.each<Transport>(['ws', 'sse', 'sse-single'])('should deliver them once each and in log order (%s)', async (transport) => {
    const { member, collective, token, id } = await caughtUpCollective(t);
    const { inbox, stop } = open(transport, t.url, token, ACTIVITY, { c: id });
    onTestFinished(stop);
    await until(() => t.app.events.subscriberCount > 0, 'the subscription is live on the bus');

    const record = (purpose: string) => recordUnannounced(t.db.prisma, collective, member.id, `${collective.name} ${purpose}`);
    const head = () => logHead(t.db.prisma);
    // Committed behind this instance's back (as by another instance whose notification was lost): one event, then,
    // past the next power of ten (positions only need to increase: a sequence may skip), two more. The first at
    // 2·10^k, the others at 10^(k+1): as text, "100" sorts before "20".
    const skipTo = (position: bigint) =>
      t.db.prisma.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"EventLog"', 'position'), ${position - 1n})`);
    await skipTo(2n * 10n ** BigInt((await head()).toString().length));
    await record('Avant');
    const first = await head();
    const power = 10n ** BigInt(first.toString().length);
    await skipTo(power);
    await record('Après 1');
    await record('Après 2');
    const behind = await head();
    expect(behind).toBe(power + 1n);

    // Then the notification, and a second read of the log asked meanwhile (another caller's barrier).
    t.app.events.announce();
    await Promise.all([t.app.events.sync(), t.app.events.sync()]);
    // A change made now and announced: it comes after everything committed before it.
    const changed = await t.gql(
      'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
      { i: { id, purpose: 'En direct' } },
      token,
    );
    expect(changed.data?.updateCollective.__typename, JSON.stringify(changed)).toBe('MutationUpdateCollectiveSuccess');
    const last = await head();
    for (let n = 1; ; n += 1) {
      const received = await inbox.waitFor(n);
      const position = received[n - 1].collectiveActivity.position as string | undefined;
      if (position !== undefined && BigInt(position) >= last) break;
    }
    const delivered = inbox.received.map((message: Json) => message.collectiveActivity.position as string);
    expect(delivered, `delivered in order: ${delivered.join(',')}`).toEqual([first, power, power + 1n, last].map(String));
  });
});
